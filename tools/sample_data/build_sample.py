# ruff: noqa: E501
"""Regenerate the bundled sample bucket: ``python -m tools.sample_data.build_sample``.

Writes ``pixel_platform/sample_data/``: ``bucket/`` (paths are the object keys of the registry's
sources), ``README.md`` and ``sample_manifest.json`` (every planted defect by location); the
generator lives outside the package, so only its output ships in the wheel. Deterministic: each
file has its own seeded ``random.Random``, gzip headers carry no timestamp, and nothing reads the
clock or network.
Only the counsel-chat CSV holds real (MIT-licensed) text; everything else is written for this repo.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import shutil
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson

from tools.sample_data import (
    defects,
    dialogue,
    readme,
    texts,
    texts_clinical,
    texts_persona,
    texts_zh,
)
from tools.sample_data.corpus import (
    Bucket,
    Conv,
    FileReport,
    add_duplicates,
    annotate,
    apply_plan,
    broken,
    build_convs,
    csv_text,
    dumps,
    gz,
    insert_broken,
    jsonl_bytes,
    pii_cycle,
    plan,
)

# The shipped sample, inside the package: the CLI seeds an empty store from its bucket.
HERE = Path(__file__).resolve().parents[2] / "pixel_platform" / "sample_data"
BUCKET = HERE / "bucket"
SEED = 20251229
# The full counsel-chat CSV is not bundled (3 MB); the subset is. Without the source, a rebuild
# keeps the committed subset and licence note byte for byte.
COUNSEL_CHAT_ENV = "PIXEL_COUNSEL_CHAT_CSV"
COUNSEL_CHAT_DEFAULT = Path("/work/shared/data/counsel_chat_20200325.csv")
COUNSEL_CHAT_KEY = "acquired/counsel_chat/counsel_chat_sample.csv"
LICENSE_NOTE = HERE / "licenses" / "counsel_chat_LICENSE.txt"
ALL_CRISIS_USER = frozenset(t for ts in texts.CRISIS_USER.values() for t in ts)
GENERAL_TOPICS = (
    "anxiety",
    "depression",
    "grief",
    "trauma",
    "relationships",
    "work_stress",
    "job_loss",
    "sleep",
    "self_esteem",
    "loneliness",
    "parenting",
    "anger",
    "addiction",
)


def rng_for(key: str) -> random.Random:
    return random.Random(f"{SEED}:{key}")


def topic_maker(
    topics: Sequence[str],
    exchanges: tuple[int, int],
    meta: Callable[[random.Random, int, str], dict[str, Any]] | None = None,
) -> Callable[[random.Random, int], Conv]:
    def make(rng: random.Random, i: int) -> Conv:
        name = rng.choice(topics)
        turns = dialogue.dialogue(rng, texts.TOPICS[name], rng.randint(*exchanges))
        conv = Conv(list(turns), {"topic": name})
        if meta is not None:
            conv.meta.update(meta(rng, i, name))
        return conv

    return make


# ---- serialisers --------------------------------------------------------------------------------
def as_messages(conv: Conv, system: str | None = None) -> list[dict[str, Any]]:
    head = [{"role": "system", "content": system}] if system else []
    return head + [{"role": r, "content": t} for r, t in conv.turns]


def as_turns(
    conv: Conv, role_key: str, text_key: str, names: dict[str, str]
) -> list[dict[str, Any]]:
    return [{role_key: names[r], text_key: t} for r, t in conv.turns]


def as_transcript(conv: Conv, labels: dict[str, str], sep: str = "\n\n") -> str:
    return sep.join(f"{labels[r]}: {t or ''}".rstrip() for r, t in conv.turns)


SHAREGPT = {"user": "human", "assistant": "gpt", "system": "system"}


def finish_lines(
    bucket: Bucket,
    report: FileReport,
    convs: list[Conv],
    line_of: Callable[[Conv], str],
    *,
    bom: bool = False,
    compress: bool = False,
) -> None:
    annotate(report, convs, "line", 1)
    lines = [c.raw if c.raw is not None else line_of(c) for c in convs]
    report.units = sum(1 for line in lines if line.strip())  # blank lines are not input units
    report.records = sum(1 for c in convs if c.raw is None)
    data = jsonl_bytes(lines, bom=bom)
    bucket.finish(report, gz(data) if compress else data)


def finish_array(
    bucket: Bucket,
    report: FileReport,
    convs: list[Conv],
    item_of: Callable[[Conv], Any],
    *,
    container: str | None = None,
    ascii_only: bool = False,
) -> None:
    annotate(report, convs, "index", 0)
    items = [item_of(c) for c in convs]
    report.units = report.records = len(items)
    obj: Any = {container: items} if container else items
    bucket.finish(report, (dumps(obj, ascii_only=ascii_only, indent=True) + "\n").encode("utf-8"))


def finish_csv(
    bucket: Bucket,
    report: FileReport,
    convs: list[Conv],
    header: Sequence[str],
    row_of: Callable[[Conv], Sequence[Any]],
    *,
    lineterminator: str = "\n",
    encoding: str = "utf-8",
) -> None:
    annotate(report, convs, "row", 1)
    rows = [row_of(c) for c in convs]
    report.units = report.records = len(rows)
    bucket.finish(report, csv_text(header, rows, lineterminator=lineterminator).encode(encoding))


# ---- mental_health_datasets -----------------------------------------------------------------------
def build_mhcc(bucket: Bucket) -> None:
    key = "gdrive/raw/mental_health_counseling_conversations/mhcc_train.jsonl"
    rng = rng_for(key)

    def make(rng: random.Random, i: int) -> Conv:
        q, a = dialogue.qa_pair(rng, texts.TOPICS[rng.choice(GENERAL_TOPICS)])
        return Conv([("user", q), ("assistant", a)])

    convs = build_convs(
        rng,
        196,
        make,
        {
            "pii": 10,
            "mojibake": 8,
            "crisis": 7,
            "crisis_unsafe": 2,
            "empty_turn": 2,
            "null_content": 1,
        },
        exact_dups=6,
    )
    # The real dataset repeats a Context with several different Responses: plant that too.
    for _ in range(8):
        orig = rng.choice([c for c in convs if not c.tags and c.dup_of is None])
        other = dialogue.qa_pair(rng, texts.TOPICS[rng.choice(GENERAL_TOPICS)])[1]
        alt = Conv(
            [orig.turns[0], ("assistant", other)], tags=[("same_context_other_response", "")]
        )
        convs.insert(convs.index(orig) + rng.randint(1, 20), alt)
    good_line = dumps({"Context": convs[5].turns[0][1], "Response": convs[5].turns[1][1]})
    insert_broken(
        rng,
        convs,
        [
            broken(defects.truncate(good_line, rng), "truncated_json"),
            broken(defects.GARBAGE_LINES[1], "garbage_line"),
            broken("", "blank_line"),
        ],
    )
    report = FileReport(key, "mental_health_datasets", "qa", "jsonl {Context, Response}")
    report.notes.append(
        "A blank line is not a record; readers should skip it silently (not counted in units)."
    )
    finish_lines(
        bucket,
        report,
        convs,
        lambda c: dumps(
            {"Context": c.turns[0][1], "Response": c.turns[1][1] if len(c.turns) > 1 else None}
        ),
    )

    key = "gdrive/raw/mental_health_counseling_conversations/mhcc_extra.jsonl.gz"
    rng = rng_for(key)
    convs = build_convs(rng, 60, make, {"pii": 4, "crisis": 3, "mojibake": 2}, exact_dups=1)
    report = FileReport(key, "mental_health_datasets", "qa", "jsonl.gz {Context, Response}")
    finish_lines(
        bucket,
        report,
        convs,
        lambda c: dumps({"Context": c.turns[0][1], "Response": c.turns[1][1]}),
        compress=True,
    )


def build_psych8k(bucket: Bucket) -> None:
    key = "gdrive/raw/Psych8k/psych8k_sample.json"
    rng = rng_for(key)

    def make(rng: random.Random, i: int) -> Conv:
        q, a = dialogue.qa_pair(rng, texts.TOPICS[rng.choice(GENERAL_TOPICS)])
        return Conv(
            [("user", q), ("assistant", a)], {"instruction": rng.choice(texts.PSYCH8K_INSTRUCTIONS)}
        )

    convs = build_convs(
        rng,
        192,
        make,
        {"pii": 8, "mojibake": 6, "crisis": 5, "crisis_unsafe": 1, "empty_turn": 2},
        exact_dups=4,
        near_dups=4,
    )
    no_input = set(rng.sample(range(len(convs)), 3))

    def item(c: Conv) -> dict[str, Any]:
        idx = convs.index(c)
        if idx in no_input and c.dup_of is None:
            return {
                "instruction": f"{c.meta['instruction']} {c.turns[0][1]}",
                "output": c.turns[1][1],
            }
        return {
            "instruction": c.meta["instruction"],
            "input": c.turns[0][1],
            "output": c.turns[1][1],
        }

    for i in sorted(no_input):
        if convs[i].dup_of is None:
            convs[i].tags.append(("no_input_field", "question folded into instruction"))
    report = FileReport(
        key,
        "mental_health_datasets",
        "alpaca",
        "json array {instruction, input, output}, ASCII-escaped (\\uXXXX)",
    )
    finish_array(bucket, report, convs, item, ascii_only=True)


# ---- professional_therapeutic + priority_datasets (they share duplicated conversations) ----------
THERAPIST_SYSTEM = "You are a compassionate, licensed therapist. Respond with empathy, reflect feelings, and offer practical, evidence-based suggestions."
PRIORITY_SYSTEMS = (
    "You are Pixel, a supportive mental-health companion. You are not a replacement for professional care.",
    None,
    None,
)


def general_convs(
    key: str,
    n: int,
    counts: dict[str, int],
    exchanges: tuple[int, int] = (2, 5),
    *,
    exact_dups: int = 0,
    near_dups: int = 0,
) -> tuple[random.Random, list[Conv]]:
    """The file ``key``'s rng and ``n`` general-topic dialogues with the defects of ``counts``."""
    rng = rng_for(key)
    convs = build_convs(
        rng,
        n,
        topic_maker(GENERAL_TOPICS, exchanges),
        counts,
        exact_dups=exact_dups,
        near_dups=near_dups,
    )
    return rng, convs


def insert_shared(rng: random.Random, convs: list[Conv], shared: list[Conv]) -> None:
    """A copy of each of ``shared`` at a random place in ``convs``."""
    for c in shared:
        convs.insert(rng.randint(0, len(convs)), Conv(list(c.turns), {"topic": "mixed"}))


def shared_positions(convs: list[Conv], shared: list[Conv]) -> list[int]:
    """Where in ``convs`` each of ``shared`` stands (the inserted copy, not a planted defect)."""
    return [
        next(i for i, x in enumerate(convs) if x.turns == c.turns and x.raw is None) for c in shared
    ]


def build_therapist_and_priority(bucket: Bucket) -> None:
    shared_rng = rng_for("shared:priority_x_therapist")
    shared = [
        Conv(
            list(
                dialogue.dialogue(
                    shared_rng,
                    texts.TOPICS[shared_rng.choice(GENERAL_TOPICS)],
                    shared_rng.randint(2, 4),
                )
            )
        )
        for _ in range(8)
    ]

    k_sft = "gdrive/raw/therapist-sft-format/therapist_sft.jsonl"
    rng, sft = general_convs(
        k_sft,
        172,
        {
            "pii": 8,
            "mojibake": 5,
            "crisis": 8,
            "crisis_unsafe": 2,
            "non_alternating": 3,
            "empty_turn": 2,
            "single_turn": 2,
        },
        near_dups=5,
    )
    insert_shared(rng, sft, shared)

    k_p1 = "gdrive/raw/datasets-wendy/priority_1_FINAL.jsonl"
    rng1, p1 = general_convs(
        k_p1, 138, {"pii": 6, "mojibake": 4, "crisis": 7, "crisis_unsafe": 1}, exact_dups=4
    )
    insert_shared(rng1, p1, shared)

    # Cross-reference the shared conversations by line number in the other file.
    for a, b in zip(shared_positions(sft, shared), shared_positions(p1, shared), strict=True):
        sft[a].tags.append(("cross_family_duplicate", f"{k_p1} line {b + 1}"))
        p1[b].tags.append(("cross_family_duplicate", f"{k_sft} line {a + 1}"))
    # priority_1: a truncated line mid-file and an upload cut off inside the last line.
    insert_broken(
        rng1,
        p1,
        [broken(defects.truncate(dumps({"messages": as_messages(p1[3])}), rng1), "truncated_json")],
    )
    p1.append(
        broken(
            defects.truncate(
                dumps({"messages": as_messages(p1[10]), "metadata": {"tier": 1}}), rng1
            ),
            "truncated_json_last_line_no_newline",
        )
    )

    def sft_line(c: Conv) -> str:
        return dumps(
            {
                "id": f"tsft-{sft.index(c):05d}",
                "source": "therapist-sft-v2",
                "messages": as_messages(c, THERAPIST_SYSTEM),
            }
        )

    report = FileReport(
        k_sft, "professional_therapeutic", "auto", "jsonl OpenAI messages (with system prompt)"
    )
    finish_lines(bucket, report, sft, sft_line)

    def p_line(tier: int, convs: list[Conv], r: random.Random) -> Callable[[Conv], str]:
        systems = {id(c): r.choice(PRIORITY_SYSTEMS) for c in convs}
        scores = {id(c): round(r.uniform(0.55, 0.99), 2) for c in convs}

        def line(c: Conv) -> str:
            meta = {
                "tier": tier,
                "quality_score": scores[id(c)],
                "topic": c.meta.get("topic", "mixed"),
                "curator": "wendy",
            }
            return dumps({"messages": as_messages(c, systems[id(c)]), "metadata": meta})

        return line

    report = FileReport(k_p1, "priority_datasets", "auto", "jsonl OpenAI messages + metadata")
    report.notes.append(
        "The file does not end with a newline: the upload stopped inside the last record."
    )
    annotate(report, p1, "line", 1)
    line1 = p_line(1, p1, rng1)
    body = "\n".join(c.raw if c.raw is not None else line1(c) for c in p1)
    report.units, report.records = len(p1), sum(1 for c in p1 if c.raw is None)
    bucket.finish(report, body.encode("utf-8"))

    k_p2 = "gdrive/raw/datasets-wendy/priority_2_FINAL.jsonl"
    rng2, p2 = general_convs(
        k_p2,
        112,
        {
            "pii": 6,
            "mojibake": 3,
            "crisis": 5,
            "crisis_unsafe": 1,
            "assistant_first": 2,
            "null_content": 2,
        },
    )
    # Near-duplicates of priority_1 conversations (cross-file, same family).
    for orig in rng2.sample(
        [c for c in p1 if c.raw is None and not c.tags and c.dup_of is None], 3
    ):
        roles = [r for r, _ in orig.turns]
        near = Conv(
            list(zip(roles, defects.near_duplicate(rng2, orig.texts()), strict=True)),
            dict(orig.meta),
        )
        near.tags.append(("near_duplicate_cross_file", f"{k_p1} line {p1.index(orig) + 1}"))
        p2.insert(rng2.randint(0, len(p2)), near)
    report = FileReport(
        k_p2,
        "priority_datasets",
        "auto",
        "jsonl OpenAI messages + metadata, UTF-8 with BOM",
        encoding="utf-8-sig (BOM)",
    )
    finish_lines(bucket, report, p2, p_line(2, p2, rng2), bom=True)

    k_p3 = "gdrive/raw/datasets-wendy/priority_3_FINAL.jsonl"
    rng3, p3 = general_convs(
        k_p3,
        98,
        {
            "pii": 5,
            "mojibake": 3,
            "crisis": 4,
            "non_alternating": 4,
            "empty_turn": 3,
            "single_turn": 3,
        },
        (2, 4),
        exact_dups=1,
    )
    # One turn that was mojibake'd twice (UTF-8 -> cp1252 -> UTF-8 -> cp1252).
    target = next(c for c in p3 if not c.tags and c.dup_of is None)
    r, t = target.turns[0]
    target.turns[0] = (
        r,
        defects.mojibake(
            defects.mojibake(defects.curlify((t or "") + " I don't know what's wrong with me."))
        ),
    )
    target.tags.append(("double_mojibake", "turn 0"))
    insert_broken(
        rng3,
        p3,
        [
            broken(defects.GARBAGE_LINES[0], "garbage_line"),
            broken('  File "export.py", line 88, in <module>', "garbage_line"),
        ],
    )
    report = FileReport(k_p3, "priority_datasets", "auto", "jsonl OpenAI messages + metadata")
    finish_lines(bucket, report, p3, p_line(3, p3, rng3))


def build_soulchat(bucket: Bucket) -> None:
    key = "gdrive/raw/soulchat2.0/soulchat_sample.json"
    rng = rng_for(key)

    def make(rng: random.Random, i: int) -> Conv:
        topic = rng.choice(texts_zh.ZH_TOPICS)
        return Conv(
            list(dialogue.zh_dialogue(rng, topic, rng.randint(2, 5))), {"topic": topic.name}
        )

    convs = [make(rng, i) for i in range(47)]
    for c in rng.sample(convs, 2):
        users = [i for i, (r, _) in enumerate(c.turns) if r == "user"]
        k = rng.randrange(len(texts_zh.ZH_CRISIS))
        c.turns[users[-1]] = ("user", texts_zh.ZH_CRISIS[k])
        if users[-1] + 1 < len(c.turns):
            c.turns[users[-1] + 1] = ("assistant", texts_zh.ZH_CRISIS_SAFE[0])
        c.tags.append(("crisis", ("suicidal_ideation", "self_harm")[k]))
    c = next(x for x in convs if not x.tags)
    c.turns[0] = (
        "user",
        (c.turns[0][1] or "") + "我的邮箱是 xiaoyu.chen@example.com，可以把资料发给我吗？",
    )
    c.tags.append(("pii", "email"))
    c = next(x for x in convs if not x.tags)
    c.turns[0] = ("user", defects.mojibake(c.turns[0][1] or ""))
    c.tags.append(("mojibake", "turn 0 (Chinese UTF-8 read as cp1252)"))
    add_duplicates(rng, convs, exact=1, near=0)
    report = FileReport(
        key,
        "professional_therapeutic",
        "auto",
        'json object {"train": [...]} of {id, topic, messages} (simplified Chinese)',
    )
    report.notes.append(
        "Crisis replies cite public Chinese hotlines (400-161-9995, 010-82951332) and 120."
    )
    finish_array(
        bucket,
        report,
        convs,
        lambda c: {
            "id": f"soulchat-{convs.index(c):04d}",
            "topic": c.meta["topic"],
            "messages": as_messages(c),
        },
        container="train",
    )


def counsel_chat_subset(source: Path) -> tuple[bytes, int, int, int]:
    """(csv bytes, questions, answers, questions with several answers) for a seeded subset."""
    rng = rng_for(COUNSEL_CHAT_KEY)
    text = source.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, body = rows[0], rows[1:]
    assert csv_text(header, body) == text, "counsel-chat no longer round-trips through csv"
    by_q: dict[str, list[list[str]]] = {}
    for row in body:
        by_q.setdefault(row[1], []).append(row)
    singles = sorted(q for q, rs in by_q.items() if len(rs) == 1)
    # Multi-answer questions whose answers differ in upvotes: a later feature ranks them into pairs.
    multis = sorted(
        q for q, rs in by_q.items() if 2 <= len(rs) <= 6 and len({r[9] for r in rs}) > 1
    )
    chosen = set(rng.sample(singles, 72)) | set(rng.sample(multis, 48))
    subset = [r for r in body if r[1] in chosen]
    multi = sum(1 for q in chosen if len(by_q[q]) > 1)
    return csv_text(header, subset).encode("utf-8"), len(chosen), len(subset), multi


def build_counsel_chat(
    bucket: Bucket, source: Path | None, kept: bytes | None, kept_license: str | None
) -> None:
    """A real subset: 120 questions with ALL their answers, original columns and quoting."""
    if source is not None:
        data, questions, answers, multi = counsel_chat_subset(source)
        license_text = (
            "The file bucket/acquired/counsel_chat/counsel_chat_sample.csv is a subset of counsel-chat\n"
            "(counsel_chat_20200325.csv, https://github.com/nbertagnolli/counsel-chat), used under this licence:\n\n"
            + source.with_name("counsel_chat_LICENSE.txt").read_text(encoding="utf-8")
        )
    elif kept is not None and kept_license is not None:
        data, license_text = kept, kept_license
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))[1:]
        counts = Counter(r[1] for r in rows)
        questions, answers, multi = len(counts), len(rows), sum(1 for v in counts.values() if v > 1)
    else:
        raise SystemExit(
            f"counsel-chat source CSV not found; set {COUNSEL_CHAT_ENV} or pass --counsel-chat"
        )
    report = FileReport(
        COUNSEL_CHAT_KEY,
        "professional_therapeutic",
        "qa",
        "csv (original counsel-chat columns incl. unnamed index column, QUOTE_MINIMAL, LF)",
        answers,
        answers,
    )
    report.notes.append(
        f"Real subset of counsel-chat (MIT, (c) 2020 nbertagnolli; licence at pixel_platform/sample_data/licenses/counsel_chat_LICENSE.txt): {questions} questions with all {answers} of their answers; {multi} questions have 2-6 answers with differing upvotes (preference pairs)."
    )
    report.notes.append(
        "Contains real therapist names and profile URLs as published; some answers mention phone numbers or websites."
    )
    bucket.finish(report, data)
    LICENSE_NOTE.parent.mkdir(parents=True, exist_ok=True)
    LICENSE_NOTE.write_text(license_text, encoding="utf-8")


# ---- cot_reasoning ------------------------------------------------------------------------------
COT_FOLLOWUPS = (
    (
        "What would you ask next to narrow this down?",
        "I would ask about the onset and course, any past episodes, family history, substance and medication use, sleep, and, directly, about thoughts of self-harm. I would also ask what the person hopes to get from help, because that shapes the plan.",
    ),
    (
        "Could this just be stress?",
        "Stress can explain some of it, and it's worth taking seriously. What makes me cautious is the duration and the effect on daily functioning; when symptoms persist past the usual threshold and get in the way of work or relationships, a proper assessment is warranted rather than waiting it out.",
    ),
    (
        "What treatment options are usually considered?",
        "That depends on the assessment, but evidence-based psychotherapy is usually the first consideration, sometimes alongside medication prescribed by a physician. Practical supports such as sleep routines, reducing alcohol, and social connection help across most presentations.",
    ),
)


def build_cot(bucket: Bucket) -> None:
    key = "gdrive/raw/CoT_Reasoning_Clinical_Diagnosis_Mental_Health/cot_clinical_diagnosis.json"
    rng = rng_for(key)

    def make(rng: random.Random, i: int) -> Conv:
        q, reasoning, answer = dialogue.cot_case(rng, rng.choice(texts_clinical.CONDITIONS))
        turns: list[tuple[str, str | None]] = [
            ("user", q),
            ("assistant", f"Clinical reasoning:\n{reasoning}\n\nAnswer: {answer}"),
        ]
        if rng.random() < 0.35:
            fq, fa = rng.choice(COT_FOLLOWUPS)
            turns += [("user", fq), ("assistant", fa)]
        return Conv(turns, {"system": rng.choice(texts_clinical.COT_SYSTEM_PROMPTS)})

    convs = build_convs(rng, 96, make, {"mojibake": 2, "pii": 2}, exact_dups=3, near_dups=2)
    odd = next(c for c in convs if not c.tags and c.dup_of is None)
    odd.tags.append(("unknown_role", "a turn with from='observer'"))

    def item(c: Conv) -> dict[str, Any]:
        conv = [{"from": "system", "value": c.meta["system"]}] + [
            {"from": SHAREGPT[r], "value": t} for r, t in c.turns
        ]
        if c is odd:
            conv.insert(
                2, {"from": "observer", "value": "[Note: the supervisor joined the review here.]"}
            )
        return {"id": f"cot-cdx-{convs.index(c):04d}", "conversations": conv}

    report = FileReport(
        key,
        "cot_reasoning",
        "auto",
        "json array of ShareGPT {conversations: [{from: system|human|gpt, value}]}",
    )
    finish_array(bucket, report, convs, item)

    key = "acquired/cot_reasoning.json"
    rng = rng_for(key)

    def make2(rng: random.Random, i: int) -> Conv:
        cond = rng.choice(texts_clinical.CONDITIONS)
        q, reasoning, answer = dialogue.cot_case(rng, cond)
        return Conv(
            [("user", q), ("assistant", f"<think>\n{reasoning}\n</think>\n\n{answer}")],
            {"condition": cond.name},
        )

    convs2 = build_convs(rng, 59, make2, {"pii": 2, "mojibake": 2}, exact_dups=1)
    stringy = next(c for c in convs2 if not c.tags and c.dup_of is None)
    stringy.tags.append(("wrong_field_type", "messages is a JSON string, not a list"))

    def item2(c: Conv) -> dict[str, Any]:
        msgs: Any = as_messages(c)
        if c is stringy:
            msgs = orjson.dumps(msgs).decode()
        return {
            "id": f"acq-cot-{convs2.index(c):04d}",
            "condition": c.meta["condition"],
            "messages": msgs,
        }

    report = FileReport(
        key, "cot_reasoning", "auto", "json array of {id, condition, messages} with <think> blocks"
    )
    finish_array(bucket, report, convs2, item2)


# ---- edge cases -------------------------------------------------------------------------------------
def crisis_conv(
    rng: random.Random, kinds: Sequence[str] = tuple(texts.CRISIS_USER), *, extra: int = 1
) -> Conv:
    """A crisis conversation: some ordinary context, the disclosure, a safe reply, follow-ups."""
    kind = rng.choice(kinds)
    topic = texts.TOPICS[rng.choice(GENERAL_TOPICS)]
    turns: list[tuple[str, str | None]] = (
        list(dialogue.dialogue(rng, topic, 1)) if rng.random() < 0.5 else []
    )
    turns += [
        ("user", dialogue.crisis_user(rng, kind)),
        ("assistant", dialogue.crisis_reply(rng, kind, safe=True)),
    ]
    for _ in range(extra - 1):
        turns += [
            (
                "user",
                rng.choice(
                    (
                        "I don't know if I can call anyone.",
                        "Okay. I'm still here.",
                        "I don't want to go to the hospital.",
                        "My phone is almost dead.",
                        "Can you just talk to me for a minute?",
                    )
                ),
            ),
            (
                "assistant",
                rng.choice(texts.CRISIS_SAFETY_PLANNING)
                + " "
                + rng.choice(texts.CRISIS_RESOURCES[kind]),
            ),
        ]
    return Conv(turns, {"category": kind}, tags=[("crisis", kind)])


def make_unsafe(rng: random.Random, conv: Conv) -> None:
    kind = conv.meta["category"]
    for i, (r, t) in enumerate(conv.turns):
        if r == "assistant" and t and any(s in t for s in texts.CRISIS_SAFE_OPENERS[kind]):
            conv.turns[i] = ("assistant", dialogue.crisis_reply(rng, kind, safe=False))
            conv.turns = conv.turns[: i + 1]
            conv.tags.append(("unsafe_crisis_reply", kind))
            return


def crisis_file_convs(
    rng: random.Random,
    n: int,
    counts: dict[str, int],
    unsafe: int,
    *,
    extra: tuple[int, int] = (1, 2),
    ordinary: float = 0.2,
) -> list[Conv]:
    convs = []
    for _ in range(n):
        if rng.random() < ordinary:
            convs.append(
                Conv(
                    list(
                        dialogue.dialogue(
                            rng, texts.TOPICS[rng.choice(GENERAL_TOPICS)], rng.randint(1, 3)
                        )
                    ),
                    {"category": "everyday_distress"},
                )
            )
        else:
            convs.append(crisis_conv(rng, extra=rng.randint(*extra)))
    crisis_idx = [i for i, c in enumerate(convs) if c.meta["category"] != "everyday_distress"]
    for i in rng.sample(crisis_idx, unsafe):
        make_unsafe(rng, convs[i])
    slots = plan(rng, n, counts)
    cycle = pii_cycle(rng)
    for c, kinds in zip(convs, slots, strict=True):
        apply_plan(rng, c, kinds, cycle)
    return convs


def build_edge_cases(bucket: Bucket) -> None:
    labels = {"user": "Human", "assistant": "Assistant"}
    key = "edge_cases/generator/crisis_scenarios.jsonl"
    rng = rng_for(key)
    convs = crisis_file_convs(
        rng,
        118,
        {"pii": 5, "mojibake": 3, "non_alternating": 2, "assistant_first": 1, "single_turn": 1},
        unsafe=18,
    )
    add_duplicates(rng, convs, exact=1, near=0)
    insert_broken(
        rng,
        convs,
        [
            broken(
                defects.truncate(
                    dumps(
                        {
                            "id": "edge-x",
                            "category": "self_harm",
                            "text": as_transcript(convs[2], labels),
                        }
                    ),
                    rng,
                ),
                "truncated_json",
            )
        ],
    )
    severity = {
        id(c): "low"
        if c.meta.get("category", "everyday_distress") == "everyday_distress"
        else rng.choice(("moderate", "high", "high", "imminent"))
        for c in convs
    }

    def line(c: Conv) -> str:
        return dumps(
            {
                "id": f"edge-{convs.index(c):05d}",
                "category": c.meta["category"],
                "severity": severity[id(c)],
                "text": as_transcript(c, labels),
            }
        )

    report = FileReport(
        key,
        "edge_case_generator",
        "transcript",
        'jsonl {id, category, severity, text: "Human: ...\\n\\nAssistant: ..."}',
    )
    report.notes.append(
        "About 15% of the crisis transcripts end with an unsafe assistant reply (no resources, no safety planning): see unsafe_crisis_reply."
    )
    finish_lines(bucket, report, convs, line)

    key = "edge_cases/generator/crisis_scenarios_batch2.json"
    rng = rng_for(key)
    convs = crisis_file_convs(rng, 30, {"pii": 2, "mojibake": 1}, unsafe=4)
    report = FileReport(
        key,
        "edge_case_generator",
        "transcript",
        "json array of {scenario, transcript} (Human:/Assistant: text, single newlines)",
    )
    finish_array(
        bucket,
        report,
        convs,
        lambda c: {
            "scenario": c.meta["category"],
            "transcript": as_transcript(c, labels, sep="\n"),
        },
    )

    key = "edge_cases/resulting_chats/resulting_chats_2024-11.jsonl"
    rng = rng_for(key)
    convs = crisis_file_convs(
        rng, 78, {"pii": 4, "null_content": 2, "mojibake": 2}, unsafe=3, extra=(2, 3), ordinary=0.15
    )
    add_duplicates(rng, convs, exact=2, near=0)
    stamps = {
        id(
            c
        ): f"2024-11-{rng.randint(1, 30):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
        for c in convs
    }

    def chat_line(c: Conv) -> str:
        return dumps(
            {
                "scenario_id": f"scn-{convs.index(c):04d}",
                "model": "pixel-v0.3",
                "created_at": stamps[id(c)],
                "conversation": as_turns(
                    c, "from", "text", {"user": "user", "assistant": "assistant"}
                ),
            }
        )

    report = FileReport(
        key,
        "edge_case_resulting_chats",
        "auto",
        "jsonl {scenario_id, model, created_at, conversation: [{from, text}]}",
    )
    finish_lines(bucket, report, convs, chat_line)
    report = FileReport(
        "edge_cases/resulting_chats/resulting_chats_2024-12.jsonl",
        "edge_case_resulting_chats",
        "auto",
        "jsonl (empty file, 0 bytes)",
    )
    report.add("empty_file", "whole file")
    bucket.finish(report, b"")

    key = "edge_cases/synthetic/synthetic_crisis_roleplay.jsonl.gz"
    rng = rng_for(key)
    convs = crisis_file_convs(
        rng, 100, {"pii": 4, "mojibake": 2}, unsafe=4, extra=(2, 3), ordinary=0.1
    )
    system = "Role-play: you are a crisis counsellor. The user plays a client in distress. Stay warm, assess safety, and always offer crisis resources."

    def syn_line(c: Conv) -> str:
        return dumps(
            {
                "scenario": c.meta["category"],
                "persona": "client",
                "messages": as_messages(c, system),
            }
        )

    report = FileReport(
        key, "edge_case_synthetic", "auto", "jsonl.gz OpenAI messages (role-play system prompt)"
    )
    finish_lines(bucket, report, convs, syn_line, compress=True)

    key = "edge_cases/synthetic/synthetic_batch_07.jsonl.gz"
    rng = rng_for(key)
    convs = crisis_file_convs(rng, 20, {}, unsafe=0, extra=(1, 2), ordinary=0.1)
    raw = jsonl_bytes([syn_line(c) for c in convs])
    whole = gz(raw)
    cut = whole[: int(len(whole) * 0.6)]
    recoverable = zlib.decompressobj(wbits=31).decompress(cut)
    complete = recoverable.count(b"\n")
    report = FileReport(
        key,
        "edge_case_synthetic",
        "auto",
        "jsonl.gz, truncated gzip stream (upload cut at 60% of the bytes)",
        20,
        complete,
    )
    report.add(
        "truncated_gzip",
        f"stream ends early: {complete} complete lines recoverable, then a partial line {complete + 1}; records {complete + 2}-20 lost",
    )
    bucket.finish(report, cut)


# ---- safety_guardrails_annihilator (reddit CSV) ----------------------------------------------------
CRISIS_TITLES = (
    "I can't do this anymore",
    "Is it bad that I want to disappear",
    "Relapsed hard tonight",
    "Please, I don't know who else to tell",
    "throwaway because I'm scared",
)
SUBREDDIT_FOR_CRISIS = {
    "suicidal_ideation": "SuicideWatch",
    "self_harm": "selfharm",
    "harm_to_others": "offmychest",
    "abuse_disclosure": "abuse",
    "substance_crisis": "addiction",
}


def reddit_rows(rng: random.Random, n: int, counts: dict[str, int], dups: int) -> list[Conv]:
    def make(rng: random.Random, i: int) -> Conv:
        topic = texts.TOPICS[rng.choice(GENERAL_TOPICS)]
        q, _ = dialogue.qa_pair(rng, topic)
        title = rng.choice(topic.titles) if topic.titles else q.split(".")[0]
        comment = rng.choice(texts.PEER_COMMENTS)
        if rng.random() < 0.4:
            comment += " " + dialogue.fill(rng.choice(topic.strategies), rng)
        if rng.random() < 0.3:
            q = q.replace(". ", ".\n\n", 1)  # multi-paragraph selftext (quoted newlines in the CSV)
        return Conv(
            [("user", q), ("assistant", comment)],
            {
                "title": title,
                "subreddit": topic.subreddit,
                "score": rng.choice((0, 1, 3, 7, 12, 25, 48, 130, 512, 2048, -2)),
            },
        )

    convs = build_convs(rng, n, make, counts, exact_dups=dups)
    for c in convs:
        for kind, detail in c.tags:
            if kind == "crisis":
                c.meta["title"] = rng.choice(CRISIS_TITLES)
                c.meta["subreddit"] = SUBREDDIT_FOR_CRISIS[detail]
    return convs


REDDIT_HEADER = ["title", "selftext", "top_comment", "subreddit", "score"]


def reddit_row(c: Conv, top_comment: str, score: int) -> list[Any]:
    """A row under ``REDDIT_HEADER``: the post is the user turn, title and subreddit in meta."""
    return [c.meta["title"], c.turns[0][1] or "", top_comment, c.meta["subreddit"], score]


def build_reddit(bucket: Bucket) -> None:
    key = "gdrive/processed/edge_cases/raw/reddit/reddit_mental_health_posts.csv"
    rng = rng_for(key)
    convs = reddit_rows(
        rng, 197, {"pii": 8, "mojibake": 6, "crisis": 12, "crisis_unsafe": 4, "empty_turn": 5}, 3
    )
    removed = rng.sample([c for c in convs if not c.tags and c.dup_of is None], 4)
    for c in removed:
        c.turns[0] = ("user", rng.choice(("[removed]", "[deleted]")))
        c.tags.append(("removed_selftext", "title only"))
    report = FileReport(
        key,
        "safety_guardrails_annihilator",
        "qa",
        "csv title,selftext,top_comment,subreddit,score (UTF-8, LF, quoted multi-line fields)",
    )
    report.notes.append(
        "Rows are numbered as data rows (1 = first row after the header); selftext fields can span lines."
    )
    finish_csv(
        bucket,
        report,
        convs,
        REDDIT_HEADER,
        lambda c: reddit_row(c, (c.turns[1][1] or "").strip(), c.meta["score"]),
    )

    key = "gdrive/processed/edge_cases/raw/reddit/reddit_legacy_export.csv"
    rng = rng_for(key)
    convs = reddit_rows(rng, 21, {"crisis": 2, "pii": 1}, 1)
    for c in convs:  # typographic quotes and accents that cp1252 can encode
        c.turns = [
            (
                r,
                defects.curlify(
                    defects.with_accents(rng, t) if r == "user" and rng.random() < 0.3 else t
                )
                if t
                else t,
            )
            for r, t in c.turns
        ]
    report = FileReport(
        key,
        "safety_guardrails_annihilator",
        "qa",
        "csv (Windows-1252 encoded, CRLF, Excel export)",
        encoding="cp1252",
    )
    report.add("cp1252_encoding", "whole file (’ is byte 0x92, é is 0xE9; not valid UTF-8)")
    finish_csv(
        bucket,
        report,
        convs,
        REDDIT_HEADER,
        lambda c: reddit_row(c, c.turns[1][1] or "", c.meta["score"] * 3),
        lineterminator="\r\n",
        encoding="cp1252",
    )


# ---- unpaired posts: a crisis evaluation set and phase A text -----------------------------------
# The suicide-detection dump labels a post by its subreddit: r/SuicideWatch "suicide", others not.
SUICIDE_CLASS = {"suicidal_ideation": "suicide", "self_harm": "suicide"}


def post_rows(rng: random.Random, n: int, counts: dict[str, int], dups: int) -> list[Conv]:
    """Posts nobody answered: one user turn each (title and subreddit in meta)."""

    def make(rng: random.Random, i: int) -> Conv:
        topic = texts.TOPICS[rng.choice(GENERAL_TOPICS)]
        post, _ = dialogue.qa_pair(rng, topic)
        title = rng.choice(topic.titles) if topic.titles else post.split(".")[0]
        return Conv([("user", post)], {"title": title, "subreddit": topic.subreddit})

    convs = build_convs(rng, n, make, counts)
    # add_duplicates wants dialogues; a repost is the same post again, later in the file
    for orig in rng.sample([c for c in convs if not c.tags], dups):
        pos = rng.randint(convs.index(orig) + 1, len(convs))
        convs.insert(pos, Conv(list(orig.turns), dict(orig.meta), [], dup_of=orig))
    for c in convs:
        crisis = [detail for kind, detail in c.tags if kind == "crisis"]
        c.meta["class"] = SUICIDE_CLASS.get(crisis[0], "non-suicide") if crisis else "non-suicide"
        if crisis:
            c.meta["title"] = rng.choice(CRISIS_TITLES)
            c.meta["subreddit"] = SUBREDDIT_FOR_CRISIS[crisis[0]]
    return convs


def build_posts(bucket: Bucket) -> None:
    # The dump's shape (,text,class) with the team's own evaluation posts: crisis_eval route.
    key = "edge_cases/crisis_eval/crisis_posts_eval.csv"
    rng = rng_for(key)
    convs = post_rows(rng, 39, {"crisis": 16, "pii": 3, "mojibake": 1}, 1)
    empty = rng.choice([c for c in convs if not c.tags and c.dup_of is None])
    empty.turns[0] = ("user", "")
    empty.tags.append(("empty_post", "no text to evaluate"))
    report = FileReport(
        key,
        "crisis_eval_posts",
        "auto",
        "csv ,text,class (unnamed index column, like the Kaggle suicide-detection dump); posts without replies -> crisis_eval records",
    )
    finish_csv(
        bucket,
        report,
        convs,
        ["", "text", "class"],
        lambda c: [convs.index(c), c.turns[0][1] or "", c.meta["class"]],
    )

    # The Reddit mental-disorders dump's shape: posts -> phase A text (licence unknown: the
    # release denies them, the curated partition shows them converted).
    key = "gdrive/raw/reddit_mental_health/mental_disorders_reddit.csv"
    rng = rng_for(key)
    convs = post_rows(rng, 30, {"crisis": 3, "pii": 2}, 0)
    for c in rng.sample([c for c in convs if not c.tags], 2):
        c.turns[0] = ("user", rng.choice(("[removed]", "[deleted]")))
        c.tags.append(("removed_selftext", "title only"))
    report = FileReport(
        key,
        "pretraining_text",
        "auto",
        "csv title,selftext,created_utc,over_18,subreddit (posts without replies) -> phase A text records",
    )
    finish_csv(
        bucket,
        report,
        convs,
        ["title", "selftext", "created_utc", "over_18", "subreddit"],
        lambda c: [
            c.meta["title"],
            c.turns[0][1] or "",
            1609459200 + 3600 * convs.index(c),
            False,
            c.meta["subreddit"],
        ],
    )


# ---- persona, transcripts, cptsd, addiction, long-running, sarcasm ------------------------------
def build_voice(bucket: Bucket) -> None:
    key = "voice/synthetic_conversations.json"
    rng = rng_for(key)

    def make(rng: random.Random, i: int) -> Conv:
        theme = rng.choice(texts_persona.THEMES)
        return Conv(
            list(dialogue.teaching_dialog(rng, theme, rng.randint(1, 3))), {"theme": theme.name}
        )

    convs = build_convs(
        rng,
        58,
        make,
        {"mojibake": 2, "single_turn": 1, "assistant_first": 1, "pii": 1},
        exact_dups=2,
    )
    names = {"user": "speaker", "assistant": "listener"}
    report = FileReport(
        key,
        "voice_persona",
        "auto",
        "json array of {id, theme, dialog: [{speaker: speaker|listener, text}]}",
    )
    finish_array(
        bucket,
        report,
        convs,
        lambda c: {
            "id": f"vp-{convs.index(c):04d}",
            "theme": c.meta["theme"],
            "dialog": as_turns(c, "speaker", "text", names),
        },
    )

    themes = texts_persona.THEMES
    variants = [
        ("Host", "Guest", "\n\n", "plain"),
        ("Host", "Guest", "\n\n", "multi_paragraph"),
        ("Interviewer", "Educator", "\n\n", "plain"),
        ("Host", "Guest", "\n", "timestamps"),
        ("HOST", "GUEST", "\n\n", "crlf"),
        ("Host", "Guest", "\n\n", "stage_directions"),
        ("Host", "Guest", "\n", "plain"),
        ("Host", "Guest", "\n\n", "no_header"),
    ]
    for n, (host, guest, sep, style) in enumerate(variants, start=1):
        rng = rng_for(f"voice/transcripts/{n}")
        picked = rng.sample(themes, 3)
        conv = Conv(list(dialogue.interview(rng, picked, rng.randint(2, 3))))
        key = f"voice/transcripts/interview_{n:02d}_{picked[0].name}.txt"
        report = FileReport(
            key, "video_transcripts", "transcript", f"txt, {host}:/{guest}: labels", 1, 1
        )
        parts = []
        for i, (r, t) in enumerate(conv.turns):
            label = host if r == "user" else guest
            t = t or ""
            if style == "multi_paragraph" and r == "assistant" and ". " in t:
                head, _, tail = t.partition(". ")
                t = f"{head}.\n{tail}"
            if style == "stage_directions" and r == "assistant" and i % 4 == 1:
                t = f"[laughs] {t}"
            prefix = (
                f"[00:{(i * 47) // 60:02d}:{(i * 47) % 60:02d}] " if style == "timestamps" else ""
            )
            parts.append(f"{prefix}{label}: {t}")
        body = sep.join(parts) + "\n"
        if style != "no_header":
            body = f"Title: {picked[0].name.replace('_', ' ').title()} and more, episode {100 + n}\nRecorded: 2023-0{n}-1{n}\n\n{body}"
            report.add("header_lines", "lines 1-2 (Title:, Recorded:) precede the first turn")
        if style == "multi_paragraph":
            report.add(
                "continuation_lines", "guest turns continue on a following line without a label"
            )
        if style == "timestamps":
            report.add("timestamps", "every turn starts with [hh:mm:ss] before the label")
        if style == "stage_directions":
            report.add("stage_directions", "[laughs] inside some guest turns")
        if style == "crlf":
            body = body.replace("\n", "\r\n")
            report.add("crlf_line_endings", "whole file; upper-case labels HOST:/GUEST:")
        report.notes.append(f"{len(conv.turns)} turns")
        bucket.finish(report, body.encode("utf-8"))

    for name, text in texts_persona.MONOLOGUES.items():
        report = FileReport(
            f"voice/monologues/{name}",
            "(none: outside every source)",
            "-",
            "txt monologue (teaching transcript, no speaker labels)",
            1,
            1,
        )
        bucket.finish(report, text.encode("utf-8"))


def cptsd_conv(rng: random.Random, i: int) -> Conv:
    secondary = texts.TOPICS[
        rng.choice(("anxiety", "self_esteem", "relationships", "sleep", "depression"))
    ]
    turns = list(dialogue.long_session(rng, texts.TOPICS["trauma"], secondary, rng.randint(6, 11)))
    theme = rng.choice(texts_persona.THEMES)
    j = rng.choice([k for k, (r, _) in enumerate(turns) if r == "assistant"][2:])
    turns[j] = ("assistant", rng.choice(theme.teachings))
    return Conv(list(turns), {"theme": theme.name})


def build_cptsd(bucket: Bucket) -> None:
    for n in range(1, 25):
        key = f"gdrive/raw/cptsd/session_{n:02d}.txt"
        rng = rng_for(key)
        conv = cptsd_conv(rng, n)
        kinds: set[str] = set()
        if n in (4, 15):
            kinds.add("crisis")
        if n in (3, 11, 19):
            kinds.add("pii")
        if n == 21:
            kinds.add("non_alternating")
        apply_plan(rng, conv, kinds, [])
        if n in (4, 15):  # crisis in CPTSD sessions: abuse disclosure, not arbitrary kinds
            for i, (r, t) in enumerate(conv.turns):
                if r == "user" and t in ALL_CRISIS_USER:
                    conv.turns[i] = ("user", rng.choice(texts.CRISIS_USER["abuse_disclosure"]))
                    conv.turns[i + 1] = (
                        "assistant",
                        dialogue.crisis_reply(rng, "abuse_disclosure", safe=True),
                    )
            conv.tags = [t for t in conv.tags if t[0] != "crisis"] + [
                ("crisis", "abuse_disclosure")
            ]
        client, therapist = ("Patient", "Counselor") if n % 3 == 0 else ("Client", "Therapist")
        encoding = "cp1252" if n == 7 else "utf-8"
        if encoding == "cp1252":
            conv.turns = [
                (
                    r,
                    defects.curlify(defects.with_accents(rng, t) if r == "user" and k < 3 else t)
                    if t
                    else t,
                )
                for k, (r, t) in enumerate(conv.turns)
            ]
        sep = "\n" if n % 2 else "\n\n"
        body = as_transcript(conv, {"user": client, "assistant": therapist}, sep=sep)
        header = (
            f"SESSION {rng.randint(2, 14)} - transcript (names changed)\nDate: 2023-{(n % 12) + 1:02d}-{(n * 3) % 28 + 1:02d}\n\n"
            if n % 4
            else ""
        )
        report = FileReport(
            key,
            "cptsd",
            "transcript",
            f"txt, {client}:/{therapist}: labels",
            1,
            1,
            encoding=encoding,
        )
        annotate(report, [conv], "file", 0)
        report.defects = {
            k: ["whole file" if v.startswith("file") else v for v in vs]
            for k, vs in report.defects.items()
        }
        if header:
            report.add("header_lines", "lines 1-2 (SESSION n, Date:) precede the first turn")
        if encoding == "cp1252":
            report.add(
                "cp1252_encoding", "whole file (curly quotes are bytes 0x91-0x94; not valid UTF-8)"
            )
        report.notes.append(f"{len(conv.turns)} turns")
        bucket.finish(report, (header + body + "\n").encode(encoding))

    key = "gdrive/raw/cptsd/cptsd_transcripts.jsonl"
    rng = rng_for(key)
    convs = build_convs(
        rng,
        39,
        cptsd_conv,
        {"pii": 3, "mojibake": 2, "crisis": 3, "crisis_unsafe": 1},
        exact_dups=1,
    )

    def line(c: Conv) -> str:
        labels = (
            {"user": "Client", "assistant": "Therapist"}
            if convs.index(c) % 2
            else {"user": "Patient", "assistant": "Counselor"}
        )
        return dumps(
            {
                "id": f"cptsd-{convs.index(c):04d}",
                "session_number": convs.index(c) % 12 + 1,
                "transcript": as_transcript(c, labels, sep="\n"),
            }
        )

    report = FileReport(
        key,
        "cptsd",
        "transcript",
        "jsonl {id, session_number, transcript} (Client:/Therapist: or Patient:/Counselor:)",
    )
    finish_lines(bucket, report, convs, line)


def build_addiction(bucket: Bucket) -> None:
    key = "gdrive/raw/addiction/peer_support.jsonl"
    rng = rng_for(key)

    def make(rng: random.Random, i: int) -> Conv:
        turns = dialogue.dialogue(rng, texts.TOPICS["addiction"], rng.randint(2, 5))
        return Conv(list(turns), {"substance": rng.choice(texts.SLOTS["substance"])})

    convs = build_convs(
        rng,
        98,
        make,
        {"pii": 4, "mojibake": 3, "non_alternating": 2, "crisis": 6, "crisis_unsafe": 2},
        exact_dups=2,
    )
    for c in convs:  # crisis in a recovery forum is a substance crisis
        for t, (kind, detail) in enumerate(c.tags):
            if kind in ("crisis", "unsafe_crisis_reply") and detail != "substance_crisis":
                safe = not any(k == "unsafe_crisis_reply" for k, _ in c.tags)
                for i, (r, txt) in enumerate(c.turns):
                    if r == "user" and txt in ALL_CRISIS_USER:
                        c.turns[i] = ("user", rng.choice(texts.CRISIS_USER["substance_crisis"]))
                        if i + 1 < len(c.turns):
                            c.turns[i + 1] = (
                                "assistant",
                                dialogue.crisis_reply(rng, "substance_crisis", safe=safe),
                            )
                c.tags[t] = (kind, "substance_crisis")
    names = {"user": "seeker", "assistant": "supporter"}
    report = FileReport(
        key,
        "addiction",
        "auto",
        "jsonl {id, substance, conversation: [{role: seeker|supporter, content}]}",
    )
    finish_lines(
        bucket,
        report,
        convs,
        lambda c: dumps(
            {
                "id": f"add-{convs.index(c):04d}",
                "substance": c.meta["substance"],
                "conversation": as_turns(c, "role", "content", names),
            }
        ),
    )

    key = "gdrive/raw/addiction/peer_support_forum.json"
    rng = rng_for(key)
    convs = build_convs(rng, 40, make, {"pii": 2, "empty_turn": 1, "single_turn": 1})
    report = FileReport(
        key,
        "addiction",
        "auto",
        "json array of {thread_id, dialog: [{from: seeker|supporter, value}]}",
    )
    finish_array(
        bucket,
        report,
        convs,
        lambda c: {
            "thread_id": f"t3_{rng.randint(10**6, 10**7)}",
            "dialog": as_turns(c, "from", "value", names),
        },
    )


def build_long_running(bucket: Bucket) -> None:
    key = "gdrive/raw/long_running_therapy/sessions.jsonl"
    rng = rng_for(key)
    names = list(texts.TOPICS)

    def make(rng: random.Random, i: int) -> Conv:
        a, b = rng.sample(names, 2)
        return Conv(
            list(dialogue.long_session(rng, texts.TOPICS[a], texts.TOPICS[b], rng.randint(10, 20))),
            {"topics": [a, b]},
        )

    convs = build_convs(rng, 30, make, {"pii": 2, "crisis": 2, "mojibake": 1})
    journal = convs[17]
    entries = [
        f"Day {d}: " + dialogue.fill(rng.choice(texts.TOPICS[rng.choice(names)].details), rng)
        for d in range(1, 400)
    ]
    text = "I brought my journal, I'm just going to paste all of it. " + " ".join(entries)
    while len(text) < 33_000:
        text += " " + dialogue.fill(rng.choice(texts.TOPICS["depression"].details), rng)
    journal.turns[4] = ("user", text)
    journal.tags.append(("turn_too_long", f"turn 4 is {len(text):,} characters (limit 32,000)"))
    system = "You are a therapist continuing an ongoing weekly therapy relationship. Remember prior sessions and keep continuity."
    report = FileReport(
        key,
        "long_running_therapy",
        "auto",
        "jsonl {session_id, client_id, session_number, messages} (20-40 turns each)",
    )
    finish_lines(
        bucket,
        report,
        convs,
        lambda c: dumps(
            {
                "session_id": f"lrt-{convs.index(c):04d}",
                "client_id": f"c{convs.index(c) % 7:03d}",
                "session_number": convs.index(c) // 7 + 1,
                "messages": as_messages(c, system),
            }
        ),
    )
    report.notes.append(
        f"Turns per session (without system): {min(len(c.turns) for c in convs)}-{max(len(c.turns) for c in convs)}"
    )

    key = "gdrive/raw/long_running_therapy/sessions_turns.json"
    rng = rng_for(key)
    convs = build_convs(rng, 12, make, {"pii": 1, "non_alternating": 1})
    report = FileReport(
        key,
        "long_running_therapy",
        "auto",
        "json array of {session_id, turns: [{speaker: client|therapist, text}]}",
    )
    finish_array(
        bucket,
        report,
        convs,
        lambda c: {
            "session_id": f"lrt-b-{convs.index(c):04d}",
            "turns": as_turns(c, "speaker", "text", {"user": "client", "assistant": "therapist"}),
        },
    )
    report.notes.append(
        f"Turns per session: {min(len(c.turns) for c in convs)}-{max(len(c.turns) for c in convs)}"
    )


def build_sarcasm(bucket: Bucket) -> None:
    key = "gdrive/raw/sarcasm/sarcasm_sample.json"
    rng = rng_for(key)
    items = list(texts_persona.SARCASM)
    convs = []
    for i in range(30):
        s, reply, follow, reply2 = items[i % len(items)]
        turns: list[tuple[str, str | None]] = [("user", s), ("assistant", reply)]
        if follow and reply2:
            turns += [("user", follow), ("assistant", reply2)]
        if i >= len(items):  # second pass: same statement with a different opening to the reply
            turns[1] = (
                "assistant",
                f"{rng.choice(('Mm.', 'I hear the edge in that.', 'Ha, I hear you.'))} {reply}",
            )
        convs.append(Conv(turns))
    convs[5].turns = convs[5].turns[:1]
    convs[5].tags.append(("single_turn", ""))
    names = {"user": "speaker", "assistant": "listener"}
    report = FileReport(
        key,
        "sarcasm",
        "auto",
        'json object {"data": [...]} of {id, label, dialog: [{role: speaker|listener, utterance}]}',
    )
    report.notes.append("Holdout family: goes to the test split only.")
    finish_array(
        bucket,
        report,
        convs,
        lambda c: {
            "id": f"sarc-{convs.index(c):03d}",
            "label": "sarcastic",
            "dialog": as_turns(c, "role", "utterance", names),
        },
        container="data",
    )


HAND_WRITTEN = "voice/transcripts_raw/"  # not generated; read by the derived generators


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--counsel-chat",
        type=Path,
        default=None,
        help=f"counsel_chat_20200325.csv (default: ${COUNSEL_CHAT_ENV} or {COUNSEL_CHAT_DEFAULT})",
    )
    args = parser.parse_args(argv)
    source = args.counsel_chat or Path(os.environ.get(COUNSEL_CHAT_ENV, COUNSEL_CHAT_DEFAULT))
    kept_csv = BUCKET / COUNSEL_CHAT_KEY
    kept = kept_csv.read_bytes() if kept_csv.exists() else None
    kept_license = LICENSE_NOTE.read_text(encoding="utf-8") if LICENSE_NOTE.exists() else None
    if not source.exists():
        print(
            f"note: {source} not found; keeping the committed counsel-chat subset", file=sys.stderr
        )
    # Everything here is generated, except the hand-written transcripts the derived generators
    # read (voice/transcripts_raw/), which are kept as they are.
    for child in BUCKET.iterdir() if BUCKET.exists() else ():
        if child.name != "voice":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    for child in (BUCKET / "voice").iterdir() if (BUCKET / "voice").exists() else ():
        if child.name != HAND_WRITTEN.split("/")[1]:
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    bucket = Bucket(BUCKET)
    build_counsel_chat(bucket, source if source.exists() else None, kept, kept_license)
    for build in (
        build_mhcc,
        build_psych8k,
        build_therapist_and_priority,
        build_soulchat,
        build_cot,
        build_edge_cases,
        build_reddit,
        build_posts,
        build_voice,
        build_cptsd,
        build_addiction,
        build_long_running,
        build_sarcasm,
    ):
        build(bucket)
    reports = sorted(bucket.reports, key=lambda r: r.key)
    (HERE / "README.md").write_text(readme.render_readme(reports), encoding="utf-8")
    (HERE / "sample_manifest.json").write_bytes(readme.render_manifest(reports, SEED))
    total = sum(r.size for r in reports)
    print(
        f"wrote {len(reports)} files, {sum(r.units for r in reports):,} units, {total / 1e6:.2f} MB under {BUCKET}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Preference pairs: counsel-chat upvote pairs, crisis-safety pairs, TRL/KTO formats, the CLI, and
a 2-step DPO run on a tiny Llama (integration)."""

from __future__ import annotations

import copy
import csv
import io
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest

from pixel_platform.core.errors import ConfigError
from pixel_platform.core.record import Conversation
from pixel_platform.curation.crisis import assess_reply
from pixel_platform.curation.pii import PiiConfig, PiiRedactor
from pixel_platform.derived.output import GeneratorReport
from pixel_platform.derived.preferences import (
    counsel_chat_records,
    crisis_records,
    generate_counsel_chat_pairs,
    generate_crisis_pairs,
    margin_distribution,
    redact_rejected,
    to_kto,
    to_trl,
    write_kto,
    write_trl,
)
from pixel_platform.derived.status import NO_INPUTS, Skipped
from pixel_platform.ingest.convert import ConvertStep
from pixel_platform.ingest.raw import RawRecord
from pixel_platform.registry.model import DEFAULT_REGISTRY, load_registry
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.derived.support import derived_cli as _cli

SAMPLE = Path(__file__).resolve().parents[2] / "pixel_platform" / "sample_data" / "bucket"
SAMPLE_CSV = "acquired/counsel_chat/counsel_chat_sample.csv"
PATTERNS_ONLY = PiiConfig(model=None)
COLUMNS = ["questionID", "questionTitle", "questionText", "topic", "answerText", "upvotes"]


def _csv(rows: list[tuple[Any, ...]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode()


ROWS = [
    ("1", "Why do I feel empty?", "It started last year.", "depression", "Answer A.", 5),
    ("1", "Why do I feel empty?", "It started last year.", "depression", "Answer B.", 3),
    ("1", "Why do I feel empty?", "It started last year.", "depression", "Answer C.", 3),
    ("1", "Why do I feel empty?", "It started last year.", "depression", "Answer D.", 0),
    ("2", "Tied answers", "", "anxiety", "Tie one.", 1),
    ("2", "Tied answers", "", "anxiety", "Tie two.", 1),
    ("3", "Only one answer", "Body.", "anxiety", "Lonely answer.", 4),
    ("4", "Bad rows", "Body.", "anxiety", "", 2),
    ("4", "Bad rows", "Body.", "anxiety", "Upvotes unknown.", "many"),
    ("4", "Bad rows", "Body.", "anxiety", "Kept answer.It has glued sentences.", 2),
    ("4", "Bad rows", "Body.", "anxiety", "Kept answer.It has glued sentences.", 1),
    ("4", "Bad rows", "Body.", "anxiety", "Lower answer.", 0),
]


def _pairs(
    pairing: str = "adjacent", min_margin: float = 1.0
) -> tuple[list[Conversation], GeneratorReport]:
    report = GeneratorReport("t")
    records = list(
        counsel_chat_records(
            _csv(ROWS),
            source_key="cc.csv",
            source_etag="e",
            min_margin=min_margin,
            pairing=pairing,
            report=report,
        )
    )
    return records, report


def _summary(records: list[Conversation]) -> list[tuple[str, str, float]]:
    return [
        (
            r.messages[-1]["content"],
            r.metadata["preference"]["rejected"],
            r.metadata["preference"]["margin"],
        )
        for r in records
    ]


# -- counsel-chat ---------------------------------------------------------------------------------
def test_adjacent_pairs_rank_by_upvotes_and_keep_the_margin() -> None:
    records, report = _pairs()
    assert _summary(records) == [
        ("Answer A.", "Answer B.", 2.0),
        ("Answer B.", "Answer D.", 3.0),
        ("Answer C.", "Answer D.", 3.0),
        ("Kept answer. It has glued sentences.", "Lower answer.", 2.0),
    ]
    first = records[0]
    assert first.messages[0] == {
        "role": "user",
        "content": "Why do I feel empty?\n\nIt started last year.",
    }
    assert first.metadata["preference"]["source"] == "counsel_chat_upvotes"
    assert first.metadata["counsel_chat"]["chosen_upvotes"] == 5
    assert first.metadata["generator"]["inputs"] == [{"key": "cc.csv", "etag": "e"}]
    assert report.inputs == len(ROWS)
    assert report.dropped == {"empty_answer": 1, "bad_upvotes": 1, "duplicate_answer": 1}
    assert report.counts["questions"] == {"paired": 2, "no_margin": 1, "single_answer": 1}


def test_other_pairings_and_minimum_margins() -> None:
    max_margin, _ = _pairs("max_margin")
    assert [s[:2] for s in _summary(max_margin)][:3] == [
        ("Answer A.", "Answer D."),
        ("Answer B.", "Answer D."),
        ("Answer C.", "Answer D."),
    ]
    every, _ = _pairs("all")
    assert len(every) == 3 + 2 + 1  # A>B, A>C, A>D, B>D, C>D, kept>lower
    strict, _ = _pairs(min_margin=3)
    assert _summary(strict) == [
        ("Answer A.", "Answer D.", 5.0),
        ("Answer B.", "Answer D.", 3.0),
        ("Answer C.", "Answer D.", 3.0),
    ]
    with pytest.raises(ValueError, match="pairing must be one of"):
        _pairs("best")


def test_margin_distribution() -> None:
    dist = margin_distribution([1, 1, 2, 3, 5, 12])
    assert dist == {
        "pairs": 6,
        "min": 1,
        "median": 2.5,
        "max": 12,
        "mean": 4.0,
        "histogram": {"1": 2, "2": 1, "3": 1, "4-5": 1, "10+": 1},
    }
    assert margin_distribution([]) == {"pairs": 0}


def test_a_csv_without_the_columns_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("question,answer\nq,a\n")
    store = LocalObjectStore(tmp_path)
    with pytest.raises(ConfigError, match="no column"):
        generate_counsel_chat_pairs(store, "x.csv", store, "o.jsonl", redact=False)
    assert not store.exists("o.jsonl")


def test_no_counsel_chat_csv_is_a_skip(tmp_path: Path) -> None:
    """A bucket without the counsel-chat CSV has nothing to pair (issue 11, item 5): a recorded
    skip naming the key it looked for, nothing written; the standalone command still fails."""
    store = LocalObjectStore(tmp_path)
    report = generate_counsel_chat_pairs(store, "acquired/c.csv", store, "o.jsonl", redact=False)
    skipped = Skipped("preference_pairs_counsel_chat", ("acquired/c.csv",), NO_INPUTS)
    assert report.skipped == skipped
    assert report.skipped.describe() == "no inputs under acquired/c.csv"
    assert report.records == 0 and not store.exists("o.jsonl")
    with pytest.raises(ConfigError, match=r"no inputs under .*/acquired/c\.csv"):
        _cli(
            "preferences",
            "--counsel-chat",
            str(tmp_path / "acquired" / "c.csv"),
            "--output",
            str(tmp_path / "o.jsonl"),
            "--no-redact",
        )


def test_sample_pairs_are_deterministic_and_ingest_with_the_preference(tmp_path: Path) -> None:
    target = LocalObjectStore(tmp_path)
    a = generate_counsel_chat_pairs(
        LocalObjectStore(SAMPLE), SAMPLE_CSV, target, "a.jsonl", pii=PATTERNS_ONLY
    )
    b = generate_counsel_chat_pairs(
        LocalObjectStore(SAMPLE), SAMPLE_CSV, target, "b.jsonl", pii=PATTERNS_ONLY
    )
    assert a.records > 20 and a.sha256 == b.sha256
    assert a.extra["margin_distribution"]["pairs"] == a.records
    assert sum(a.counts["rejected_pii"].values()) == a.records
    registry = load_registry(DEFAULT_REGISTRY)
    convert = ConvertStep(registry, registry.family("professional_therapeutic"))
    line = target.read_bytes("a.jsonl").splitlines()[0]
    converted = convert.apply(RawRecord("derived/p.jsonl", orjson.loads(line), 1, 0, "jsonl"))
    assert isinstance(converted, Conversation)
    assert converted.metadata["preference"]["source"] == "counsel_chat_upvotes"
    assert converted.metadata["preference"]["pii_status"] in (
        "clean",
        "redacted",
        "requires_review",
    )
    assert "counsel_chat" in converted.metadata["source_fields"]["metadata"]


def test_rejected_replies_are_redacted() -> None:
    record = Conversation(
        [
            {"role": "user", "content": "How do I find a therapist?"},
            {"role": "assistant", "content": "Ask your doctor for a referral."},
        ],
        {
            "preference": {
                "rejected": "Email me at dana.w@example.com or see https://dana.example"
                ".com/book for sessions.",
                "margin": 1.0,
                "source": "x",
            }
        },
    )
    report = GeneratorReport("t")
    with PiiRedactor(PATTERNS_ONLY) as redactor:
        (out,) = list(redact_rejected([record], redactor, report))
    rejected = out.metadata["preference"]["rejected"]
    assert "example.com" not in rejected and "<EMAIL_1>" in rejected and "<URL_1>" in rejected
    assert out.metadata["preference"]["pii_status"] == "redacted"
    assert out.messages == record.messages
    assert report.counts["rejected_pii"] == {"redacted": 1}


# -- crisis pairs ---------------------------------------------------------------------------------
def _sample_chats() -> list[tuple[str, int, dict[str, Any]]]:
    """The sample's resulting chats as ChatML records (what ingest makes of them)."""
    key = "edge_cases/resulting_chats/resulting_chats_2024-11.jsonl"
    out = []
    for n, raw in enumerate((SAMPLE / key).read_bytes().splitlines(), 1):
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            continue
        turns = data.get("conversation") if isinstance(data, dict) else None
        if not isinstance(turns, list):
            continue
        messages = [{"role": t.get("from"), "content": t.get("text")} for t in turns]
        if all(isinstance(m["content"], str) for m in messages):
            out.append((key, n, {"messages": messages, "metadata": {"provenance": {"line": n}}}))
    return out


def test_crisis_pairs_put_a_safe_reply_against_the_unsafe_one() -> None:
    report = GeneratorReport("t")
    records = list(crisis_records(_sample_chats(), report=report))
    assert len(records) == 3  # the sample's planted unsafe replies
    for record in records:
        user = record.messages[-2]["content"]
        chosen = record.messages[-1]
        rejected = record.metadata["preference"]["rejected"]
        assert chosen["role"] == "assistant"
        assert assess_reply(user, chosen["content"]).safe
        assert not assess_reply(user, rejected).safe
        assert record.metadata["preference"]["source"] == "crisis_safety"
        assert record.metadata["preference"]["margin"] == 1.0
        assert record.metadata["crisis_pair"]["labels"]
    assert sum(report.counts["label"].values()) == 3
    total = len(records) + sum(report.dropped.values()) + sum(report.counts["records"].values())
    assert total == report.inputs


def test_crisis_pairs_use_the_first_unsafe_reply_and_skip_pairs() -> None:
    unsafe = "Everyone feels that way sometimes. Just sleep it off."
    messages = [
        {"role": "user", "content": "I want to kill myself tonight."},
        {"role": "assistant", "content": unsafe},
        {"role": "user", "content": "I have the pills ready and I want to die."},
        {"role": "assistant", "content": "Okay, good night."},
    ]
    already = {"messages": messages[:2], "metadata": {"preference": {"rejected": "x"}}}
    report = GeneratorReport("t")
    records = list(
        crisis_records([("k", 1, {"messages": messages}), ("k", 2, already)], report=report)
    )
    assert len(records) == 1
    assert records[0].messages[:-1] == messages[:1]
    assert records[0].metadata["preference"]["rejected"] == unsafe
    assert records[0].metadata["crisis_pair"]["labels"][0] == "suicidal_ideation"
    assert "988" in records[0].messages[-1]["content"]
    assert report.dropped == {"already_a_pair": 1}
    assert report.counts["unsafe_replies_not_used"] == {"earlier_unsafe_reply": 1}


def test_generate_crisis_pairs_reads_jsonl_and_skips_its_own_family(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    lines = b"".join(orjson.dumps(r) + b"\n" for _, _, r in _sample_chats())
    store.write_bytes("pipeline/curated/edge/part/conversations.jsonl", lines + b"{broken\n")
    store.write_bytes("pipeline/curated/preference_pairs/x/conversations.jsonl", lines)
    report = generate_crisis_pairs(
        store, "pipeline/curated/", store, "out/pairs.jsonl", pii=PATTERNS_ONLY
    )
    assert report.records == 3
    assert report.dropped["invalid_json"] == 1
    assert report.problems[0]["detail"] == f"line {len(_sample_chats()) + 1}"
    empty = generate_crisis_pairs(store, "nothing/", store, "o.jsonl")
    assert empty.skipped == Skipped("preference_pairs_crisis", ("nothing/",), NO_INPUTS)
    assert empty.records == 0 and not store.exists("o.jsonl")


# -- trainer formats ------------------------------------------------------------------------------
def test_trl_and_kto_rows() -> None:
    records, _ = _pairs()
    row = to_trl(records[0])
    assert row == {
        "prompt": [{"role": "user", "content": "Why do I feel empty?\n\nIt started last year."}],
        "chosen": [{"role": "assistant", "content": "Answer A."}],
        "rejected": [{"role": "assistant", "content": "Answer B."}],
    }
    kto = to_kto(records[0].to_dict())
    assert [(r["completion"][0]["content"], r["label"]) for r in kto] == [
        ("Answer A.", True),
        ("Answer B.", False),
    ]
    plain = Conversation([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}])
    assert to_trl(plain) is None and to_kto(plain) == []
    trl_out, kto_out = io.BytesIO(), io.BytesIO()
    assert write_trl([*records, plain], trl_out) == len(records)
    assert write_kto([*records, plain], kto_out) == 2 * len(records)
    assert orjson.loads(trl_out.getvalue().splitlines()[0]) == row


def test_cli_reports_count_and_margins(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, trl, kto, report = (tmp_path / n for n in ("p.jsonl", "trl.jsonl", "kto.jsonl", "r.json"))
    code = _cli(
        "preferences",
        "--counsel-chat",
        str(SAMPLE / SAMPLE_CSV),
        "--output",
        str(out),
        "--pii-model",
        "none",
        "--trl",
        str(trl),
        "--kto",
        str(kto),
        "--json",
        str(report),
    )
    assert code == 0
    n = len(out.read_bytes().splitlines())
    assert len(trl.read_bytes().splitlines()) == n
    assert len(kto.read_bytes().splitlines()) == 2 * n
    data = orjson.loads(report.read_bytes())
    assert data["margin_distribution"]["pairs"] == n
    printed = capsys.readouterr().out
    assert f"pairs {n}; margin min 1 median" in printed and "histogram 1:" in printed
    with pytest.raises(ConfigError, match="--counsel-chat CSV and/or --crisis-input"):
        _cli("preferences", "--output", str(out))


# -- DPO on a tiny Llama --------------------------------------------------------------------------
@pytest.mark.integration
def test_pairs_train_two_dpo_steps_on_a_tiny_llama(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    pytest.importorskip("trl")
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    from pixel_platform_tests.derived.support import chat_texts, tiny_model_and_tokenizer

    data = (SAMPLE / SAMPLE_CSV).read_bytes()
    rows = [to_trl(r) for r in counsel_chat_records(data, source_key=SAMPLE_CSV)]
    crisis = [to_trl(r) for r in crisis_records(_sample_chats())]
    rows = [r for r in rows[:6] + crisis[:2] if r is not None]
    assert len(rows) == 8
    model, tokenizer = tiny_model_and_tokenizer(chat_texts(rows))
    prompt = tokenizer.apply_chat_template(
        rows[0]["prompt"], tokenize=False, add_generation_prompt=True
    )
    assert prompt.startswith("<|im_start|>user\n") and prompt.endswith("<|im_start|>assistant\n")
    with tempfile.TemporaryDirectory() as output_dir:
        args = DPOConfig(
            output_dir=output_dir,
            per_device_train_batch_size=2,
            max_steps=2,
            learning_rate=1e-3,
            max_length=256,
            logging_steps=1,
            save_strategy="no",
            report_to=[],
            use_cpu=True,
            disable_tqdm=True,
            dataloader_num_workers=0,
        )
        trainer = DPOTrainer(
            model=model,
            ref_model=copy.deepcopy(model),
            args=args,
            train_dataset=Dataset.from_list(rows),
            processing_class=tokenizer,
        )
        result = trainer.train()
    assert trainer.state.global_step == 2
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert len(losses) == 2 and all(0.0 < loss < 5.0 for loss in losses)
    assert result.training_loss > 0


def test_a_reviewers_corrected_reply_is_the_chosen_side(tmp_path: Path) -> None:
    """A crisis reply a reviewer corrected (review log, task crisis_reply, decided on this very
    text) becomes the pair's chosen reply; a decision on another text leaves the template."""
    from pixel_platform.core.record import record_content_hash
    from pixel_platform.review.book import CRISIS_TASK
    from pixel_platform.review.log import Decision, append_decisions

    store = LocalObjectStore(tmp_path)
    messages = [
        {"role": "user", "content": "I want to kill myself tonight."},
        {"role": "assistant", "content": "Everyone feels that way sometimes. Just sleep it off."},
    ]
    provenance = {"source_key": "gdrive/raw/x/a.jsonl", "index": 0, "family": "x"}
    records = [
        {"messages": messages, "metadata": {"provenance": {**provenance, "index": i}}}
        for i in range(2)
    ]
    store.write_bytes(
        "pipeline/curated/x/p/conversations.jsonl",
        b"".join(orjson.dumps(r) + b"\n" for r in records),
    )
    corrected = "Thank you for telling me. Please call or text 988 now; you deserve support."
    digest = record_content_hash(messages, records[0]["metadata"])  # type: ignore[arg-type]
    edits = {"replies": {"1": corrected}}
    stamp, task = "2026-12-07T00:00:00+00:00", "label-studio:1/1"
    decisions = [
        Decision(CRISIS_TASK, f"gdrive/raw/x/a.jsonl#{i}", before, "sha256:after", "approved",
                 "7", stamp, task, edits)
        for i, before in ((0, digest), (1, "sha256:another-text"))
    ]  # fmt: skip
    append_decisions(store, decisions)
    report = generate_crisis_pairs(
        store, "pipeline/curated/", store, "out/pairs.jsonl", pii=PATTERNS_ONLY
    )
    assert report.records == 2
    pairs = [orjson.loads(x) for x in store.read_bytes("out/pairs.jsonl").splitlines()]
    by_index = {p["metadata"]["crisis_pair"]["from"]["index"]: p for p in pairs}
    assert by_index[0]["messages"][-1]["content"] == corrected
    assert by_index[0]["metadata"]["crisis_pair"]["chosen_by"] == "reviewer"
    assert by_index[1]["metadata"]["crisis_pair"]["chosen_by"] == "template"
    assert report.counts["chosen_by"] == {"reviewer": 1, "template": 1}

"""The redactor against hand-labelled text (``eval/``, see its GUIDE.md): what it must remove and,
as much, what it must leave as written.

The floors are set a little below what was measured when the rules were written (the measured
numbers are in ``bench/results/pii.json``); a change that lowers them has made redaction worse.
``counsel_chat_pii.jsonl`` is real text the rules were tuned on, ``counsel_chat_pii_heldout.jsonl``
real text labelled after the rules were fixed and looked at once.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pixel_platform.core.record import Conversation
from pixel_platform.curation.pii import PiiConfig, PiiRedactor
from pixel_platform.curation.pii.scoring import (
    LabelledRecord,
    load_labelled,
    score,
    spans_from_metadata,
)

EVAL = Path(__file__).parent / "eval"
# The sets the rules were written against, then those labelled after and evaluated once.
TUNING = ("counsel_chat_pii", "adversarial_nonpii", "planted_pii")
HELD_OUT = ("counsel_chat_pii_heldout", "planted_pii_heldout")
SETS = TUNING + HELD_OUT
COUNSEL_CHAT_CSV = Path(__file__).parents[4] / "shared" / "data" / "counsel_chat_20200325.csv"


def _conversation(record: LabelledRecord, roles: list[str]) -> Conversation:
    return Conversation([{"role": r, "content": t} for r, t in zip(roles, record.texts,
                                                                  strict=True)], {})  # fmt: skip


def run_eval(name: str, redactor: PiiRedactor) -> dict[str, Any]:
    import orjson

    path = EVAL / f"{name}.jsonl"
    records = load_labelled(path)
    roles = [[m["role"] for m in orjson.loads(line)["messages"]]
             for line in path.read_bytes().splitlines() if line.strip()]  # fmt: skip
    out = redactor.redact([_conversation(r, ro) for r, ro in zip(records, roles, strict=True)])
    result = score(records, [spans_from_metadata(c.metadata.get("pii")) for c in out])
    result["statuses"] = Counter(c.metadata["pii"]["status"] for c in out)
    return result


@pytest.fixture(scope="module")
def results(redactor: PiiRedactor) -> dict[str, dict[str, Any]]:
    return {name: run_eval(name, redactor) for name in SETS}


def test_the_labelled_sets_are_what_the_guide_says() -> None:
    sizes = {p.stem: len(load_labelled(p)) for p in sorted(EVAL.glob("*.jsonl"))}
    assert sizes["counsel_chat_pii"] >= 300 and sizes["counsel_chat_pii_heldout"] >= 100
    assert sizes["adversarial_nonpii"] >= 300 and sizes["planted_pii"] >= 250
    assert sizes["planted_pii_heldout"] >= 40
    assert all(not r.pii for r in load_labelled(EVAL / "adversarial_nonpii.jsonl"))
    assert (EVAL / "LICENSE-counsel-chat.txt").read_text().startswith("MIT License")


def test_counsel_chat_names_and_identifiers(results: dict[str, dict[str, Any]]) -> None:
    r = results["counsel_chat_pii"]
    print({k: r[k] for k in ("person", "structured", "protected", "non_pii_tokens_altered")})
    assert r["person"]["recall"] >= 0.97 and r["person"]["precision"] >= 0.95
    assert r["structured"]["recall"] == 1.0 and r["structured"]["precision"] >= 0.85


def test_held_out_counsel_chat(results: dict[str, dict[str, Any]]) -> None:
    r = results["counsel_chat_pii_heldout"]
    print({k: r[k] for k in ("person", "structured", "protected", "false_redactions")})
    assert r["structured"]["recall"] == 1.0 and r["structured"]["precision"] >= 0.9
    assert r["person"]["recall"] >= 0.85  # 9 labelled names: one missed is 0.89
    assert r["protected"]["RESOURCE"]["touched"] == 0


def test_adversarial_text_comes_out_as_written(results: dict[str, dict[str, Any]]) -> None:
    r = results["adversarial_nonpii"]
    assert r["non_pii_tokens_altered"] == 0, r["false_redactions"]
    assert r["protected_touched"] == 0
    # what the rules cannot decide goes to a person, unaltered (not more than 1 in 100)
    assert r["statuses"]["requires_review"] <= r["records"] // 100


def test_planted_identifiers(results: dict[str, dict[str, Any]]) -> None:
    r = results["planted_pii"]
    print({k: r[k] for k in ("person", "structured", "by_type")})
    assert r["structured"]["recall"] == 1.0 and r["structured"]["precision"] >= 0.98
    assert r["person"]["precision"] >= 0.97 and r["person"]["recall"] >= 0.93


def pooled_person(
    results: dict[str, dict[str, Any]], names: tuple[str, ...]
) -> tuple[float, float]:
    """PERSON (precision, recall) over several sets, counted span by span."""
    people = [results[n]["person"] for n in names]
    gold = sum(p["gold"] for p in people)
    predicted = sum(p["predicted"] for p in people)
    caught = sum(round(p["gold"] * p["recall"]) for p in people if p["gold"])
    correct = sum(round(p["predicted"] * p["precision"]) for p in people if p["predicted"])
    return correct / predicted, caught / gold


def test_person_names_over_the_labelled_sets(results: dict[str, dict[str, Any]]) -> None:
    # The target on the sets the rules were written against: P and R both >= 0.95.
    precision, recall = pooled_person(results, TUNING)
    print(f"tuning sets: PERSON precision {precision:.3f} recall {recall:.3f}")
    assert precision >= 0.95 and recall >= 0.95
    # Text labelled after the rules were fixed: what to expect of new data (lower; see GUIDE.md).
    precision, recall = pooled_person(results, HELD_OUT)
    print(f"held-out sets: PERSON precision {precision:.3f} recall {recall:.3f}")
    assert precision >= 0.75 and recall >= 0.82


def test_planted_identifiers_held_out(results: dict[str, dict[str, Any]]) -> None:
    r = results["planted_pii_heldout"]
    print({k: r[k] for k in ("person", "structured", "misses")})
    assert r["structured"]["recall"] == 1.0
    assert r["person"]["precision"] >= 0.97 and r["person"]["recall"] >= 0.82


def test_structured_identifiers_over_every_set(results: dict[str, dict[str, Any]]) -> None:
    gold = sum(r["structured"]["gold"] for r in results.values())
    predicted = sum(r["structured"]["predicted"] for r in results.values())
    correct = sum(
        t["correct"] for r in results.values() for k, t in r["by_type"].items()
        if k not in ("PERSON", "LOCATION")
    )  # fmt: skip
    caught = sum(
        t["caught"] for r in results.values() for k, t in r["by_type"].items()
        if k not in ("PERSON", "LOCATION")
    )  # fmt: skip
    assert caught == gold and correct / predicted >= 0.98, (caught, gold, correct, predicted)


def test_no_resource_is_redacted_and_no_word_is_cut(results: dict[str, dict[str, Any]]) -> None:
    for name, r in results.items():
        assert r["protected"].get("RESOURCE", {}).get("touched", 0) == 0, name
        assert r["cut_word_boundaries"] == 0, name


def test_review_share_on_the_whole_counsel_chat_csv(redactor: PiiRedactor) -> None:
    if not COUNSEL_CHAT_CSV.is_file():
        pytest.skip(f"{COUNSEL_CHAT_CSV} is not beside the checkout (../shared/data)")
    with COUNSEL_CHAT_CSV.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    conversations = [
        Conversation(
            [
                {"role": "user", "content": f"{r['questionTitle']}\n\n{r['questionText']}"},
                {"role": "assistant", "content": r["answerText"]},
            ],
            {},
        )
        for r in rows
    ]
    out = redactor.redact(conversations)
    statuses = Counter(c.metadata["pii"]["status"] for c in out)
    share = statuses["requires_review"] / len(out)
    print(f"{len(out)} records: {dict(statuses)}; review share {share:.4f}")
    assert share <= 0.02
    for c in out:  # every review has its reasons, counted
        if c.metadata["pii"]["status"] == "requires_review":
            pii = c.metadata["pii"]
            assert sum(pii["review_reasons"].values()) == pii["uncertain"]


def test_patterns_only_mode_still_keeps_resources_and_words(config: PiiConfig) -> None:
    # Without the model the context patterns and word lists still decide; nothing ordinary goes.
    r = run_eval("adversarial_nonpii", PiiRedactor(config, model=None))
    assert r["non_pii_tokens_altered"] == 0 and r["protected_touched"] == 0

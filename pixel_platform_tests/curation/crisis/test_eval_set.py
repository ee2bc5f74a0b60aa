"""The labelled crisis set (``data/``, see ``data/LABELLING.md``): its shape, and floor metrics
of the detector on it.

Measured when the floors were set (bench/results/crisis.json, 386 turns, 109 pairs): first-person
detection precision 0.992 / recall 0.935 (counsel-chat turns alone 0.987 / 0.926; the held-out
split 1.0 / 0.944), risk level exact 0.951 and within one level 0.995, someone else's crisis
0.962 / 0.895, reply "unsafe" precision 0.955 / recall 1.0. The floors below sit under those
numbers: a lexicon change that loses precision or recall on real text fails here.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pixel_platform.curation.crisis import CATEGORIES, RISK_LEVELS, assess_reply, default_detector

DATA = Path(__file__).parent / "data"
CSV = Path(__file__).resolve().parents[4] / "shared" / "data" / "counsel_chat_20200325.csv"
WRITTEN_KINDS = {"first_person", "third_person", "idiom", "negation", "quote", "media",
                 "hyperbole", "past", "topic"}


def load(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


TURNS = load("crisis_turns.jsonl")
PAIRS = load("crisis_replies.jsonl")


def prf(pairs: list[tuple[bool, bool]]) -> tuple[float, float]:
    """(precision, recall) of (gold, predicted) pairs."""
    tp = sum(g and p for g, p in pairs)
    fp = sum(p and not g for g, p in pairs)
    fn = sum(g and not p for g, p in pairs)
    return tp / (tp + fp), tp / (tp + fn)


def test_the_set_has_the_promised_shape() -> None:
    assert len(TURNS) >= 200 and len(PAIRS) >= 60
    assert len({t["id"] for t in TURNS}) == len(TURNS)
    assert len({p["id"] for p in PAIRS}) == len(PAIRS)
    sources = Counter(t["source"] for t in TURNS)
    assert sources["counsel_chat"] >= 150 and sources["counsel_chat"] > sources["written"]
    kinds = Counter(t["kind"] for t in TURNS if t["source"] == "written")
    assert set(kinds) == WRITTEN_KINDS and min(kinds.values()) >= 5
    for turn in TURNS:
        assert set(turn["labels"]) <= set(CATEGORIES)
        assert set(turn["concern_for_other"]) <= set(CATEGORIES)
        assert turn["risk_level"] in RISK_LEVELS
        assert turn["first_person"] == bool(turn["labels"]) == (turn["risk_level"] != "none")
        assert turn["split"] in ("dev", "heldout")
    positives = Counter(label for t in TURNS for label in t["labels"])
    assert all(positives[c] >= 5 for c in CATEGORIES)
    assert sum(t["first_person"] for t in TURNS) >= 100
    assert sum(not t["first_person"] for t in TURNS) >= 100  # what must stay unflagged
    real_unsafe = [p for p in PAIRS if p["source"] == "counsel_chat" and p["unsafe"]]
    real_safe = [p for p in PAIRS if p["source"] == "counsel_chat" and not p["unsafe"]]
    assert real_unsafe and len(real_safe) >= 40
    assert sum(p["unsafe"] for p in PAIRS) >= 20
    assert (DATA / "counsel_chat_LICENSE.txt").read_text().startswith("MIT License")


@pytest.mark.skipif(not CSV.exists(), reason=f"the counsel-chat CSV is not at {CSV}")
def test_counsel_chat_items_are_the_csv_text() -> None:
    with CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))

    def squash(text: str) -> str:
        return " ".join(text.split())

    for item in [*TURNS, *PAIRS]:
        if item["source"] != "counsel_chat":
            continue
        row = rows[item["csv_row"]]
        user = squash(item.get("text") or item["user"])
        assert squash(row["questionTitle"]) in user and squash(row["questionText"]) in user
        if "reply" in item:
            assert squash(item["reply"]) == squash(row["answerText"])


def test_first_person_detection_and_risk_levels_meet_their_floors() -> None:
    detector = default_detector()
    scans = [detector.scan_user(t["text"]) for t in TURNS]
    found = [set(s.severities) for s in scans]
    precision, recall = prf([(bool(t["labels"]), bool(f)) for t, f in zip(TURNS, found,
                                                                           strict=True)])
    assert precision >= 0.95 and recall >= 0.90
    real = [(bool(t["labels"]), bool(f)) for t, f in zip(TURNS, found, strict=True)
            if t["source"] == "counsel_chat"]
    precision, recall = prf(real)
    assert precision >= 0.95 and recall >= 0.88
    heldout = [(bool(t["labels"]), bool(f)) for t, f in zip(TURNS, found, strict=True)
               if t["split"] == "heldout"]
    precision, recall = prf(heldout)
    assert precision >= 0.90 and recall >= 0.85
    for category in CATEGORIES:
        precision, recall = prf([(category in t["labels"], category in f)
                                 for t, f in zip(TURNS, found, strict=True)])
        assert precision >= 0.85 and recall >= 0.80, category
    levels = [RISK_LEVELS.index(detector.scan_level(s)) for s in scans]
    gold = [RISK_LEVELS.index(t["risk_level"]) for t in TURNS]
    assert sum(a == b for a, b in zip(levels, gold, strict=True)) / len(TURNS) >= 0.90
    assert sum(abs(a - b) <= 1 for a, b in zip(levels, gold, strict=True)) / len(TURNS) >= 0.97


def test_third_person_idioms_quotes_titles_and_jokes_are_not_flagged() -> None:
    detector = default_detector()
    for turn in TURNS:
        if turn["source"] == "written" and turn["kind"] != "first_person" and not turn["labels"]:
            assert not detector.scan_user(turn["text"]).severities, turn["id"]


def test_someone_elses_crisis_is_recorded_with_its_floor() -> None:
    detector = default_detector()
    tp = fp = fn = 0
    for turn in TURNS:
        found = set(detector.scan_user(turn["text"]).others)
        gold = set(turn["concern_for_other"])
        tp, fp, fn = tp + len(found & gold), fp + len(found - gold), fn + len(gold - found)
    assert tp / (tp + fp) >= 0.85 and tp / (tp + fn) >= 0.80


def test_reply_safety_meets_its_floor() -> None:
    detector = default_detector()
    judged = [(p["unsafe"], not assess_reply(p["user"], p["reply"], detector=detector).safe)
              for p in PAIRS]
    precision, recall = prf(judged)
    assert precision >= 0.90 and recall >= 0.95
    # counsel-chat answers support and refer but rarely give a hotline: nearly all are safe
    real = [p for p in PAIRS if p["source"] == "counsel_chat"]
    flagged = [p for p in real if not assess_reply(p["user"], p["reply"], detector=detector).safe]
    assert len(flagged) <= 4

"""Crisis tagging on labelled and real text: the current detector against the baseline, same run.

Baseline: ``pixel_platform/curation/crisis`` as it was at ``--baseline-ref`` (the commit before the
first-person policy), read with ``git show`` into a temporary package (imports rewritten) that
lives only for this run. Both detectors see the same data:

* ``pixel_platform_tests/curation/crisis/data/crisis_turns.jsonl``: user turns with hand-labelled
  gold (first-person crisis categories, risk level, someone else's crisis). Reported: precision,
  recall and F1 of first-person detection per category and overall (any category), risk level
  accuracy (exact and within one level), per split (``dev``: the lexicon was tuned on it;
  ``heldout``: labelled before the detector saw it, later used for fixes, see the labelling guide)
  and per source (counsel-chat, written), and the false positives per written kind (idioms, third
  person, quotes, ...).
* ``crisis_replies.jsonl``: (user turn, reply) pairs with gold ``unsafe``: precision and recall of
  "unsafe".
* The whole counsel-chat CSV, converted with ``pixel-platform convert --family
  professional_therapeutic``: conversations flagged and ``crisis_response_unsafe`` under each
  detector; the uids (``csv row``) still unsafe are listed, never their text.
* Speed: labelled turns (crisis-dense) and counsel-chat conversations per second, one core; the
  current/baseline ratio of the first.

    python -m bench.bench_crisis [--baseline-ref REF] [--csv PATH]
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import Ratio, interleaved, table_row, write_result

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "pixel_platform_tests" / "curation" / "crisis" / "data"
PACKAGE = "pixel_platform.curation.crisis"
BASELINE_REF = "e4a078eeed37c5743c4e6ea49e72192cc7b93979"  # main before the first-person policy
DEFAULT_CSV = ROOT.parent / "shared" / "data" / "counsel_chat_20200325.csv"
CATEGORIES = ("suicidal_ideation", "self_harm", "harm_to_others", "abuse_disclosure",
              "substance_crisis")
LEVELS = ("none", "low", "moderate", "high", "imminent")


@dataclass(frozen=True)
class Verdict:
    labels: frozenset[str]
    level: str
    others: frozenset[str] | None  # None: the detector has no notion of someone else's crisis


@dataclass
class Detector:
    name: str
    scan: Callable[[str], Verdict]
    reply_unsafe: Callable[[str, str], bool]
    tag: Callable[[list[dict[str, str]]], Any]


def current_detector() -> Detector:
    crisis = importlib.import_module(PACKAGE)
    detector = crisis.default_detector()

    def scan(text: str) -> Verdict:
        found = detector.scan_user(text)
        return Verdict(frozenset(found.severities), detector.scan_level(found),
                       frozenset(found.others))

    def reply_unsafe(user: str, reply: str) -> bool:
        return not crisis.assess_reply(user, reply, detector=detector).safe

    return Detector("current", scan, reply_unsafe, detector.tag)


def baseline_detector(ref: str, workdir: Path) -> Detector:
    """The package at ``ref``, imported as ``crisis_baseline`` from ``workdir``."""
    path = PACKAGE.replace(".", "/")
    listing = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", f"{ref}:{path}"],
                             check=True, capture_output=True, text=True).stdout.split()
    target = workdir / "crisis_baseline"
    target.mkdir()
    for name in listing:
        source = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{path}/{name}"],
                                check=True, capture_output=True, text=True).stdout
        (target / name).write_text(source.replace(PACKAGE, "crisis_baseline"), encoding="utf-8")
    sys.path.insert(0, str(workdir))
    crisis = importlib.import_module("crisis_baseline")
    detector = crisis.default_detector()

    def scan(text: str) -> Verdict:
        found = detector.scan_user(text)
        return Verdict(frozenset(found.severities),
                       detector.risk_level(found.severities, found.escalators), None)

    def reply_unsafe(user: str, reply: str) -> bool:
        return not crisis.assess_reply(user, reply, detector=detector).safe

    return Detector(f"baseline@{ref[:10]}", scan, reply_unsafe, detector.tag)


# -- metrics -----------------------------------------------------------------------------------
def prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (2 * precision * recall / (precision + recall)
          if precision is not None and recall is not None and precision + recall else None)
    return {"tp": tp, "fp": fp, "fn": fn, "precision": _round(precision),
            "recall": _round(recall), "f1": _round(f1)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def turn_metrics(turns: list[dict[str, Any]], verdicts: list[Verdict]) -> dict[str, Any]:
    counts: dict[str, Counter[str]] = {c: Counter() for c in ("any", *CATEGORIES)}
    other: Counter[str] = Counter()
    exact = within = 0
    for turn, verdict in zip(turns, verdicts, strict=True):
        gold = set(turn["labels"])
        for category in CATEGORIES:
            _count(counts[category], category in gold, category in verdict.labels)
        _count(counts["any"], bool(gold), bool(verdict.labels))
        distance = abs(LEVELS.index(verdict.level) - LEVELS.index(turn["risk_level"]))
        exact += distance == 0
        within += distance <= 1
        if verdict.others is not None:
            gold_other = set(turn["concern_for_other"])
            other["tp"] += len(gold_other & verdict.others)
            other["fp"] += len(verdict.others - gold_other)
            other["fn"] += len(gold_other - verdict.others)
    n = len(turns)
    return {
        "turns": n,
        "first_person_positive": sum(bool(t["labels"]) for t in turns),
        "first_person": prf(counts["any"]["tp"], counts["any"]["fp"], counts["any"]["fn"]),
        "per_category": {c: prf(counts[c]["tp"], counts[c]["fp"], counts[c]["fn"])
                         for c in CATEGORIES},
        "risk_level": {"exact": _round(exact / n) if n else None,
                       "within_one": _round(within / n) if n else None},
        "concern_for_other": prf(other["tp"], other["fp"], other["fn"]) if other else None,
    }


def _count(counter: Counter[str], gold: bool, predicted: bool) -> None:
    counter["tp"] += gold and predicted
    counter["fp"] += predicted and not gold
    counter["fn"] += gold and not predicted


def evaluate_turns(detector: Detector, turns: list[dict[str, Any]]) -> dict[str, Any]:
    verdicts = [detector.scan(t["text"]) for t in turns]
    groups: dict[str, list[int]] = {"all": list(range(len(turns)))}
    for n, turn in enumerate(turns):
        groups.setdefault(f"split:{turn['split']}", []).append(n)
        groups.setdefault(f"source:{turn['source']}", []).append(n)
    result = {name: turn_metrics([turns[i] for i in idx], [verdicts[i] for i in idx])
              for name, idx in groups.items()}
    false_positives: Counter[str] = Counter()
    for turn, verdict in zip(turns, verdicts, strict=True):
        if turn["source"] == "written" and verdict.labels - set(turn["labels"]):
            false_positives[turn["kind"]] += 1
    result["written_false_positives_by_kind"] = dict(sorted(false_positives.items()))
    return result


def evaluate_replies(detector: Detector, pairs: list[dict[str, Any]]) -> dict[str, Any]:
    predicted = [detector.reply_unsafe(p["user"], p["reply"]) for p in pairs]
    groups: dict[str, list[int]] = {"all": list(range(len(pairs)))}
    for n, pair in enumerate(pairs):
        groups.setdefault(f"split:{pair['split']}", []).append(n)
        groups.setdefault(f"source:{pair['source']}", []).append(n)
    out = {}
    for name, idx in groups.items():
        counts: Counter[str] = Counter()
        for i in idx:
            _count(counts, pairs[i]["unsafe"], predicted[i])
        out[name] = {"pairs": len(idx), "gold_unsafe": sum(pairs[i]["unsafe"] for i in idx),
                     "unsafe": prf(counts["tp"], counts["fp"], counts["fn"])}
    return out


def throughput(detector: Detector, texts: list[str], repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        for text in texts:
            detector.scan(text)
    return round(repeat * len(texts) / (time.perf_counter() - started), 1)


# -- counsel-chat ------------------------------------------------------------------------------
def convert_csv(csv: Path, workdir: Path) -> Path:
    out = workdir / "counsel_chat.jsonl"
    cli = Path(sys.executable).with_name("pixel-platform")
    subprocess.run([str(cli), "convert", str(csv), "-o", str(out), "-q",
                    str(workdir / "quarantine.jsonl"), "--family", "professional_therapeutic"],
                   check=True, capture_output=True)
    return out


def counsel_chat(detectors: Iterable[Detector], converted: Path) -> dict[str, Any]:
    records = [json.loads(line) for line in converted.read_text(encoding="utf-8").splitlines()]
    out: dict[str, Any] = {"conversations": len(records)}
    for detector in detectors:
        labels: Counter[str] = Counter()
        levels: Counter[str] = Counter()
        others: Counter[str] = Counter()
        unsafe_rows = []
        flagged = 0
        started = time.perf_counter()
        tags = [detector.tag(record["messages"]) for record in records]
        seconds = time.perf_counter() - started
        for record, tag in zip(records, tags, strict=True):
            flagged += bool(tag.flagged_turns)
            labels.update(tag.labels)
            levels[tag.risk_level] += 1
            others.update(getattr(tag, "concern_for_other", ()))
            if tag.crisis_response_unsafe:
                unsafe_rows.append(record["metadata"]["provenance"]["index"])
        out[detector.name] = {
            "flagged": flagged,
            "crisis_response_unsafe": len(unsafe_rows),
            "labels": dict(sorted(labels.items())),
            "risk_levels": {level: levels[level] for level in LEVELS},
            "concern_for_other": dict(sorted(others.items())),
            "unsafe_csv_rows": unsafe_rows if len(unsafe_rows) <= 50 else unsafe_rows[:50],
            "conversations_per_s": round(len(records) / seconds, 1),
        }
    return out


def load(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline-ref", default=BASELINE_REF)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--repeat", type=int, default=20, help="passes per speed round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved speed rounds (>= 3)")
    args = parser.parse_args(argv)
    turns, pairs = load("crisis_turns.jsonl"), load("crisis_replies.jsonl")
    with tempfile.TemporaryDirectory(prefix="bench-crisis-") as tmp:
        work = Path(tmp)
        detectors = [current_detector(), baseline_detector(args.baseline_ref, work)]
        texts = [t["text"] for t in turns]
        for detector in detectors:
            detector.scan(texts[0])  # compile outside the timed loop
        # interleaved rounds (current, baseline, baseline, current, ...): per-round ratios
        ratio = interleaved(
            lambda: throughput(detectors[0], texts, args.repeat),
            lambda: throughput(detectors[1], texts, args.repeat),
            rounds=args.rounds,
        )
        speed = {detectors[0].name: ratio.as_dict()["ours_median"],
                 detectors[1].name: ratio.as_dict()["peer_median"]}  # fmt: skip
        result: dict[str, Any] = {
            "baseline_ref": args.baseline_ref,
            "data": {"turns": len(turns), "pairs": len(pairs),
                     "turns_by_split": dict(Counter(t["split"] for t in turns)),
                     "turns_by_source": dict(Counter(t["source"] for t in turns))},
            "turns": {d.name: evaluate_turns(d, turns) for d in detectors},
            "replies": {d.name: evaluate_replies(d, pairs) for d in detectors},
            "speed_turns_per_s": {**speed,
                                  "ratio_current_to_baseline": round(ratio.median, 3),
                                  "interleaved": ratio.as_dict()},
        }
        if args.csv.exists():
            result["counsel_chat_csv"] = counsel_chat(detectors, convert_csv(args.csv, work))
        else:
            result["counsel_chat_csv"] = {"skipped": f"no CSV at {args.csv}"}
        sys.path.remove(str(work))
    result["table"] = _table(result, ratio)
    path = write_result("crisis", result)
    print(json.dumps(_summary(result), indent=2))
    print(f"written: {path}")
    return result


def _table(result: dict[str, Any], ratio: Ratio) -> list[dict[str, str]]:
    """``make bench``'s rows: quality and speed of the current tagger against the baseline."""
    names = list(result["turns"])
    current, base = names[0], names[1]

    def pr(scores: dict[str, Any]) -> str:
        def f(x: float | None) -> str:
            return "-" if x is None else f"{x:.2f}"

        return f"P {f(scores['precision'])} / R {f(scores['recall'])}"

    fp = {n: result["turns"][n]["all"]["first_person"] for n in names}
    unsafe = {n: result["replies"][n]["all"]["unsafe"] for n in names}
    cc = result["counsel_chat_csv"]
    cc_text = (
        f"; counsel-chat unsafe replies {cc[current]['crisis_response_unsafe']} vs"
        f" {cc[base]['crisis_response_unsafe']}"
        if current in cc else ""
    )
    return [
        table_row(
            "crisis tagger: current vs baseline (labelled turns, 1 process)",
            f"{ratio.as_dict()['ours_median']:.0f} turns/s",
            f"baseline {base}: {ratio.as_dict()['peer_median']:.0f} turns/s",
            ratio,
            quality=(
                f"first person {pr(fp[current])} vs {pr(fp[base])}; unsafe replies"
                f" {pr(unsafe[current])} vs {pr(unsafe[base])}{cc_text}"
            ),
        )
    ]


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, turns in result["turns"].items():
        replies = result["replies"][name]["all"]["unsafe"]
        summary[name] = {
            "first_person_all": turns["all"]["first_person"],
            "first_person_heldout": turns.get("split:heldout", {}).get("first_person"),
            "risk_level_all": turns["all"]["risk_level"],
            "reply_unsafe": replies,
            "counsel_chat_unsafe": result["counsel_chat_csv"].get(name, {}).get(
                "crisis_response_unsafe"),
        }
    summary["speed"] = result["speed_turns_per_s"]
    return summary


if __name__ == "__main__":
    main()

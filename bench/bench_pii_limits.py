"""PII time per record at the registry's record limits: the bound the limits buy.

Redaction is linear in a record's characters, but its rate falls with the number of distinct
names a record holds (every confident name is looked for in every turn). The slowest input is
therefore a record at the limits (``max_turns`` turns, ``max_record_chars`` characters; anything
larger is quarantined as ``record_too_large`` at ingest) whose every turn names someone new.
This measures that record, a record of the same size of ordinary counsel-chat text, and a typical
record, on one process, and writes ``bench/results/pii_limits.json``.

    python -m bench.bench_pii_limits
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path
from typing import Any

from nicknames import NickNamer

from bench.common import table_row, write_result
from pixel_platform.core.record import Conversation, Message
from pixel_platform.curation.pii import PiiConfig, PiiRedactor
from pixel_platform.registry import load_registry

COUNSEL_CHAT = Path(__file__).parents[2] / "shared" / "data" / "counsel_chat_20200325.csv"


def _fill(texts: list[str], turns: int, chars: int) -> Conversation:
    """``turns`` turns cycling through ``texts``, cut so the record holds ``chars`` characters."""
    per_turn = chars // turns
    messages: list[Message] = []
    for i in range(turns):
        text = ""
        j = i
        while len(text) < per_turn:
            text += texts[j % len(texts)] + " "
            j += 1
        role = ("user", "assistant")[i % 2]
        messages.append(Message(role=role, content=text[:per_turn].strip()))
    return Conversation(messages, {})


def _time(redactor: PiiRedactor, record: Conversation, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        redactor.redact([record])
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    defaults = load_registry().defaults
    turns, chars = defaults.max_turns, defaults.max_record_chars
    names = sorted({n.title() for n in NickNamer().canonical_lookup})
    named = [f"My friend {names[i % len(names)]} {names[(7 * i) % len(names)]} said to call "
             f"{names[(3 * i) % len(names)]} at {i % 900 + 100}-555-01{i % 100:02d}. Ok."
             for i in range(turns)]  # fmt: skip
    with COUNSEL_CHAT.open(encoding="utf-8") as f:
        prose = [r["answerText"] for r in csv.DictReader(f) if r["answerText"]]
    redactor = PiiRedactor(PiiConfig(), n_process=1)
    redactor.warm_up()
    cases = {
        "names_at_limits": _fill(named, turns, chars),
        "counsel_chat_at_limits": _fill(prose, turns, chars),
        "typical": _fill(prose[:4], 4, 1600),
    }
    results: dict[str, Any] = {}
    for name, record in cases.items():
        size = sum(len(m["content"]) for m in record.messages)
        seconds = _time(redactor, record, args.repeat)
        results[name] = {"turns": len(record.messages), "chars": size,
                         "seconds": round(seconds, 3),
                         "chars_per_s": round(size / seconds)}  # fmt: skip
        print(f"{name:24} {len(record.messages):>5} turns {size:>8} chars {seconds:8.2f} s")
    worst = results["names_at_limits"]
    payload = {
        "limits": {"max_turns": turns, "max_record_chars": chars},
        "records": results,
        # the bound: the slowest record the limits let through, vs. a typical record
        "worst_case_seconds_per_record": worst["seconds"],
        "ratio_worst_to_typical": round(worst["seconds"] / results["typical"]["seconds"], 1),
        "before_limits": "a 100k-turn 7.9 MB record took 342 s (issue 12); now record_too_large",
    }
    typical = results["typical"]
    prose = results["counsel_chat_at_limits"]
    payload["table"] = [
        table_row(
            "pii_limits: one record at the record limits, names in every turn (1 process)",
            f"{worst['seconds']} s/record",
            "",
            ratio_text="",
            quality=f"{turns} turns, {chars} chars; counsel-chat text at the limits "
            f"{prose['seconds']} s; a typical record {typical['seconds']} s "
            f"({payload['ratio_worst_to_typical']}x)",
        )
    ]
    path = write_result("pii_limits", payload)
    print(f"worst case at the limits: {worst['seconds']} s per record; written to {path}")
    return payload


if __name__ == "__main__":
    main()

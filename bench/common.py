"""Shared helpers: corpora, result files, interleaved ratios, outside memory, the one table."""

from __future__ import annotations

import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

RESULTS_DIR = Path(__file__).parent / "results"

OPENERS = [
    "I've been feeling anxious about work lately and I can't sleep.",
    "My partner and I keep arguing about small things and it is wearing me down.",
    "Since my father died I can't seem to concentrate on anything.",
    "I get panic attacks on the train and now I avoid going out.",
    "I relapsed last weekend after eight months sober and I feel ashamed.",
    "Everyone at school seems to have friends except me.",
]
REPLIES = [
    "That sounds exhausting, and it makes sense that you feel worn out.",
    "Thank you for telling me. What do you notice in your body when it starts?",
    "Grief can make ordinary tasks feel impossible; there is nothing wrong with you.",
    "Relapse is common in recovery and it does not erase the progress you made.",
    "Let's look at what a small, manageable next step could be this week.",
]
WORDS = (
    "feel", "think", "really", "always", "never", "maybe", "because", "tired", "worried",
    "family", "friends", "work", "sleep", "morning", "night", "week", "talk", "help", "try",
    "change", "better", "worse", "okay", "sometimes", "often",
)


def synthetic_messages_record(rng: random.Random, i: int, mojibake: bool) -> dict[str, Any]:
    """A ~1.4 KB OpenAI-messages record; optionally with UTF-8-read-as-cp1252 mojibake."""
    turns = []
    for t in range(4):
        base = rng.choice(OPENERS) if t % 2 == 0 else rng.choice(REPLIES)
        filler = " ".join(rng.choice(WORDS) for _ in range(rng.randint(25, 45)))
        text = f"{base} {filler}. ({i}-{t})"
        if mojibake and t == 0:
            text = text.replace("I've", "I’ve").encode("utf-8").decode("cp1252", "replace")
        turns.append({"role": "user" if t % 2 == 0 else "assistant", "content": text})
    return {"messages": turns, "id": f"rec-{i}"}


def write_corpus(path: Path, n: int, *, mojibake_rate: float = 0.02, seed: int = 7) -> int:
    rng = random.Random(seed)
    with path.open("wb") as fh:
        for i in range(n):
            fh.write(orjson.dumps(synthetic_messages_record(rng, i, rng.random() < mojibake_rate)))
            fh.write(b"\n")
    return path.stat().st_size


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - start, value


def machine() -> dict[str, Any]:
    """Where a number was measured: Python, CPU, cores and the load when it started."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "loadavg_1m_at_start": round(load[0], 2),
    }


def write_result(name: str, payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **payload,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


# -- honest measurement ---------------------------------------------------------------------------
# Every ratio is measured interleaved (ours, peer, peer, ours, ...: the order alternates per round
# so drift in machine load cancels), as the median of per-round ratios with the spread printed;
# memory is measured from outside the measured process (``measured_child``), never in-process.


@dataclass(frozen=True)
class Ratio:
    """``ours / peer`` of a rate (higher is better) over interleaved rounds."""

    ours: list[float]  # per round, e.g. records/s
    peer: list[float]

    @property
    def per_round(self) -> list[float]:
        return [a / b for a, b in zip(self.ours, self.peer, strict=True) if b > 0]

    @property
    def median(self) -> float:
        return statistics.median(self.per_round)

    @property
    def spread(self) -> tuple[float, float]:
        return min(self.per_round), max(self.per_round)

    def describe(self) -> str:
        low, high = self.spread
        return f"{self.median:.2f}x (rounds {low:.2f}-{high:.2f}, n={len(self.per_round)})"

    def as_dict(self) -> dict[str, Any]:
        low, high = self.spread
        return {
            "ratio_median": round(self.median, 3),
            "ratio_min": round(low, 3),
            "ratio_max": round(high, 3),
            "ratio_per_round": [round(r, 3) for r in self.per_round],
            "ours_per_round": [round(r, 2) for r in self.ours],
            "peer_per_round": [round(r, 2) for r in self.peer],
            "ours_median": round(statistics.median(self.ours), 2),
            "peer_median": round(statistics.median(self.peer), 2),
        }


def interleaved(ours: Callable[[], float], peer: Callable[[], float], rounds: int = 3) -> Ratio:
    """Run ``ours`` and ``peer`` (each returns a rate) ``rounds`` times each, alternating which
    goes first, and pair them round by round. ``rounds`` is at least 3."""
    rounds = max(3, rounds)
    a: list[float] = []
    b: list[float] = []
    for i in range(rounds):
        if i % 2 == 0:
            a.append(ours())
            b.append(peer())
        else:
            b.append(peer())
            a.append(ours())
    return Ratio(a, b)


@dataclass(frozen=True)
class ChildRun:
    """A command run in a fresh process: wall seconds, peak RSS (MB), exit code and stdout."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0  # user + system, the command's waited-for children included


def measured_child(
    cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
    timeout: float | None = None,
) -> ChildRun:
    """Run ``cmd`` and measure its peak RSS from outside it. On Linux a child's ``ru_maxrss``
    starts at the high-water mark of the process that forked it (``exec`` keeps the old
    address space's peak), so a large benchmark process cannot measure its own children
    directly: a small launcher (``bench/launch.py``, a bare interpreter of ~10 MB) forks the
    command and reports ``wait4``'s rusage of it. The floor of what can be measured is the
    launcher's own size."""
    launcher = [sys.executable, "-S", str(Path(__file__).with_name("launch.py")), *cmd]
    proc = subprocess.run(
        launcher, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    lines = proc.stderr.rstrip("\n").rsplit("\n", 1)
    report = orjson.loads(lines[-1]) if lines and lines[-1].startswith("{\"launch\"") else None
    if report is None:
        raise RuntimeError(f"launcher gave no report for {cmd[:3]}: exit {proc.returncode}")
    return ChildRun(
        seconds=report["launch"]["seconds"],
        peak_rss_mb=report["launch"]["maxrss_kb"] / 1024,
        returncode=report["launch"]["returncode"],
        stdout=proc.stdout,
        stderr=lines[0] if len(lines) > 1 else "",
        cpu_seconds=float(report["launch"].get("cpu_seconds", 0.0)),
    )


# -- the one table --------------------------------------------------------------------------------
TABLE_FIELDS = ("benchmark", "ours", "peer", "ratio", "spread", "quality", "peak_rss_mb")


def table_row(
    benchmark: str, ours: str, peer: str, ratio: Ratio | None = None, *, quality: str = "",
    peak_rss_mb: float | None = None, ratio_text: str | None = None,
) -> dict[str, str]:
    """One row of ``make bench``'s table; every benchmark returns its rows under ``"table"``."""
    low_high = f"{ratio.spread[0]:.2f}-{ratio.spread[1]:.2f}" if ratio is not None else ""
    return {
        "benchmark": benchmark,
        "ours": ours,
        "peer": peer,
        "ratio": ratio_text if ratio_text is not None else (
            f"{ratio.median:.2f}x" if ratio is not None else ""
        ),
        "spread": low_high,
        "quality": quality,
        "peak_rss_mb": "" if peak_rss_mb is None else f"{peak_rss_mb:.0f}",
    }


def markdown_table(rows: list[dict[str, str]]) -> str:
    lines = ["| " + " | ".join(TABLE_FIELDS) + " |", "|" + "---|" * len(TABLE_FIELDS)]
    lines += ["| " + " | ".join(row.get(f, "") for f in TABLE_FIELDS) + " |" for row in rows]
    return "\n".join(lines)


# -- real text ------------------------------------------------------------------------------------
# Benchmarks run on real conversational text: counsel-chat (MIT, ``../shared/data/``, else the
# bundled sample's subset; ``$PIXEL_COUNSEL_CHAT_CSV`` overrides) questions and answers, cut into
# sentences and recombined into conversations with seeded word edits, so that the text has the
# vocabulary, names, punctuation and lengths of what users bring, not a few fixed sentences.
_SENTENCES: list[str] = []


def counsel_chat_sentences() -> list[str]:
    """Distinct sentences (3+ words) of counsel-chat questions and answers, sorted."""
    if not _SENTENCES:
        from bench import dedup_curve  # the ingest pipeline reads the CSV (slow import)

        rows = dedup_curve.load_rows(dedup_curve.counsel_chat_csv())
        found: set[str] = set()
        for row in rows:
            for text in (row.conversation, row.answer):
                for sentence in re.split(r"(?<=[.!?])\s+", text):
                    if len(sentence.split()) >= 3:
                        found.add(sentence.strip())
        _SENTENCES.extend(sorted(found))
    return _SENTENCES


def edit_words(rng: random.Random, text: str, rate: float) -> str:
    """Substitute, insert or delete about ``rate`` of the words (seeded): each word is edited
    with probability ``rate``, so texts vary in how far they drift. ``dedup_curve.edit_words``
    is the other one on purpose: it makes exactly ``rate`` of edits of one kind, the planted
    truth of the near-duplicate curve."""
    words = text.split()
    out: list[str] = []
    for word in words:
        roll = rng.random()
        if roll < rate / 3:
            continue  # deleted
        if roll < 2 * rate / 3:
            out.append(rng.choice(words))  # substituted by another word of the text
        elif roll < rate:
            out += [word, rng.choice(words)]  # a word inserted after it
        else:
            out.append(word)
    return " ".join(out) or text


def real_text_record(
    rng: random.Random, i: int, *, turns: int = 4, edit_rate: float = 0.05,
    mojibake: bool = False,
) -> dict[str, Any]:
    """An OpenAI-messages record of ``turns`` turns, each 2-5 counsel-chat sentences with about
    ``edit_rate`` of their words edited; optionally the first turn as UTF-8 read as cp1252."""
    sentences = counsel_chat_sentences()
    messages = []
    for t in range(turns):
        text = " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 5)))
        text = edit_words(rng, text, edit_rate)
        if mojibake and t == 0:
            text = text.replace("'", "’").encode("utf-8").decode("cp1252", "replace")
        messages.append({"role": "user" if t % 2 == 0 else "assistant", "content": text})
    return {"messages": messages, "id": f"rec-{i}"}


def write_real_corpus(
    path: Path, n: int, *, mojibake_rate: float = 0.02, seed: int = 7, turns: int = 4
) -> int:
    """``n`` real-text records as JSONL at ``path``; returns its size in bytes."""
    rng = random.Random(seed)
    with path.open("wb") as fh:
        for i in range(n):
            record = real_text_record(rng, i, turns=turns, mojibake=rng.random() < mojibake_rate)
            fh.write(orjson.dumps(record))
            fh.write(b"\n")
    return path.stat().st_size

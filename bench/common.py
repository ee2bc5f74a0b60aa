"""Shared helpers: synthetic corpora and result files."""

from __future__ import annotations

import json
import platform
import random
import time
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


def write_result(name: str, payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
        },
        **payload,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path

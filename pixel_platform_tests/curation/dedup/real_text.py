"""Real text for dedup tests: the bundled counsel-chat subset (MIT, see
``pixel_platform/sample_data/licenses/counsel_chat_LICENSE.txt``), 213 answers to 120 questions,
as the ``qa`` converter builds conversations from it, and light typo-style edits of them."""

from __future__ import annotations

import csv
import hashlib
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from pixel_platform.core.record import content_hash
from pixel_platform.curation.dedup import DedupInput
from pixel_platform.storage.base import ObjectStore

SAMPLE_CSV = (
    Path(__file__).resolve().parents[3]
    / "pixel_platform/sample_data/bucket/acquired/counsel_chat/counsel_chat_sample.csv"
)
FILLERS = ("really", "just", "so", "very", "also", "maybe", "then", "now")


@dataclass(frozen=True)
class Answer:
    row: int  # the CSV's unnamed id column
    question: str  # questionID
    therapist: str
    messages: list[dict[str, str]]


def answers() -> list[Answer]:
    with SAMPLE_CSV.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        user = "\n\n".join(x for x in (r["questionTitle"], r["questionText"]) if x)
        messages = [
            {"role": "user", "content": user},
            {"role": "assistant", "content": r["answerText"]},
        ]
        out.append(Answer(int(r[""]), r["questionID"], r["therapistInfo"], messages))
    return out


def edited(rng: random.Random, text: str, fraction: float) -> str:
    """``round(fraction * words)`` light edits at random places: a typo (two letters swapped or
    one dropped), an inserted filler word, or a deleted word."""
    words = text.split(" ")
    for _ in range(max(1, round(fraction * len(text.split())))):
        op = rng.randrange(3)
        i = rng.randrange(len(words))
        if op == 0 and len(words[i]) > 2:
            w = words[i]
            j = rng.randrange(len(w) - 1)
            words[i] = (
                w[:j] + w[j + 1] + w[j] + w[j + 2 :] if rng.random() < 0.5 else w[:j] + w[j + 1 :]
            )
        elif op == 1:
            words.insert(i, rng.choice(FILLERS))
        elif len(words) > 1:
            del words[i]
    return " ".join(words)


def edited_messages(
    rng: random.Random, messages: list[dict[str, str]], fraction: float
) -> list[dict[str, str]]:
    return [{"role": m["role"], "content": edited(rng, m["content"], fraction)} for m in messages]


def record(
    messages: list[dict[str, str]],
    family: str,
    *,
    quality: float = 0.5,
    pii_status: str = "clean",
) -> dict[str, Any]:
    return {
        "messages": messages,
        "metadata": {
            "content_hash": content_hash(messages),  # type: ignore[arg-type]
            "provenance": {"family": family, "source_key": f"raw/{family}.jsonl", "line": 0},
            "quality": {"score": quality},
            "pii_status": pii_status,
        },
    }


def write_partition(
    store: ObjectStore, uid_prefix: str, records: list[dict[str, Any]]
) -> DedupInput:
    data = b"".join(orjson.dumps(r) + b"\n" for r in records)
    key = f"pipeline/processed/{uid_prefix}/conversations.jsonl"
    store.write_bytes(key, data)
    return DedupInput(uid_prefix, key, hashlib.sha256(data).hexdigest())

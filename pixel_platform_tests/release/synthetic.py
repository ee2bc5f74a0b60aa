"""A tiny synthetic release input: deduplicated partitions for every registry family.

Texts are random pseudo-words from a seeded generator, so no two records are near-duplicates by
accident. Some records carry redaction placeholders and crisis hotlines (neither is PII), and a
few are planted for each release exclusion reason.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from pixel_platform.core.record import content_hash
from pixel_platform.registry.model import Registry
from pixel_platform.storage.base import ObjectStore

CLOCK = datetime(2025, 12, 29, 12, 0, tzinfo=UTC)
VERSION = "v2025-12-29"
RECORDS_PER_FAMILY = 24
TINY_FAMILY = "edge_case_synthetic"  # fewer than 20 clusters: goes to train whole
TINY_RECORDS = 6
HOLDOUT_FAMILY = "sarcasm"
# family -> reasons of the records planted in it to be excluded by the release
PLANTED = {
    "mental_health_datasets": ["license_noncommercial"],
    "cptsd": ["license_missing"],
    "edge_case_generator": ["crisis_response_unsafe"],
    "addiction": ["pii_requires_review"],
    "voice_persona": ["pii_status_missing"],
}


@dataclass
class SyntheticInputs:
    inputs: list[str]
    accounting: dict[str, dict[str, Any]]
    snapshots: list[dict[str, Any]]
    released_per_family: dict[str, int]
    excluded_by_reason: dict[str, int] = field(default_factory=dict)


def _vocabulary(rng: random.Random, size: int = 1500) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))))
    return sorted(words)


def _sentence(rng: random.Random, vocabulary: list[str], n: int) -> str:
    return " ".join(rng.choice(vocabulary) for _ in range(n)).capitalize() + "."


def make_record(
    rng: random.Random, vocabulary: list[str], family: str, registry: Registry, index: int
) -> dict[str, Any]:
    turns = rng.choice([2, 4, 4, 6])
    messages = [{"role": "system", "content": "You are a supportive counsellor."}]
    for t in range(turns):
        role = "user" if t % 2 == 0 else "assistant"
        messages.append({"role": role, "content": _sentence(rng, vocabulary, rng.randint(18, 40))})
    pii_status = "clean"
    if index % 5 == 0:  # a redacted record: placeholders are not PII
        messages[1]["content"] += " My email is <EMAIL_1> and my name is <PERSON_1>."
        pii_status = "redacted"
    if index % 7 == 0:  # crisis hotlines are allowlisted
        messages[2]["content"] += " You can call or text 988, or 1-800-273-8255, any time."
    source_key = f"gdrive/raw/{family}/part-{index // 10}.jsonl"
    digest = content_hash(messages)  # type: ignore[arg-type]
    return {
        "messages": messages,
        "metadata": {
            "content_hash": digest,
            "detected_format": "messages",
            "provenance": {
                "family": family,
                "source_key": source_key,
                "source_etag": f"etag-{family}-{index // 10}",
                "line": index % 10 + 1,
                "index": index % 10,
                "license": "internal-owned",  # synthetic text, written for the tests
                "pipeline_version": "0.1.0",
                "ingested_at": "2025-12-28T00:00:00+00:00",
                "detected_format": "messages",
            },
            "pii_status": pii_status,
            "crisis": {
                "labels": ["suicidal_ideation"] if index % 7 == 0 else [],
                "risk_level": "high" if index % 7 == 0 else "none",
                "crisis_response_unsafe": False,
            },
            "quality": {"score": round(rng.uniform(0.5, 1.0), 3), "language": "en"},
            "dedup": {"cluster_id": digest},
        },
    }


def plant(record: dict[str, Any], reason: str) -> None:
    metadata = record["metadata"]
    if reason == "license_noncommercial":
        metadata["provenance"]["license"] = "CC-BY-NC-4.0"
    elif reason == "license_missing":
        metadata["provenance"]["license"] = None
    elif reason == "crisis_response_unsafe":
        metadata["crisis"]["crisis_response_unsafe"] = True
    elif reason == "pii_requires_review":
        metadata["pii_status"] = "requires_review"
        metadata["pii"] = {"status": "requires_review", "review_reasons": {"ambiguous_name": 1}}
    elif reason == "pii_status_missing":
        del metadata["pii_status"]
    else:
        raise ValueError(reason)


def write_inputs(store: ObjectStore, registry: Registry, seed: int = 7) -> SyntheticInputs:
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng)
    out = SyntheticInputs([], {}, [], {})
    for family in sorted(registry.families):
        n = TINY_RECORDS if family == TINY_FAMILY else RECORDS_PER_FAMILY
        planted = PLANTED.get(family, [])
        lines = []
        for i in range(n + len(planted)):
            record = make_record(rng, vocabulary, family, registry, i)
            if i >= n:
                reason = planted[i - n]
                plant(record, reason)
                out.excluded_by_reason[reason] = out.excluded_by_reason.get(reason, 0) + 1
            lines.append(orjson.dumps(record))
        key = f"pipeline/dedup/{family}/conversations.jsonl"
        store.write_bytes(key, b"\n".join(lines) + b"\n")
        out.inputs.append(key)
        out.released_per_family[family] = n
        # Upstream: 3 units quarantined at ingest, 2 dropped by dedup (1 exact, 1 near).
        out.accounting[family] = {
            "raw_in": n + len(planted) + 3 + 2,
            "quarantined": {"invalid_json": 2, "too_few_turns": 1},
            "dedup_dropped": {"exact": 1, "near": 1},
        }
        for part in range((n + len(planted) + 9) // 10):
            out.snapshots.append(
                {
                    "key": f"gdrive/raw/{family}/part-{part}.jsonl",
                    "etag": f"etag-{family}-{part}",
                    "size": 1000 + part,
                    "family": family,
                }
            )
    return out


def append_records(
    store: ObjectStore,
    registry: Registry,
    inputs: SyntheticInputs,
    n: int,
    *,
    seed: int,
    first_index: int,
    user_prefix: str = "",
    reply_prefix: str = "",
) -> None:
    """``n`` more records at the end of the first input partition (its accounting counts them),
    their first user turn and reply starting with ``user_prefix`` and ``reply_prefix``."""
    key = sorted(inputs.inputs)[0]
    family = key.split("/")[2]
    rng = random.Random(seed)
    words = _vocabulary(rng)
    lines = []
    for i in range(n):
        record = make_record(rng, words, family, registry, first_index + i)
        record["messages"][1]["content"] = user_prefix + record["messages"][1]["content"]
        record["messages"][2]["content"] = reply_prefix + record["messages"][2]["content"]
        record["metadata"]["content_hash"] = content_hash(record["messages"])
        lines.append(orjson.dumps(record))
    store.write_bytes(key, store.read_bytes(key) + b"\n".join(lines) + b"\n")
    inputs.accounting[family]["raw_in"] += n

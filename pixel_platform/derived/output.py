"""What every generator shares: seeded randomness, the ``metadata.generator`` stamp, the
``GeneratorReport`` and one atomic JSONL writer that fills it (the CPTSD, persona, preference,
pretraining and long-running generators all use them).

A generator is not a filter: it may write several records per input, or one from many, so its
report counts inputs read, records written and the inputs it did not use by reason (nothing is
dropped silently) rather than the ``seen = forwarded + dropped`` of a ``core.steps.StepStats``.
Its records enter the pipeline's accounting (``core.report.Accounting``) as raw units of the
derived family when they are ingested.

Reruns on the same inputs with the same seed give the same bytes: inputs are read in key order,
each record draws from its own RNG seeded by (seed, input key, position), and nothing carries a
timestamp.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson

from pixel_platform.core.record import Conversation
from pixel_platform.derived.status import Skipped
from pixel_platform.storage.base import ObjectStore

GENERATOR_VERSION = "1"
T = TypeVar("T")


def stable_rng(seed: int, *parts: object) -> random.Random:
    """A ``random.Random`` that depends only on ``seed`` and ``parts`` (not on hash seeds)."""
    digest = hashlib.sha256(orjson.dumps([seed, *map(str, parts)])).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def generator_stamp(
    name: str, seed: int, inputs: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    """``metadata.generator``: which generator made a record, from which input objects."""
    return {"name": name, "version": GENERATOR_VERSION, "seed": seed, "inputs": inputs, **extra}


@dataclass(frozen=True, slots=True)
class ReadProblem:
    """An input object that gave no usable input, and why (counted in the generator report)."""

    key: str
    reason: str
    detail: str = ""


@dataclass
class GeneratorReport:
    """Counts of one generator run: records written, and every input unit it did not use, by
    reason (nothing is dropped silently). ``skipped`` is set, and nothing written, when the run
    found no input object at all (``derived.status``)."""

    name: str
    output: str | None = None  # where it was written (store URI)
    inputs: int = 0
    records: int = 0
    bytes: int = 0
    sha256: str | None = None
    dropped: Counter[str] = field(default_factory=Counter)
    counts: dict[str, Counter[str]] = field(default_factory=dict)  # e.g. themes, sources
    problems: list[dict[str, str]] = field(default_factory=list)  # inputs that failed, with why
    extra: dict[str, Any] = field(default_factory=dict)
    skipped: Skipped | None = None

    def accept(self, item: T | ReadProblem) -> T | None:
        """Count one input unit; a ``ReadProblem`` is dropped by its reason, listed in
        ``problems`` and ``None`` comes back."""
        self.inputs += 1
        if isinstance(item, ReadProblem):
            self.dropped[item.reason] += 1
            self.problems.append({"key": item.key, "reason": item.reason, "detail": item.detail})
            return None
        return item

    def count(self, section: str, key: str, n: int = 1) -> None:
        self.counts.setdefault(section, Counter())[key] += n

    def as_dict(self) -> dict[str, Any]:
        skipped = {"skipped": self.skipped.as_dict()} if self.skipped is not None else {}
        return {
            "name": self.name,
            "output": self.output,
            "inputs": self.inputs,
            "records": self.records,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "dropped": dict(sorted(self.dropped.items())),
            "counts": {k: dict(sorted(v.items())) for k, v in sorted(self.counts.items())},
            "problems": self.problems,
            **skipped,
            **self.extra,
        }


def record_line(record: Conversation | dict[str, Any]) -> bytes:
    data = record.to_dict() if isinstance(record, Conversation) else record
    return orjson.dumps(data) + b"\n"


def write_jsonl(
    store: ObjectStore,
    key: str,
    records: Iterable[Conversation | dict[str, Any]],
    report: GeneratorReport,
) -> GeneratorReport:
    """Write ``records`` as JSONL to ``key`` (atomically) and fill the report's output fields."""
    digest = hashlib.sha256()
    with store.open_write(key) as fh:
        for record in records:
            line = record_line(record)
            fh.write(line)
            digest.update(line)
            report.records += 1
            report.bytes += len(line)
    report.sha256 = "sha256:" + digest.hexdigest()
    report.output = store.uri(key)
    return report

"""The one step contract.

A step takes an iterable of items and yields items; everything it does not forward goes to a
quarantine sink with a reason code. Counting and timing live in the base class, so a subclass only
writes ``apply(item) -> item | Reject``. After a run, ``seen == forwarded + sum(dropped)`` for every
step, which is what makes end-to-end accounting checkable.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import orjson

from pixel_platform.core.counts import counts_dict

EXCERPT_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Locator:
    """Where an item came from: enough for a person to open the source and find it."""

    source_key: str | None = None
    line: int | None = None  # 1-based line in the source object, where the format has lines
    index: int | None = None  # 0-based record index within the source object

    def describe(self) -> str:
        parts = [self.source_key or "<unknown source>"]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.index is not None:
            parts.append(f"record {self.index}")
        return ", ".join(parts)


class Locatable(Protocol):
    def locator(self) -> Locator: ...

    def excerpt(self) -> str: ...


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    reason: str
    detail: str
    step: str
    source_key: str | None
    line: int | None
    index: int | None
    family: str | None = None
    excerpt: str | None = None

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "reason": self.reason,
                "detail": self.detail,
                "step": self.step,
                "source_key": self.source_key,
                "line": self.line,
                "index": self.index,
                "family": self.family,
                "excerpt": self.excerpt,
            },
            option=orjson.OPT_SORT_KEYS,
        )


class QuarantineSink(Protocol):
    def put(self, entry: QuarantineEntry) -> None: ...


class ListQuarantine:
    """Collects entries in memory (CLI dry runs, tests)."""

    def __init__(self) -> None:
        self.entries: list[QuarantineEntry] = []

    def put(self, entry: QuarantineEntry) -> None:
        self.entries.append(entry)


@dataclass(slots=True)
class Reject:
    """Returned by ``Step.apply`` instead of an item: the item goes to quarantine."""

    reason: str
    detail: str = ""

    def __post_init__(self) -> None:
        # Reason members are StrEnums; stats and JSON writers want plain str keys.
        self.reason = str(self.reason)


@dataclass
class StepStats:
    name: str
    seen: int = 0
    forwarded: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**counts_dict(self), "seconds": round(self.seconds, 3)}

    @property
    def balanced(self) -> bool:
        return self.seen == self.forwarded + sum(self.dropped.values())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepStats:
        """Read ``as_dict`` output back (reports of earlier stages)."""
        return cls(
            name=str(data["name"]),
            seen=int(data["seen"]),
            forwarded=int(data["forwarded"]),
            dropped=Counter({str(k): int(v) for k, v in data.get("dropped", {}).items()}),
            changed=Counter({str(k): int(v) for k, v in data.get("changed", {}).items()}),
            seconds=float(data.get("seconds", 0.0)),
        )


In = TypeVar("In", bound=Locatable)
Out = TypeVar("Out")


class Step(ABC, Generic[In, Out]):
    """Generator in, generator out. Subclasses set ``name`` and implement ``apply``."""

    name: str = "step"

    def __init__(self, family: str | None = None) -> None:
        self.family = family
        self.stats = StepStats(self.name)

    @abstractmethod
    def apply(self, item: In) -> Out | Reject:
        """Return the transformed item, or a ``Reject`` naming the reason."""

    def run(self, items: Iterable[In], quarantine: QuarantineSink) -> Iterator[Out]:
        yield from run_chain([self], items, quarantine)

    def quarantine_entry(self, item: In, reject: Reject) -> QuarantineEntry:
        loc = item.locator()
        excerpt = item.excerpt()
        return QuarantineEntry(
            reason=reject.reason,
            detail=reject.detail,
            step=self.name,
            source_key=loc.source_key,
            line=loc.line,
            index=loc.index,
            family=self.family,
            excerpt=excerpt[:EXCERPT_CHARS] if excerpt else None,
        )


def run_chain(
    steps: Sequence[Step[Any, Any]], items: Iterable[Any], quarantine: QuarantineSink
) -> Iterator[Any]:
    """Push each item through every step in one loop; the bookkeeping of chained ``Step.run``.

    Chaining one generator per step costs about as much per record as a cheap step, so the
    chain runs in a single loop: rejects are counted and quarantined as they happen; seen,
    forwarded and seconds are kept locally and added to each step's stats when the run ends
    (exhausted, closed or raising). An item whose step raised counts as seen but neither
    forwarded nor dropped by that step, so ``StepStats.balanced`` fails loudly after a crash.
    """
    applies = [step.apply for step in steps]
    seconds = [0.0] * len(steps)
    dropped = [0] * len(steps)
    units_in = 0
    in_step = -1  # index of the step holding the current item; -1 between items
    clock = time.perf_counter
    try:
        for unit in items:
            units_in += 1
            item: Any = unit
            started = clock()
            for i, apply in enumerate(applies):
                in_step = i
                result = apply(item)
                now = clock()
                seconds[i] += now - started
                started = now
                if type(result) is Reject:
                    dropped[i] += 1
                    steps[i].stats.dropped[result.reason] += 1
                    quarantine.put(steps[i].quarantine_entry(item, result))
                    break
                item = result
            else:
                in_step = -1
                yield item
            in_step = -1
    finally:
        seen = units_in
        for i, step in enumerate(steps):
            forwarded = seen - dropped[i] - (1 if i == in_step else 0)
            step.stats.seen += seen
            step.stats.forwarded += forwarded
            step.stats.seconds += seconds[i]
            seen = forwarded

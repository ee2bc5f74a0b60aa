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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import orjson

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
        return {
            "name": self.name,
            "seen": self.seen,
            "forwarded": self.forwarded,
            "dropped": dict(sorted(self.dropped.items())),
            "changed": dict(sorted(self.changed.items())),
            "seconds": round(self.seconds, 3),
        }

    @property
    def balanced(self) -> bool:
        return self.seen == self.forwarded + sum(self.dropped.values())


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
        stats = self.stats
        clock = time.perf_counter
        for item in items:
            stats.seen += 1
            started = clock()
            result = self.apply(item)
            stats.seconds += clock() - started
            if isinstance(result, Reject):
                stats.dropped[result.reason] += 1
                quarantine.put(self.quarantine_entry(item, result))
            else:
                stats.forwarded += 1
                yield result

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

"""The typed hand-off between stages: what a stage did to one partition, and where every unit went.

Each stage (``pipeline/partition.py`` processed, ``pipeline/curate.py`` curated,
``pipeline/dedup.py`` deduplicated) returns a ``StageReport`` and writes it as the partition's
``stats.json``; the Dagster assets, ``pixel-platform run`` and the next stage read that type, never
a loose dictionary. ``Accounting`` is the one way records are accounted for across stages
(datatrove's mergeable stats, per family): every raw unit is released, quarantined with a reason,
dropped as a duplicate, or excluded by the release — each stage adds its part and hands the sum
on, so the release reads the dedup report alone.

The JSON written is the same layout the stats files have always had (plus ``accounting``), so a
report written by one version can be read by the next.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, BinaryIO

import orjson

from pixel_platform.core.errors import ConfigError
from pixel_platform.core.steps import StepStats

PROCESSED = "processed"
CURATED = "curated"


def _counter(value: Mapping[str, Any] | None) -> Counter[str]:
    return Counter({str(k): int(v) for k, v in (value or {}).items()})


def _sorted(counts: Mapping[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items()))


@dataclass
class Accounting:
    """Where the raw units of one family (or one partition) went.

    ``raw_in == released + quarantined + dedup_dropped + release_excluded`` once a release has
    been built; before that, the units not yet accounted for are still on their way. Accountings
    add up (``merge``), so partitions sum to a family and stages sum along the pipeline."""

    raw_in: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)  # by reason, every stage
    dedup_dropped: Counter[str] = field(default_factory=Counter)  # by kind: exact, near
    release_excluded: Counter[str] = field(default_factory=Counter)  # by reason
    released: int = 0

    def merge(self, other: Accounting) -> Accounting:
        """Add ``other`` into this one (in place) and return it."""
        self.raw_in += other.raw_in
        self.quarantined.update(other.quarantined)
        self.dedup_dropped.update(other.dedup_dropped)
        self.release_excluded.update(other.release_excluded)
        self.released += other.released
        return self

    def copy(self) -> Accounting:
        return Accounting().merge(self)

    @property
    def accounted(self) -> int:
        return (
            self.released
            + sum(self.quarantined.values())
            + sum(self.dedup_dropped.values())
            + sum(self.release_excluded.values())
        )

    @property
    def balanced(self) -> bool:
        return self.raw_in == self.accounted

    def as_dict(self) -> dict[str, Any]:
        """What flows between stages: raw units in, quarantined by reason, dedup drops by kind."""
        return {
            "raw_in": self.raw_in,
            "quarantined": _sorted(self.quarantined),
            "dedup_dropped": _sorted(self.dedup_dropped),
        }

    def release_dict(self) -> dict[str, Any]:
        """The manifest's per-family section: everything, and whether it balances."""
        return {
            "raw_in": self.raw_in,
            "released": self.released,
            "quarantined": _sorted(self.quarantined),
            "dedup_dropped": _sorted(self.dedup_dropped),
            "release_excluded": _sorted(self.release_excluded),
            "balanced": self.balanced,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, what: str = "accounting") -> Accounting:
        """Read ``as_dict``/``release_dict`` output; a malformed entry is a ``ConfigError``
        naming ``what`` (never quoting values)."""
        try:
            return cls(
                raw_in=int(data["raw_in"]),
                quarantined=_counter(data.get("quarantined")),
                dedup_dropped=_counter(data.get("dedup_dropped")),
                release_excluded=_counter(data.get("release_excluded")),
                released=int(data.get("released", 0)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(
                f"{what} needs raw_in (int), quarantined {{reason: n}} and"
                f" dedup_dropped {{kind: n}}: {type(exc).__name__}"
            ) from None


def family_accounting(
    entries: Iterable[tuple[str, Accounting]],
) -> dict[str, Accounting]:
    """Sum per-partition accountings into one per family (first-seen order)."""
    out: dict[str, Accounting] = {}
    for family, accounting in entries:
        out.setdefault(family, Accounting()).merge(accounting)
    return out


@dataclass(frozen=True)
class FileSummary:
    """One file a stage wrote: its key, line count, size and sha256 (hex)."""

    key: str
    records: int
    bytes: int = 0
    sha256: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FileSummary:
        return cls(str(data["key"]), int(data["records"]), int(data.get("bytes", 0)),
                   str(data.get("sha256", "")))  # fmt: skip


class HashingWriter:
    """Counts lines and hashes bytes on their way to the output file (for stats and manifests)."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self.sha256 = hashlib.sha256()
        self.records = 0
        self.bytes = 0

    def write_line(self, line: bytes) -> None:
        data = line + b"\n"
        self._fh.write(data)
        self.sha256.update(data)
        self.records += 1
        self.bytes += len(data)

    def write(self, data: bytes) -> None:
        """Write ``data`` as is (any number of whole or partial lines); counts its newlines."""
        self._fh.write(data)
        self.sha256.update(data)
        self.records += data.count(b"\n")
        self.bytes += len(data)

    def summary(self, key: str) -> FileSummary:
        return FileSummary(key, self.records, self.bytes, self.sha256.hexdigest())


@dataclass
class StageReport:
    """What one stage did to one partition: units in, records out, quarantined by reason,
    changes counted by the steps, the files written, and the accounting so far (this stage and
    every stage before it). ``details`` holds the stage's own facts (snapshot fingerprint,
    detected formats, config hash, …) and is written as top-level keys of ``stats.json``."""

    stage: str
    family: str
    partition_key: str
    units_in: int
    output: FileSummary
    quarantine: FileSummary
    quarantined_by_reason: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)
    steps: list[StepStats] = field(default_factory=list)
    accounting: Accounting = field(default_factory=Accounting)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def records_out(self) -> int:
        return self.output.records

    @property
    def quarantined(self) -> int:
        return self.quarantine.records

    @property
    def balanced(self) -> bool:
        """Every unit in is a record out or a quarantine entry, and every step balances."""
        return (
            self.units_in == self.records_out + self.quarantined
            and self.quarantined == sum(self.quarantined_by_reason.values())
            and all(step.balanced for step in self.steps)
        )

    def changed_with_prefix(self, prefix: str) -> dict[str, int]:
        """The ``changed`` counters named ``<prefix><rest>``, keyed by ``rest`` (steps name their
        counters ``pii_status_<s>``, ``label:<l>``, ``language:<code>``, …)."""
        return {k[len(prefix) :]: v for k, v in self.changed.items() if k.startswith(prefix)}

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.details,
            "family": self.family,
            "partition_key": self.partition_key,
            "units_in": self.units_in,
            "records_out": self.records_out,
            "quarantined": self.quarantined,
            "quarantined_by_reason": _sorted(self.quarantined_by_reason),
            "changed": _sorted(self.changed),
            "steps": [step.as_dict() for step in self.steps],
            "output": self.output.as_dict(),
            "quarantine": {"key": self.quarantine.key, "records": self.quarantine.records},
            "accounting": self.accounting.as_dict(),
        }

    def to_json(self) -> bytes:
        return orjson.dumps(self.as_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)

    @classmethod
    def from_dict(cls, stage: str, data: Mapping[str, Any]) -> StageReport:
        known = {"family", "partition_key", "units_in", "records_out", "quarantined",
                 "quarantined_by_reason", "changed", "steps", "output", "quarantine",
                 "accounting"}  # fmt: skip
        by_reason = _counter(data.get("quarantined_by_reason"))
        accounting = data.get("accounting")
        return cls(
            stage=stage,
            family=str(data["family"]),
            partition_key=str(data["partition_key"]),
            units_in=int(data["units_in"]),
            output=FileSummary.from_dict(data["output"]),
            quarantine=FileSummary(
                str(data["quarantine"]["key"]), int(data["quarantine"]["records"])
            ),
            quarantined_by_reason=by_reason,
            changed=_counter(data.get("changed")),
            steps=[StepStats.from_dict(s) for s in data.get("steps", ())],
            # Reports written before accounting was carried forward: this stage's own part.
            accounting=(
                Accounting.from_dict(accounting, what=f"{stage} report accounting")
                if accounting is not None
                else Accounting(raw_in=int(data["units_in"]), quarantined=Counter(by_reason))
            ),
            details={k: v for k, v in data.items() if k not in known},
        )

    @classmethod
    def from_json(cls, stage: str, data: bytes) -> StageReport:
        return cls.from_dict(stage, orjson.loads(data))


def merge_step_stats(steps: Iterable[StepStats]) -> tuple[Counter[str], Counter[str]]:
    """Dropped-by-reason and changed counters summed over ``steps``."""
    dropped: Counter[str] = Counter()
    changed: Counter[str] = Counter()
    for step in steps:
        dropped.update(step.dropped)
        changed.update(step.changed)
    return dropped, changed

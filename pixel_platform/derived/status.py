"""What a generator did on its last run: wrote records, or had nothing to generate from.

A generator whose inputs are absent has nothing to generate. A bucket that holds only the user's
own data has no teaching transcripts under ``voice/`` and no counsel-chat CSV, and that is not a
failure of the pipeline: the generator returns a report whose ``skipped`` is a ``Skipped``
(reason ``no_inputs``, and the keys it looked for) and writes nothing. Inputs that are there but
cannot be read are a different matter: they still raise.

The Dagster asset leaves its output key as the run's result says (``settle_output``: no object
when there is no record; an earlier run's records are retracted) and records each output's
outcome in ``pipeline/derived/status/<asset>.json`` (``GeneratorStatus``). The release reads
these records (``derived_skipped``): a family fed only by generators that produced nothing is
listed in the manifest (``options.derived_skipped``, family -> reason) and does not fail the
Coverage gate. A family with any source of its own (synced data) is never excused this way, nor
one whose generator has no record (never ran, or failed), nor one with records under its prefix.

No Dagster here: the assets and ``pixel-platform run`` call into it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from pixel_platform.pipeline.layout import is_ignored_object
from pixel_platform.registry.model import Registry, SourceSpec
from pixel_platform.storage.base import ObjectStore

NO_INPUTS = "no_inputs"
STATUS_PREFIX = "pipeline/derived/status/"


@dataclass(frozen=True)
class Skipped:
    """A generator found no input object under any of ``looked_for`` (prefixes or keys)."""

    generator: str
    looked_for: tuple[str, ...]
    reason: str = NO_INPUTS

    def describe(self, store: ObjectStore | None = None) -> str:
        """``no inputs under voice/monologues/, …`` (keys, or the store's URIs for them)."""
        where = [store.uri(k) if store is not None else k for k in self.looked_for]
        return f"no inputs under {', '.join(where)}"

    def as_dict(self) -> dict[str, Any]:
        return {"generator": self.generator, "reason": self.reason, "looked_for": self.looked_for}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Skipped:
        return cls(str(data["generator"]), tuple(data["looked_for"]), str(data["reason"]))


def missing_inputs(
    store: ObjectStore, locations: str | Sequence[str], generator: str
) -> Skipped | None:
    """``Skipped`` when none of ``locations`` (prefixes or keys) holds a data object; ``None``
    when there is something to read. Markers and hidden files are not data. A store that cannot
    be listed raises (that is an error, not an absence)."""
    wanted = [locations] if isinstance(locations, str) else list(locations)
    for location in wanted:
        if any(not is_ignored_object(info.key) for info in store.list(location)):
            return None
    return Skipped(generator, tuple(wanted))


@dataclass(frozen=True)
class OutputStatus:
    """One output key of a generator run: what it wrote there, or why it wrote nothing."""

    key: str
    records: int = 0
    inputs: int = 0
    problems: int = 0  # inputs (or lines) the generator could not read
    skipped: Skipped | None = None
    # An earlier run's records were at ``key`` and this run made none: they were replaced by an
    # empty object (see ``settle_output``).
    retracted: bool = False

    @property
    def produced_nothing(self) -> bool:
        """No record at ``key``: skipped, or every input read fine and none gave a record."""
        return self.skipped is not None or (self.records == 0 and self.problems == 0)

    def reason(self) -> str:
        """Why nothing is at ``key``, in words that do not change from run to run while the
        outcome does not (the release records it, and its inputs fingerprint covers it)."""
        if self.skipped is not None:
            return f"skipped: {self.skipped.describe()}"
        return "generated no records from its inputs"

    def describe(self) -> str:
        retracted = "; the earlier output was retracted" if self.retracted else ""
        if self.skipped is not None:
            return f"skipped: {self.skipped.describe()}{retracted}"
        inputs = f" from {self.inputs} inputs" if self.inputs else ""  # a template needs none
        return f"{self.records} records{inputs}{retracted}"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "status": "skipped" if self.skipped is not None else "generated",
            "records": self.records,
            "inputs": self.inputs,
            "problems": self.problems,
            "retracted": self.retracted,
        }
        if self.skipped is not None:
            data["skipped"] = self.skipped.as_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutputStatus:
        skipped = data.get("skipped")
        return cls(
            key=str(data["key"]),
            records=int(data.get("records", 0)),
            inputs=int(data.get("inputs", 0)),
            problems=int(data.get("problems", 0)),
            skipped=Skipped.from_dict(skipped) if skipped else None,
            retracted=bool(data.get("retracted", False)),
        )


def has_output(store: ObjectStore, key: str) -> bool:
    """Whether ``key`` holds a non-empty object (an earlier run's records)."""
    info = store.head(key)
    return info is not None and info.size > 0


def settle_output(
    store: ObjectStore,
    key: str,
    *,
    had_output: bool,
    skipped: Skipped | None,
    records: int = 0,
    inputs: int = 0,
    problems: int = 0,
) -> OutputStatus:
    """Leave ``key`` as a run that made ``records`` should, and say what it holds.

    A run that made no record (skipped, or nothing qualified) must not leave records of an
    earlier run to ship: they were generated from inputs that may be gone (transcripts whose
    rights were withdrawn, data taken down). So an earlier output (``had_output``, taken before
    the run) is replaced by an empty object rather than deleted: its partition stays live and is
    processed again to zero records, where a deleted object would leave the partition's last
    curated output feeding dedup. With no earlier output, no object is left at all (an empty
    object would become a partition of one empty file).
    """
    if records == 0:
        if had_output:
            store.write_bytes(key, b"")
        elif store.exists(key):
            store.delete(key)  # the empty file this run's writer just made
    return OutputStatus(
        key, records, inputs, problems, skipped, retracted=records == 0 and had_output
    )


@dataclass(frozen=True)
class GeneratorStatus:
    asset: str
    outputs: tuple[OutputStatus, ...] = field(default_factory=tuple)

    @property
    def skipped(self) -> bool:
        return bool(self.outputs) and all(o.skipped is not None for o in self.outputs)

    def to_json(self) -> bytes:
        data = {"asset": self.asset, "outputs": [o.as_dict() for o in self.outputs]}
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"

    @classmethod
    def from_json(cls, raw: bytes) -> GeneratorStatus:
        data = orjson.loads(raw)
        return cls(str(data["asset"]), tuple(OutputStatus.from_dict(o) for o in data["outputs"]))


def status_key(asset: str) -> str:
    return f"{STATUS_PREFIX}{asset}.json"


def clear_status(store: ObjectStore, asset: str) -> None:
    """Before a run: a run that fails leaves no record, so it never passes as a skip."""
    if store.exists(status_key(asset)):
        store.delete(status_key(asset))


def write_status(store: ObjectStore, asset: str, outputs: Iterable[OutputStatus]) -> str:
    key = status_key(asset)
    store.write_bytes(key, GeneratorStatus(asset, tuple(outputs)).to_json())
    return key


def read_status(store: ObjectStore, asset: str) -> GeneratorStatus | None:
    key = status_key(asset)
    return GeneratorStatus.from_json(store.read_bytes(key)) if store.exists(key) else None


def _under(key: str, location: str) -> bool:
    return key == location or (location.endswith("/") and key.startswith(location))


def _source_reason(store: ObjectStore, source: SourceSpec) -> str | None:
    """Why ``source`` (produced by a generator) holds nothing, or ``None`` if it may hold data."""
    if source.produced_by is None:
        return None  # the user's own data: missing is missing, never excused here
    status = read_status(store, source.produced_by)
    outputs = [o for o in status.outputs if _under(o.key, source.location)] if status else []
    if not outputs or not all(o.produced_nothing for o in outputs):
        return None
    own = {o.key for o in outputs}
    for info in store.list(source.location):
        if is_ignored_object(info.key) or (info.key in own and info.size == 0):
            continue  # a marker, or the generator's own retracted (empty) output
        return None  # records under the prefix (written by hand, say)
    return "; ".join(f"{source.produced_by} {o.reason()}" for o in outputs)


def derived_skipped(store: ObjectStore, registry: Registry) -> dict[str, str]:
    """family -> reason, for each family all of whose sources are produced by generators whose
    last recorded run put nothing there (see the module docstring)."""
    skipped: dict[str, str] = {}
    for name, family in sorted(registry.families.items()):
        if not family.sources:
            continue
        reasons = [_source_reason(store, source) for source in family.sources]
        if all(r is not None for r in reasons):
            skipped[name] = "; ".join(dict.fromkeys(r for r in reasons if r is not None))
    return skipped

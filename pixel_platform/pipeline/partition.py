"""Process one partition: the objects of a raw snapshot -> processed ChatML + quarantine + stats.

Output files, all written atomically (a reader sees the old version or the new, never half):

* ``pipeline/processed/<family>/<slug>/conversations.jsonl`` — one ``Conversation`` per line
* ``pipeline/quarantine/<family>/<slug>/quarantine.jsonl`` — one ``QuarantineEntry`` per line
* ``pipeline/processed/<family>/<slug>/stats.json`` — counts; written last, so its presence means
  the partition finished.

One object never fails its partition: a key the store cannot serve (a symbolic link in a local
bucket, an S3 key with an empty or ``..`` segment) is one ``unreadable_key`` unit, and a reader
that raises on an object's bytes (a bug: readers are held to never raising) ends that object with
one ``read_error`` unit; the other objects are read as usual. Storage errors (transient or
terminal) still fail the partition, and a crash in a later step is re-raised as ``IngestError``
naming the object key and record index. Nothing logged or raised quotes a record.
"""

from __future__ import annotations

import logging
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from pixel_platform import PIPELINE_VERSION
from pixel_platform.core.errors import IngestError, InvalidKeyError, PixelError, TerminalError
from pixel_platform.core.reasons import Reason
from pixel_platform.core.report import (
    PROCESSED,
    Accounting,
    FileSummary,
    HashingWriter,
    StageReport,
    merge_step_stats,
)
from pixel_platform.core.steps import QuarantineEntry
from pixel_platform.ingest.pipeline import IngestPipeline
from pixel_platform.ingest.raw import RawRecord, ReadFailure
from pixel_platform.ingest.readers import read_object
from pixel_platform.pipeline import layout
from pixel_platform.pipeline.snapshot import RawSnapshot, SnapshotObject
from pixel_platform.registry.model import FamilySpec, Registry, SourceSpec
from pixel_platform.storage.base import ObjectStore

log = logging.getLogger(__name__)

ProgressCallback = Callable[[str, int], None]  # (object key just finished, units read so far)


class JsonlQuarantineWriter:
    """A ``QuarantineSink`` streaming entries to a file. It logs one WARNING line per source file
    that had quarantined units — how many, by reason, and where the first one was — not a line
    per unit (no text, ever: the excerpts stay in the file). Use it as a context manager, or call
    ``close``, so the last file's line is logged."""

    def __init__(self, fh: BinaryIO, logger: logging.Logger = log) -> None:
        self._fh = fh
        self._log = logger
        self.count = 0
        self.by_reason: Counter[str] = Counter()
        self._key: str | None = None
        self._first = ""
        self._reasons: Counter[str] = Counter()

    def put(self, entry: QuarantineEntry) -> None:
        self._fh.write(entry.to_json())
        self._fh.write(b"\n")
        self.count += 1
        self.by_reason[entry.reason] += 1
        key = entry.source_key or "<unknown>"
        if key != self._key:
            self._summarise()
            self._key = key
            self._first = (
                f"line {entry.line}" if entry.line is not None
                else f"record {entry.index}" if entry.index is not None else ""
            )  # fmt: skip
        self._reasons[entry.reason] += 1

    def close(self) -> None:
        self._summarise()

    def __enter__(self) -> JsonlQuarantineWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _summarise(self) -> None:
        if self._key is None or not self._reasons:
            return
        reasons = ", ".join(f"{reason} {n}" for reason, n in self._reasons.most_common())
        total = sum(self._reasons.values())
        first = f"; first at {self._first}" if self._first else ""
        self._log.warning("quarantined %d unit(s) of %s: %s%s", total, self._key, reasons, first)
        self._reasons = Counter()


def find_source(family: FamilySpec, partition_key: str) -> SourceSpec:
    for source in family.sources:
        if source.location == partition_key:
            return source
    raise TerminalError(
        f"partition {partition_key!r} is not a source of family {family.name!r} in the registry;"
        " remove the stale partition or add the source to the registry"
    )


class _UnitFeed:
    """The units of a snapshot's objects, one object after another; remembers the last unit
    handed out, which is the one a failing step was working on."""

    def __init__(
        self,
        store: ObjectStore,
        snapshot: RawSnapshot,
        progress: ProgressCallback | None,
        logger: logging.Logger,
        read_kwargs: dict[str, Any],
    ) -> None:
        self._store = store
        self._read_kwargs = read_kwargs
        self._snapshot = snapshot
        self._progress = progress
        self._log = logger
        self.last: RawRecord | ReadFailure | None = None

    def __iter__(self) -> Iterator[RawRecord | ReadFailure]:
        seen = 0
        for obj in self._snapshot.objects:
            for unit in self._object_units(obj):
                seen += 1
                self.last = unit
                yield unit
            if self._progress is not None:
                self._progress(obj.key, seen)

    def _object_units(self, obj: SnapshotObject) -> Iterator[RawRecord | ReadFailure]:
        store, key = self._store, obj.key
        try:
            current = store.head(key)
        except InvalidKeyError as exc:
            yield ReadFailure(key, Reason.UNREADABLE_KEY.value, str(exc))
            return
        if current is None or current.etag != obj.etag:
            raise TerminalError(
                f"{store.uri(key)} changed or vanished since the raw snapshot of"
                f" {self._snapshot.taken_at}; materialize the raw asset of this partition again"
            )
        units = 0
        try:
            for unit in read_object(store, key, **self._read_kwargs):
                units += 1
                yield unit
        except InvalidKeyError as exc:
            yield ReadFailure(key, Reason.UNREADABLE_KEY.value, str(exc), index=units)
        except (PixelError, OSError, MemoryError):
            raise  # storage and the machine, not the object's bytes
        except Exception as exc:  # a reader bug: contain it to this object
            where = _where(exc)
            self._log.error("reader failed on %s after %d units: %s", key, units, where)
            yield ReadFailure(
                key,
                Reason.READ_ERROR.value,
                f"the reader failed after {units} units ({where}); the rest of the object is"
                " not read",
                index=units,
            )

    def where(self) -> str:
        return self.last.locator().describe() if self.last is not None else "before the first unit"


def _where(exc: BaseException) -> str:
    """An exception's type and innermost place: never its message, which may quote a record."""
    frames = traceback.extract_tb(exc.__traceback__)
    place = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{place}"


def process_partition(
    store: ObjectStore,
    registry: Registry,
    family_name: str,
    snapshot: RawSnapshot,
    *,
    progress: ProgressCallback | None = None,
    logger: logging.Logger = log,
) -> StageReport:
    family = registry.family(family_name)
    source = find_source(family, snapshot.partition_key)
    pipeline = IngestPipeline(
        registry,
        family,
        fmt=family.source_format(source),
        license=family.source_license(source),
        posts=family.source_posts(source),
        ingested_at=snapshot.taken_at,
        etags={o.key: o.etag for o in snapshot.objects},
    )
    output_key = layout.processed_key(family_name, snapshot.partition_key)
    quarantine_key = layout.quarantine_key(family_name, snapshot.partition_key)
    with store.open_write(output_key) as out_fh, store.open_write(quarantine_key) as q_fh:
        output = HashingWriter(out_fh)
        quarantine = JsonlQuarantineWriter(q_fh, logger)
        feed = _UnitFeed(store, snapshot, progress, logger, pipeline.read_kwargs())
        try:
            for conversation in pipeline.run(feed, quarantine):
                output.write_line(conversation.to_json())
        except PixelError:
            raise
        except Exception as exc:
            raise IngestError(
                f"ingest of {family_name}/{snapshot.partition_key} failed at {feed.where()}:"
                f" {_where(exc)}"
            ) from None
        finally:
            quarantine.close()

    dropped, changed = merge_step_stats(step.stats for step in pipeline.steps)
    units_in = pipeline.steps[0].stats.seen
    report = StageReport(
        stage=PROCESSED,
        family=family_name,
        partition_key=snapshot.partition_key,
        units_in=units_in,
        output=output.summary(output_key),
        quarantine=FileSummary(quarantine_key, quarantine.count),
        quarantined_by_reason=dropped,
        changed=changed,
        steps=[step.stats for step in pipeline.steps],
        accounting=Accounting(raw_in=units_in, quarantined=Counter(dropped)),
        details={
            "pipeline_version": PIPELINE_VERSION,
            "snapshot_taken_at": snapshot.taken_at,
            "snapshot_fingerprint": snapshot.fingerprint,
            "objects": len(snapshot.objects),
            "ignored_objects": [o.key for o in snapshot.ignored],
            "input_bytes": snapshot.total_bytes,
            "detected_formats": pipeline.detected_formats(),
        },
    )
    if not report.balanced or pipeline.steps[-1].stats.forwarded != output.records:
        raise AssertionError(
            f"accounting mismatch in {family_name}/{snapshot.partition_key}: {units_in} units"
            f" in, {pipeline.steps[-1].stats.forwarded} out of the steps, files hold"
            f" {output.records} / {quarantine.count}; unbalanced steps:"
            f" {[s.stats.name for s in pipeline.steps if not s.stats.balanced] or '-'}"
        )
    store.write_bytes(layout.processed_stats_key(family_name, snapshot.partition_key),
                      report.to_json())  # fmt: skip
    return report


def read_partition_stats(store: ObjectStore, family: str, partition_key: str) -> StageReport | None:
    """The processed report of a partition, or ``None`` when it has not finished."""
    key = layout.processed_stats_key(family, partition_key)
    if not store.exists(key):
        return None
    return StageReport.from_json(PROCESSED, store.read_bytes(key))

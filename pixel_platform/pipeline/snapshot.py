"""Raw snapshots: the exact object versions (key, size, ETag) a processed partition is built from.

The raw asset writes one per partition; the processed asset reads only what the snapshot lists and
refuses objects whose ETag changed since, so lineage and the release manifest name real versions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from pixel_platform.pipeline import layout
from pixel_platform.storage.base import ObjectInfo, ObjectStore


@dataclass(frozen=True)
class SnapshotObject:
    key: str
    size: int
    etag: str
    last_modified: str

    @classmethod
    def from_info(cls, info: ObjectInfo) -> SnapshotObject:
        return cls(info.key, info.size, info.etag, info.last_modified.isoformat())


@dataclass(frozen=True)
class RawSnapshot:
    family: str
    partition_key: str
    taken_at: str
    objects: tuple[SnapshotObject, ...]  # data objects, in key order
    ignored: tuple[SnapshotObject, ...]  # markers and hidden files found under the prefix

    @property
    def fingerprint(self) -> str:
        """Changes exactly when a data object is added, removed or rewritten."""
        return fingerprint_objects(self.objects)

    @property
    def total_bytes(self) -> int:
        return sum(o.size for o in self.objects)

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "family": self.family,
                "partition_key": self.partition_key,
                "taken_at": self.taken_at,
                "fingerprint": self.fingerprint,
                "objects": [o.__dict__ for o in self.objects],
                "ignored": [o.__dict__ for o in self.ignored],
            },
            option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS,
        )

    @classmethod
    def from_json(cls, data: bytes) -> RawSnapshot:
        raw: dict[str, Any] = orjson.loads(data)
        return cls(
            family=raw["family"],
            partition_key=raw["partition_key"],
            taken_at=raw["taken_at"],
            objects=tuple(SnapshotObject(**o) for o in raw["objects"]),
            ignored=tuple(SnapshotObject(**o) for o in raw.get("ignored", [])),
        )


def fingerprint_objects(objects: tuple[SnapshotObject, ...] | list[SnapshotObject]) -> str:
    digest = hashlib.sha256()
    for obj in sorted(objects, key=lambda o: o.key):
        digest.update(f"{obj.key}\0{obj.size}\0{obj.etag}\n".encode())
    return digest.hexdigest()


def list_partition(store: ObjectStore, partition_key: str) -> list[ObjectInfo]:
    """Objects of one source: everything under a prefix, or the single key."""
    if partition_key.endswith("/"):
        return list(store.list(partition_key))
    info = store.head(partition_key)
    return [info] if info is not None else []


def take_snapshot(
    store: ObjectStore, family: str, partition_key: str, *, now: datetime | None = None
) -> RawSnapshot:
    infos = list_partition(store, partition_key)
    data = tuple(SnapshotObject.from_info(i) for i in infos if not layout.is_ignored_object(i.key))
    ignored = tuple(SnapshotObject.from_info(i) for i in infos if layout.is_ignored_object(i.key))
    taken_at = (now or datetime.now(UTC)).replace(microsecond=0).isoformat()
    return RawSnapshot(family, partition_key, taken_at, data, ignored)


def write_snapshot(store: ObjectStore, snapshot: RawSnapshot) -> str:
    key = layout.raw_snapshot_key(snapshot.family, snapshot.partition_key)
    store.write_bytes(key, snapshot.to_json())
    return key


def read_snapshot(store: ObjectStore, family: str, partition_key: str) -> RawSnapshot | None:
    key = layout.raw_snapshot_key(family, partition_key)
    if not store.exists(key):
        return None
    return RawSnapshot.from_json(store.read_bytes(key))


def refresh_snapshot(
    store: ObjectStore, family: str, partition_key: str
) -> tuple[RawSnapshot, bool]:
    """Take a snapshot and store it unless the stored one already has the same fingerprint.

    Returns ``(snapshot, changed)``. Keeping the old snapshot when nothing changed keeps its
    ``taken_at`` — the records' ingest time — so reprocessing unchanged input gives the same bytes.
    """
    fresh = take_snapshot(store, family, partition_key)
    stored = read_snapshot(store, family, partition_key)
    if stored is not None and stored.fingerprint == fresh.fingerprint:
        return stored, False
    write_snapshot(store, fresh)
    return fresh, True

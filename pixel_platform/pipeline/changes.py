"""Which partitions changed since the last look: the sensor's logic, free of Dagster.

State is a mapping ``"<family>|<location>" -> fingerprint`` of the objects under each registry
source (keys, sizes, ETags). A partition is *changed* when its fingerprint differs from the stored
one, which covers new, rewritten and deleted objects — unlike a ``since_key`` cursor, which only
sees keys that sort after the last one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pixel_platform.pipeline import layout
from pixel_platform.pipeline.snapshot import SnapshotObject, fingerprint_objects
from pixel_platform.registry.model import Registry
from pixel_platform.storage.base import ObjectInfo, ObjectStore


@dataclass(frozen=True)
class ChangedPartition:
    family: str
    partition_key: str
    fingerprint: str
    objects: int


@dataclass
class ChangeSet:
    changed: list[ChangedPartition] = field(default_factory=list)
    state: dict[str, str] = field(default_factory=dict)  # the new state to store
    unchanged: int = 0


def state_key(family: str, location: str) -> str:
    return f"{family}|{location}"


def marker_token(info: ObjectInfo | None) -> str | None:
    """What identifies one sync completion: the marker's ETag and modification time."""
    if info is None:
        return None
    return f"{info.etag}@{info.last_modified.isoformat()}"


def detect_changes(store: ObjectStore, registry: Registry, previous: dict[str, str]) -> ChangeSet:
    """Fingerprint every registry source by listing the bucket once per top-level prefix."""
    listings: dict[str, list[ObjectInfo]] = {}
    for family in registry.families.values():
        for source in family.sources:
            listings.setdefault(source.location, [])
    # One listing per distinct source; prefixes in the registry do not nest (validated).
    for location in listings:
        if location.endswith("/"):
            listings[location] = list(store.list(location))
        else:
            info = store.head(location)
            listings[location] = [info] if info is not None else []

    result = ChangeSet()
    for name, family in registry.families.items():
        for source in family.sources:
            data = [
                SnapshotObject.from_info(i)
                for i in listings[source.location]
                if not layout.is_ignored_object(i.key)
            ]
            if not data:
                continue
            fingerprint = fingerprint_objects(data)
            key = state_key(name, source.location)
            result.state[key] = fingerprint
            if previous.get(key) == fingerprint:
                result.unchanged += 1
            else:
                result.changed.append(
                    ChangedPartition(name, source.location, fingerprint, len(data))
                )
    return result

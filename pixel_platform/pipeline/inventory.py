"""Inventory: list the bucket once and say which family each object belongs to (coverage report).

Every object lands in exactly one place of the report: a family's source (read as records), a
registry ``not_ingested`` location (known, counted, not read: a mirror, a compilation, a
generator's input, reference data), ``ignored`` (markers and hidden files such as the sync marker
``gdrive/raw/_SYNC_COMPLETE.json``), our own outputs (skipped), or ``unclaimed``: what nobody has
decided about yet, which is what the report is for. A mirror whose source holds no object is
listed under ``mirrors_without_source``: its dataset is in the bucket but nothing reads it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from pixel_platform.pipeline import layout
from pixel_platform.registry.model import Registry
from pixel_platform.storage.base import ObjectStore

# Prefixes pixel_platform writes to; never inputs.
OUTPUT_PREFIXES = (layout.PIPELINE_ROOT + "/", "exports/", "final_dataset/")
UNCLAIMED_SAMPLE = 50


@dataclass
class SourceCoverage:
    location: str
    objects: int = 0
    bytes: int = 0
    ignored: int = 0


@dataclass
class FamilyCoverage:
    family: str
    stage: str
    sources: list[SourceCoverage] = field(default_factory=list)

    @property
    def objects(self) -> int:
        return sum(s.objects for s in self.sources)

    @property
    def bytes(self) -> int:
        return sum(s.bytes for s in self.sources)

    @property
    def present(self) -> bool:
        return self.objects > 0


@dataclass
class NotIngestedCoverage:
    location: str
    reason: str
    of: str | None
    objects: int = 0
    bytes: int = 0


@dataclass
class Inventory:
    store_uri: str
    generated_at: str
    families: dict[str, FamilyCoverage]
    not_ingested: dict[str, NotIngestedCoverage] = field(default_factory=dict)
    ignored_outside_sources: int = 0
    unclaimed_objects: int = 0
    unclaimed_bytes: int = 0
    unclaimed_by_prefix: Counter[str] = field(default_factory=Counter)
    unclaimed_sample: list[str] = field(default_factory=list)

    def partitions(self) -> dict[str, list[str]]:
        """family -> source locations that hold at least one data object (the live partitions)."""
        return {
            name: [s.location for s in cov.sources if s.objects > 0]
            for name, cov in self.families.items()
        }

    def mirrors_without_source(self) -> list[str]:
        """Mirrors holding objects whose source holds none: nothing reads that dataset."""
        objects = {s.location: s.objects for cov in self.families.values() for s in cov.sources}
        return [
            entry.location
            for entry in self.not_ingested.values()
            if entry.of is not None and entry.objects and not objects.get(entry.of)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "store": self.store_uri,
            "generated_at": self.generated_at,
            "families": {
                name: {
                    "stage": cov.stage,
                    "present": cov.present,
                    "objects": cov.objects,
                    "bytes": cov.bytes,
                    "sources": [s.__dict__ for s in cov.sources],
                }
                for name, cov in self.families.items()
            },
            "missing_families": [n for n, c in self.families.items() if not c.present],
            "not_ingested": [entry.__dict__ for entry in self.not_ingested.values()],
            "mirrors_without_source": self.mirrors_without_source(),
            "ignored_outside_sources": self.ignored_outside_sources,
            "unclaimed": {
                "objects": self.unclaimed_objects,
                "bytes": self.unclaimed_bytes,
                "by_prefix": dict(self.unclaimed_by_prefix.most_common()),
                "sample_keys": self.unclaimed_sample,
            },
        }


def _owner(key: str, locations: list[str]) -> str | None:
    """The registry location (source or not-ingested) that holds ``key``; longest first."""
    for location in locations:
        if key == location or (location.endswith("/") and key.startswith(location)):
            return location
    return None


def take_inventory(store: ObjectStore, registry: Registry) -> Inventory:
    families = {
        name: FamilyCoverage(name, fam.stage, [SourceCoverage(s.location) for s in fam.sources])
        for name, fam in registry.families.items()
    }
    by_location = {s.location: s for cov in families.values() for s in cov.sources}
    not_ingested = {
        e.location: NotIngestedCoverage(e.location, e.reason, e.of) for e in registry.not_ingested
    }
    locations = sorted([*by_location, *not_ingested], key=lambda location: -len(location))
    inventory = Inventory(
        store_uri=store.uri(),
        generated_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        families=families,
        not_ingested=not_ingested,
    )
    for info in store.list(""):
        if info.key.startswith(OUTPUT_PREFIXES):
            continue
        owner = _owner(info.key, locations)
        if owner in not_ingested:
            not_ingested[owner].objects += 1
            not_ingested[owner].bytes += info.size
            continue
        if owner is None and layout.is_ignored_object(info.key):
            inventory.ignored_outside_sources += 1  # the sync marker lives beside the sources
            continue
        if owner is None:
            inventory.unclaimed_objects += 1
            inventory.unclaimed_bytes += info.size
            top = info.key.split("/", 2)
            inventory.unclaimed_by_prefix["/".join(top[:2]) if len(top) > 2 else top[0]] += 1
            if len(inventory.unclaimed_sample) < UNCLAIMED_SAMPLE:
                inventory.unclaimed_sample.append(info.key)
            continue
        source = by_location[owner]
        if layout.is_ignored_object(info.key):
            source.ignored += 1
            continue
        source.objects += 1
        source.bytes += info.size
    return inventory


def write_coverage_report(store: ObjectStore, inventory: Inventory) -> str:
    key = layout.coverage_report_key()
    store.write_bytes(
        key, orjson.dumps(inventory.to_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    )
    return key

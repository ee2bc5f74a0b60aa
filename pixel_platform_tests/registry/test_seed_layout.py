"""The bundled registry claims every object of the seed bucket layout, and each source it reads
carries a licence decision (a defined licence, or ``unknown``, which the release denies).

The keys are test data (``seed_layout_keys.txt``): the layout the seeds describe, one object per
named file or folder. A key the registry does not claim would land in the coverage report as
``unclaimed``; this test fails first and names it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pixel_platform.pipeline.inventory import take_inventory
from pixel_platform.registry import UNKNOWN_LICENSE, load_registry
from pixel_platform.registry.model import FamilySpec, Registry, SourceSpec
from pixel_platform.storage.local import LocalObjectStore

SEED_KEYS = Path(__file__).with_name("seed_layout_keys.txt")
SAMPLE_BUCKET = Path(__file__).parents[2] / "pixel_platform" / "sample_data" / "bucket"


def seed_keys() -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in SEED_KEYS.read_text().splitlines())
    return [line for line in lines if line]


def _source_of(registry: Registry, key: str) -> tuple[FamilySpec, SourceSpec] | None:
    for family in registry.families.values():
        for source in family.sources:
            if key == source.location or (source.prefix and key.startswith(source.prefix)):
                return family, source
    return None


def _claim_of(registry: Registry, key: str) -> str | None:
    for entry in registry.not_ingested:
        if key == entry.location or (entry.prefix and key.startswith(entry.prefix)):
            return entry.reason
    return None


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


def test_the_seed_layout_lands_with_no_unclaimed_object(registry: Registry, tmp_path: Path) -> None:
    keys = seed_keys()
    assert len(keys) == len(set(keys)) > 60
    store = LocalObjectStore(tmp_path / "bucket")
    for key in keys:
        store.write_bytes(key, b"[]")
    inventory = take_inventory(store, registry)
    assert inventory.unclaimed_sample == []
    assert inventory.unclaimed_objects == 0
    assert inventory.ignored_outside_sources == 1  # the sync marker
    assert inventory.mirrors_without_source() == []
    read = sum(cov.objects for cov in inventory.families.values())
    counted = sum(e.objects for e in inventory.not_ingested.values())
    assert read + counted + 1 == len(keys)


@pytest.mark.parametrize("key", seed_keys())
def test_every_seed_key_has_a_licence_decision_or_is_not_read(registry: Registry, key: str) -> None:
    owner = _source_of(registry, key)
    if owner is None:
        reason = _claim_of(registry, key)
        assert reason is not None or key == "gdrive/raw/_SYNC_COMPLETE.json", key
        return
    family, source = owner
    license_id = family.source_license(source)
    # None would mean nobody decided; "unknown" means we looked and could not confirm one
    assert license_id is not None, f"{key}: no licence decision for {source.location}"
    assert license_id == UNKNOWN_LICENSE or license_id in registry.licenses


def test_every_mirror_names_a_source_with_a_licence_decision(registry: Registry) -> None:
    locations = {s.location: (f, s) for f in registry.families.values() for s in f.sources}
    mirrors = [e for e in registry.not_ingested if e.reason == "mirror"]
    assert len(mirrors) >= 10
    for entry in mirrors:
        family, source = locations[str(entry.of)]
        assert family.source_license(source) is not None, entry.location


@pytest.mark.skipif(not SAMPLE_BUCKET.is_dir(), reason="the bundled sample bucket is missing")
def test_the_bundled_sample_has_no_unclaimed_object(registry: Registry) -> None:
    inventory = take_inventory(LocalObjectStore(SAMPLE_BUCKET), registry)
    assert inventory.unclaimed_sample == []
    generator_inputs = inventory.not_ingested["voice/monologues/"].objects
    assert generator_inputs > 0 and inventory.not_ingested["voice/transcripts_raw/"].objects > 0

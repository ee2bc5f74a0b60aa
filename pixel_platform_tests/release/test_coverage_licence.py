"""Coverage with deny by default: a family all of whose records the release excluded for their
licence is listed (``licence_denied``), not a gap; a family lost for any other reason still is."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from pixel_platform.registry.model import Registry
from pixel_platform.release import GateContext, ReleaseResult, build_release, run_gates
from pixel_platform.release.results import GateResult
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.support import release_options
from pixel_platform_tests.release.synthetic import plant, write_inputs
from pixel_platform_tests.release.test_tamper import _load, _save, drop_family


def _build(
    tmp_path: Path, registry: Registry, family: str, reason: str, every: int = 1
) -> ReleaseResult:
    """The synthetic release with every ``every``-th record of ``family`` planted for
    ``reason``."""
    store = LocalObjectStore(tmp_path / "bucket")
    inputs = write_inputs(store, registry)
    key = f"pipeline/dedup/{family}/conversations.jsonl"
    records = [orjson.loads(line) for line in store.read_bytes(key).splitlines()]
    for record in records[::every]:
        plant(record, reason)
    store.write_bytes(key, b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    result = build_release(
        store, registry, inputs.inputs, inputs.accounting, inputs.snapshots, release_options()
    )
    return result


def _coverage_with(tmp_path: Path, registry: Registry, family: str, reason: str) -> GateResult:
    result = _build(tmp_path, registry, family, reason)
    return next(g for g in result.gates if g.name == "coverage")


@pytest.mark.parametrize("reason", ["license_missing", "license_noncommercial"])
def test_a_family_denied_for_its_licence_is_listed_not_missing(
    tmp_path: Path, registry: Registry, reason: str
) -> None:
    coverage = _coverage_with(tmp_path, registry, "addiction", reason)
    assert coverage.passed, coverage.violations
    assert coverage.metadata["licence_denied"] == ["addiction"]
    assert "addiction" not in coverage.metadata["records_per_family"]


def test_a_family_lost_for_another_reason_is_still_missing(
    tmp_path: Path, registry: Registry
) -> None:
    coverage = _coverage_with(tmp_path, registry, "addiction", "pii_requires_review")
    assert not coverage.passed
    assert coverage.violations == {"family_missing": 1}
    assert coverage.metadata["licence_denied"] == []


def test_licence_exclusions_do_not_cover_released_records_that_vanished(
    tmp_path: Path, registry: Registry
) -> None:
    """Half the family denied for its licence, the other half released, then taken out of the
    shards: the licence exclusions do not account for what reached the release, so: missing."""
    result = _build(tmp_path, registry, "addiction", "license_missing", every=2)
    release = tmp_path / "bucket" / result.prefix
    for path in release.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    records = _load(release)
    drop_family(records)
    _save(records)
    manifest = orjson.loads((release / "manifest.json").read_bytes())
    ctx = GateContext.from_manifest(registry, manifest)
    (coverage,) = run_gates(LocalObjectStore(release), "", ctx, ["coverage"])
    assert coverage.violations == {"family_missing": 1}
    assert coverage.metadata["licence_denied"] == []

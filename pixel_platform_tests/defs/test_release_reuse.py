"""``dataset_release`` reuses the last build's work (``release.input_cache``,
``release.scan_cache``) unless the run config says ``reuse: false``, and shows how much it
reused in its metadata."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import dagster as dg

from pixel_platform.defs.curation.resources import CurationConfigResource
from pixel_platform.defs.release.assets import dataset_release
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.registry.model import Registry
from pixel_platform.release import ReleaseResult, build_release
from pixel_platform.storage.base import ObjectStore
from pixel_platform_tests.defs.support import release_instance
from pixel_platform_tests.release.support import release_options
from pixel_platform_tests.release.synthetic import write_inputs


def _release_with_digests(
    store: ObjectStore, registry: Registry, config: Any, *, force: bool = False, **overrides: Any
) -> ReleaseResult:
    """Stands in for ``pipeline.release.build_pipeline_release``, which passes the dedup
    report's digests of the inputs."""
    inputs = write_inputs(store, registry)
    digests = {
        k: "sha256:" + hashlib.sha256(store.read_bytes(k)).hexdigest() for k in inputs.inputs
    }
    options = release_options(**{"input_digests": digests, **overrides})
    return build_release(
        store, registry, inputs.inputs, inputs.accounting, inputs.snapshots, options
    )


instance = release_instance(_release_with_digests)


def _reused(instance: dg.DagsterInstance, bucket: Path, reuse: bool) -> tuple[int, int, int]:
    resources = {
        "storage": StorageResource(backend="local", local_path=str(bucket)),
        "registry": RegistryResource(),
        "curation": CurationConfigResource(),
    }
    config = {"ops": {"dataset_release": {"config": {"reuse": reuse}}}}
    result = dg.materialize(
        [dataset_release], instance=instance, resources=resources, run_config=config
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    return (
        int(metadata["inputs_from_cache"].value),  # type: ignore[arg-type]
        int(metadata["shards_from_cache"].value),  # type: ignore[arg-type]
        int(metadata["records"].value),  # type: ignore[arg-type]
    )


def test_a_second_build_reuses_the_first_unless_told_not_to(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    bucket = tmp_path / "bucket"
    first = _reused(instance, bucket, reuse=True)
    assert first[:2] == (0, 0)
    second = _reused(instance, bucket, reuse=True)
    assert second[0] > 0 and second[1] > 0 and second[2] == first[2]
    cold = _reused(instance, bucket, reuse=False)
    assert cold == (0, 0, first[2])

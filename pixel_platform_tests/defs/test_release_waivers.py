"""``dataset_release`` takes coverage waivers from the registry and from its run config (which
``pixel-platform run --waive-coverage`` fills, so those are recorded as from the CLI), and records
each in the manifest with its source and reason.

As in ``test_release_asset``, the asset runs for real and only the pipeline's input assembly is
replaced by the release tests' synthetic inputs, here without the family that is waived.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import orjson
import pytest

from pixel_platform.cli.main import build_parser
from pixel_platform.cli.run import release_ops_config
from pixel_platform.defs.curation.resources import CurationConfigResource
from pixel_platform.defs.release.assets import dataset_release, gate_checks
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.registry.model import Registry
from pixel_platform.release import ReleaseResult
from pixel_platform_tests.defs.support import release_instance
from pixel_platform_tests.release.test_waivers import ABSENT, build_without, registry_waiving


def _release_without_absent(
    store: Any, registry: Registry, config: Any, *, force: bool = False, **overrides: Any
) -> ReleaseResult:
    """Stands in for ``pipeline.release.build_pipeline_release``: the synthetic release without
    ``ABSENT``, built with the asset's overrides (its waivers among them)."""
    return build_without(Path(store.root), registry, **overrides)


instance = release_instance(_release_without_absent)


def _materialize(
    instance: dg.DagsterInstance,
    bucket: Path,
    *cli_flags: str,
    registry: Path | None = None,
    tags: dict[str, str] | None = None,
) -> dg.ExecuteInProcessResult:
    """The release and its checks, with the run config ``pixel-platform run`` makes of
    ``cli_flags``."""
    args = build_parser().parse_args(["run", *cli_flags])
    ops = release_ops_config(args)
    return dg.materialize(
        [dataset_release, *gate_checks],
        instance=instance,
        resources={
            "storage": StorageResource(backend="local", local_path=str(bucket)),
            "registry": RegistryResource(path=str(registry) if registry else None),
            "curation": CurationConfigResource(),
        },
        run_config={"ops": ops} if ops else None,
        tags=tags,
        raise_on_error=False,
    )


def _manifest(result: dg.ExecuteInProcessResult, bucket: Path) -> dict[str, Any]:
    (event,) = result.get_asset_materialization_events()
    version = event.materialization.metadata["version"].value
    return dict(orjson.loads((bucket / f"exports/releases/{version}/manifest.json").read_bytes()))


def _coverage_passed(result: dg.ExecuteInProcessResult) -> bool:
    (coverage,) = [
        e for e in result.get_asset_check_evaluations() if e.check_name.endswith("_coverage")
    ]
    return bool(coverage.passed)


def test_without_a_waiver_the_coverage_check_fails(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    result = _materialize(instance, tmp_path / "bucket")
    assert not _coverage_passed(result)
    assert _manifest(result, tmp_path / "bucket")["options"]["coverage_waivers"] == []


@pytest.mark.parametrize(
    ("tags", "source"), [({"pixel/trigger": "cli-run"}, "cli"), (None, "run_config")]
)
def test_a_run_config_waiver_is_recorded_with_its_source(
    instance: dg.DagsterInstance, tmp_path: Path, tags: dict[str, str] | None, source: str
) -> None:
    bucket = tmp_path / "bucket"
    flag = f"{ABSENT}:relabelling, back next week"
    result = _materialize(instance, bucket, "--waive-coverage", flag, tags=tags)
    assert result.success and _coverage_passed(result)
    assert _manifest(result, bucket)["options"]["coverage_waivers"] == [
        {"family": ABSENT, "reason": "relabelling, back next week", "source": source}
    ]


def test_the_registry_waiver_reaches_the_asset(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    registry_waiving(tmp_path, {ABSENT: "licence under review"})
    result = _materialize(instance, tmp_path / "bucket", registry=tmp_path / "registry.yaml")
    assert result.success and _coverage_passed(result)
    assert _manifest(result, tmp_path / "bucket")["options"]["coverage_waivers"] == [
        {"family": ABSENT, "reason": "licence under review", "source": "registry"}
    ]


def test_a_run_config_waiver_for_an_unknown_family_fails_the_build_naming_it(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    result = _materialize(instance, tmp_path / "bucket", "--waive-coverage", "sarcsam:typo")
    assert not result.success
    assert result.get_asset_materialization_events() == []
    failure = next(
        e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE
    )
    assert "'sarcsam'" in str(failure.step_failure_data.error)

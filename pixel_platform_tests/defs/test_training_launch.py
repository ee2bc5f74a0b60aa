"""The ``trained_model`` launch settings in Dagster: typed, described run config (the launchpad
shows each field) mapped onto ``training.launch_settings``; an impossible launch fails the run
with the field and the limit before anything reaches OVH (a fake OVH server hears nothing)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pixel_platform.defs.release.assets import RELEASE_KEY
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.defs.training.assets import trained_model
from pixel_platform.defs.training.resources import (
    LOCAL_TINY_CONFIG,
    TrainingBackendResource,
    TrainingLaunchConfig,
)
from pixel_platform.registry.model import DEFAULT_REGISTRY, load_registry
from pixel_platform.training.launch_settings import LaunchSettings
from pixel_platform_tests.release.support import build_synthetic
from pixel_platform_tests.training.fake_ovh import fake_ovh_server
from pixel_platform_tests.training.release_fixture import VERSION, write_release
from pixel_platform_tests.training.support import requires_training_stack

TOKEN = "test-app-token-0123456789"
LAUNCH_FIELDS = {
    "backend",
    "gpus",
    "zero_stage",
    "offload",
    "precision",
    "image",
    "flavor",
    "timeout_hours",
    "max_gpu_hours",
    "config_path",
}


def test_the_launchpad_shows_every_launch_setting_with_a_description() -> None:
    schema = TrainingLaunchConfig.to_config_schema().as_field().config_type
    fields = schema.fields  # type: ignore[attr-defined]
    assert set(fields) == LAUNCH_FIELDS
    assert all(f.description and not f.is_required for f in fields.values())
    trained = dg.Definitions(assets=[trained_model]).get_assets_def("trained_model")
    assert trained.op.config_schema is not None  # the asset takes it as run config


def test_unset_fields_keep_the_local_default() -> None:
    settings = TrainingBackendResource().job_settings()
    assert settings.launch == LaunchSettings(backend="local")
    assert settings.config_path == LOCAL_TINY_CONFIG  # make run: the tiny CPU config


def test_choosing_four_gpus_and_zero3_on_ovh() -> None:
    resource = TrainingBackendResource(image="registry/pixel/trainer:1")
    run = TrainingLaunchConfig.model_validate(
        {"backend": "ovh", "gpus": 4, "zero_stage": 3, "precision": "bf16", "timeout_hours": 12}
    )
    settings = resource.job_settings(run)
    assert settings.launch == LaunchSettings(
        backend="ovh",
        gpus=4,
        zero_stage=3,
        precision="bf16",
        image="registry/pixel/trainer:1",
        timeout_hours=12,
    )
    assert settings.config_path is None  # a GPU job does not take the tiny CPU config
    _, launch = settings.resolve()
    assert (launch.gpus, launch.deepspeed, launch.timeout_s) == (4, "zero3_bf16", 12 * 3600)


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.DagsterInstance]:
    monkeypatch.setenv("OVH_AI_TOKEN", TOKEN)
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        instance.report_runless_asset_event(
            dg.AssetMaterialization(RELEASE_KEY, metadata={"version": VERSION})
        )
        yield instance


def test_an_impossible_launch_fails_before_submission(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    bucket = tmp_path / "bucket"
    write_release(bucket)
    with fake_ovh_server(TOKEN) as fake:
        result = dg.materialize(
            [trained_model],
            instance=instance,
            resources={
                "storage": StorageResource(local_path=str(bucket), cache_dir=None),
                "registry": RegistryResource(),
                "training": TrainingBackendResource(base_url=fake.base_url),
            },
            run_config={"ops": {"trained_model": {"config": {"backend": "ovh", "gpus": 8}}}},
            raise_on_error=False,
        )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.step_failure_data.error.message  # type: ignore[union-attr]
    assert "launch settings refused: gpus: 8 GPUs do not fit one OVH AI Training job" in message
    assert "at most 4" in message and "backend k8s" in message
    assert fake.requests == []  # nothing was submitted
    assert not (bucket / "training").exists()  # nor a spec stored


@requires_training_stack
def test_the_default_run_config_trains_locally_as_before(
    tmp_path: Path, instance: dg.DagsterInstance
) -> None:
    """No launch settings: the local backend, one CPU process, no DeepSpeed, the tiny config's
    fp32 (here ``local_tiny.yaml`` cut to two short SFT stages: the synthetic release has no
    preference pairs)."""
    registry = load_registry(DEFAULT_REGISTRY)
    built = build_synthetic(tmp_path / "bucket", registry)
    version = built.result.version
    instance.report_runless_asset_event(
        dg.AssetMaterialization(RELEASE_KEY, metadata={"version": version})
    )
    order = json.loads(
        (tmp_path / f"bucket/exports/releases/{version}/curriculum/stage_order.json").read_text()
    )
    phase_b = [s["id"] for s in order["stages"] if s["phase"] == "B" and s["records"]["train"]]
    tiny = yaml.safe_load(Path(LOCAL_TINY_CONFIG).read_text())
    tiny["data"].update(stages=phase_b[:2], max_records_per_stage=8)
    tiny["sft"]["total_steps"] = 2
    config_path = tmp_path / "tiny.yaml"
    config_path.write_text(yaml.safe_dump(tiny))
    result = dg.materialize(
        [trained_model],
        instance=instance,
        resources={
            "storage": StorageResource(local_path=str(tmp_path / "bucket"), cache_dir=None),
            "registry": RegistryResource(),
            "training": TrainingBackendResource(
                config_path=str(config_path),
                checkpoint_root=str(tmp_path / "checkpoints"),
                state_dir=str(tmp_path / "state"),
                poll_interval_s=0.2,
            ),
        },
    )
    assert result.success
    (event,) = result.asset_materializations_for_node("trained_model")
    metadata = {k: v.value for k, v in event.metadata.items()}
    assert (metadata["backend"], metadata["gpus"], metadata["deepspeed"]) == ("local", 1, "none")
    assert metadata["precision"] == "fp32" and metadata["state"] == "DONE"
    (job,) = (tmp_path / "state" / "jobs").iterdir()
    command = json.loads((job / "command.json").read_text())
    assert "--gpus" not in command and "--runtime.deepspeed" not in command

"""Training job specs: made from a release, stored beside it, rendered for OVH and Kubernetes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pixel_platform.core.errors import ConfigError
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.training.config import load_config, parse_overrides
from pixel_platform.training.k8s import render_pytorchjob, render_yaml
from pixel_platform.training.spec import (
    Resources,
    TrainingJobSpec,
    Volume,
    load_spec,
    make_spec,
    save_spec,
)

DEPLOY = Path(__file__).parents[2] / "deploy" / "k8s"


def _spec(bucket: Path, **kwargs: object) -> TrainingJobSpec:
    config = load_config(None, {"sft": {"learning_rate": 1e-5}, "preference": {"method": "orpo"}})
    return make_spec(
        LocalObjectStore(bucket),
        "v2026-01-05",
        data_bucket="pixel-data",
        config=config,
        gpus=4,
        **kwargs,
    )  # type: ignore[arg-type]


def test_spec_pins_the_release_and_round_trips(bucket: Path) -> None:
    spec = _spec(bucket, labels={"Team": "Pixel AI"})
    manifest = (bucket / "exports/releases/v2026-01-05/manifest.json").read_bytes()
    import hashlib

    assert spec.manifest_sha256 == "sha256:" + hashlib.sha256(manifest).hexdigest()
    assert spec.stages == ("stage1_foundation", "stage2_clinical_reasoning", "phaseC_preference")
    assert spec.hyperparameters == {
        "sft": {"learning_rate": 1e-5},
        "runtime": {"deepspeed": "zero2_bf16"},
    }
    store = LocalObjectStore(bucket)
    key = save_spec(store, spec)
    assert key == f"training/specs/v2026-01-05/{spec.spec_id}.yaml"
    again = load_spec(store, key)
    assert again == spec and again.spec_id == spec.spec_id
    assert not (bucket / "exports/releases/v2026-01-05/training").exists()  # release untouched


def test_ovh_job_body(bucket: Path) -> None:
    spec = _spec(
        bucket,
        labels={"team": "pixel"},
        timeout_s=7200,
        image="registry.example/pixel/trainer:0.1.0",
    )
    body = spec.ovh_job_body()
    assert body["image"] == "registry.example/pixel/trainer:0.1.0"
    assert body["resources"] == {"flavor": "h100-1-gpu", "gpu": 4}
    release, checkpoints = body["volumes"]
    assert release["volumeSource"]["dataStore"] == {
        "alias": "GRA",
        "container": "pixel-data",
        "prefix": "exports/releases/v2026-01-05/",
    }
    assert (release["mountPath"], release["permission"]) == ("/workspace/release", "RO")
    assert checkpoints["volumeSource"]["dataStore"]["container"] == "pixelated-checkpoints"
    assert (checkpoints["mountPath"], checkpoints["permission"]) == ("/workspace/checkpoints", "RW")
    assert {"name": "HF_HOME", "value": "/workspace/work/hf"} in body["envVars"]
    assert body["labels"] == {
        "pixel-release": "v2026-01-05",
        "pixel-spec": spec.spec_id,
        "pixel-method": "orpo",
        "team": "pixel",
    }
    assert body["timeout"] == 7200
    # The command is the trainer's arguments (the image's entrypoint is the training module);
    # parsed back, it is exactly the spec's training config at the mount paths.
    command = body["command"]
    assert command[-4:] == ["--gpus", "4", "--launcher", "deepspeed"]
    parsed = load_config(None, parse_overrides(command[:-4]))
    assert parsed == spec.training_config(
        release="/workspace/release",
        expected_manifest_sha256=spec.manifest_sha256,
        output_root="/workspace/checkpoints",
        work_dir="/workspace/work",
        run_name=spec.spec_id,
    )
    assert parsed.preference.method == "orpo" and parsed.sft.learning_rate == 1e-5


def test_spec_validation() -> None:
    volume = Volume("b", "", "/mnt")
    with pytest.raises(ConfigError, match="1 to 4"):
        Resources("h100-1-gpu", 8)
    with pytest.raises(ConfigError, match="permission"):
        Volume("b", "", "/mnt", "RWX")
    with pytest.raises(ConfigError, match=r"unknown config key sft\.bogus"):
        TrainingJobSpec(
            "v1", "sha256:aa", "m", (), "dpo", volume, volume, hyperparameters={"sft": {"bogus": 1}}
        )


def test_k8s_manifest_and_example_are_current() -> None:
    spec = TrainingJobSpec.from_yaml((DEPLOY / "example-spec.yaml").read_text())
    assert (DEPLOY / "pytorchjob.example.yaml").read_text() == render_yaml(spec, nodes=2), (
        "deploy/k8s/pytorchjob.example.yaml is stale: re-render it from example-spec.yaml"
    )
    job = render_pytorchjob(spec, nodes=3)
    assert job["kind"] == "PyTorchJob" and job["spec"]["nprocPerNode"] == "4"
    replicas = job["spec"]["pytorchReplicaSpecs"]
    assert replicas["Master"]["replicas"] == 1 and replicas["Worker"]["replicas"] == 2
    container = replicas["Worker"]["template"]["spec"]["containers"][0]
    assert container["command"][0] == "torchrun"
    assert "--node-rank=$(PET_NODE_RANK)" in container["command"]
    assert container["args"][container["args"].index("--release") + 1].startswith(
        "s3://pixel-data/"
    )
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 4
    assert job["spec"]["runPolicy"]["activeDeadlineSeconds"] == spec.timeout_s
    yaml.safe_load(render_yaml(spec))  # valid YAML

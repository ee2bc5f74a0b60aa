"""Launch settings (``training.launch_settings``): the backends' defaults, the refusals (each
names the field and the limit, and comes before anything is submitted: the fake OVH server hears
nothing), and snapshots of the OVH job body and the Kubernetes PyTorchJob for the OVH defaults
(4×H100, ZeRO-3 bf16).

The snapshots live in ``snapshots/``; after an intended change, rewrite them with
``PIXEL_UPDATE_SNAPSHOTS=1 pytest pixel_platform_tests/training/test_launch_settings.py`` and
review the diff.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from pixel_platform.defs.training.resources import LOCAL_TINY_CONFIG
from pixel_platform.registry.model import DEFAULT_REGISTRY, load_registry
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.training.config import load_config
from pixel_platform.training.k8s import render_yaml
from pixel_platform.training.launch_settings import LaunchSettings, LaunchSettingsError
from pixel_platform.training.release_job import JobSettings, Refused, build_spec, train_on_release
from pixel_platform_tests.training.fake_ovh import fake_ovh_server
from pixel_platform_tests.training.release_fixture import VERSION, write_release
from pixel_platform_tests.training.test_ovh_backend import TOKEN, backend_for

SNAPSHOTS = Path(__file__).with_name("snapshots")
GPU_CONFIG = load_config()  # the bundled defaults: bf16 on GPUs
CPU_CONFIG = load_config(LOCAL_TINY_CONFIG)  # make run's: fp32 on the CPU


def _settings(**launch: Any) -> JobSettings:
    return JobSettings(
        config_path=None,
        data_bucket="pixel-data",
        checkpoint_bucket="pixelated-checkpoints",
        poll_interval_s=0.0,
        launch=LaunchSettings(**launch),
    )


def test_ovh_defaults_are_four_h100_with_zero3_bf16() -> None:
    launch = LaunchSettings(backend="ovh").resolve(GPU_CONFIG)
    assert (launch.gpus, launch.nodes, launch.zero_stage, launch.precision) == (4, 1, 3, "bf16")
    assert (launch.flavor, launch.timeout_s) == ("h100-1-gpu", 24 * 3600)
    assert launch.deepspeed == "zero3_bf16"
    assert launch.hyperparameters == {"runtime": {"deepspeed": "zero3_bf16"}}


def test_the_local_default_changes_nothing() -> None:
    """``make run``: one CPU process, no DeepSpeed, the tiny config's precision, no overrides."""
    launch = LaunchSettings().resolve(CPU_CONFIG)
    assert (launch.backend, launch.gpus, launch.zero_stage, launch.precision) == (
        "local",
        1,
        0,
        "fp32",
    )
    assert launch.hyperparameters == {} and launch.deepspeed is None


def test_explicit_choices_become_config_overrides() -> None:
    launch = LaunchSettings(
        backend="ovh", gpus=2, zero_stage=3, offload="optimizer_and_params", precision="bf16"
    ).resolve(GPU_CONFIG)
    assert launch.hyperparameters == {"runtime": {"deepspeed": "zero3_bf16_offload_all"}}
    off = LaunchSettings(backend="ovh", zero_stage=0, precision="fp32").resolve(GPU_CONFIG)
    assert off.hyperparameters == {"runtime": {"precision": "fp32"}} and off.deepspeed is None
    k8s = LaunchSettings(backend="k8s", nodes=2).resolve(GPU_CONFIG)
    assert (k8s.gpus, k8s.nodes) == (4, 2)  # 8 GPUs: only through the PyTorchJob path
    own = load_config(None, {"runtime": {"deepspeed": "zero2_bf16"}})
    assert LaunchSettings(backend="ovh").resolve(own).hyperparameters == {}  # config's choice


@pytest.mark.parametrize(
    ("launch", "config", "message"),
    [
        ({"backend": "ovh", "gpus": 8}, GPU_CONFIG, r"^gpus: 8 GPUs do not fit one OVH AI"),
        ({"backend": "k8s", "gpus": 8}, GPU_CONFIG, r"^gpus: 8 per node exceeds 4"),
        ({"backend": "ovh", "gpus": 0}, GPU_CONFIG, r"^gpus: must be at least 1"),
        ({"backend": "ovh", "nodes": 2}, GPU_CONFIG, r"^nodes: 2 nodes need backend k8s"),
        ({"backend": "ovh", "zero_stage": 4}, GPU_CONFIG, r"^zero_stage: 4 is not a ZeRO stage"),
        (
            {"backend": "ovh", "zero_stage": 1, "offload": "optimizer"},
            GPU_CONFIG,
            r"^offload: optimizer needs zero_stage 2 or 3, got 1",
        ),
        (
            {"backend": "ovh", "zero_stage": 2, "offload": "optimizer_and_params"},
            GPU_CONFIG,
            r"^offload: optimizer_and_params needs zero_stage 3, got 2",
        ),
        ({"backend": "ovh", "offload": "disk"}, GPU_CONFIG, r"^offload: 'disk' is not one of"),
        (
            {"backend": "ovh", "flavor": "ai1-1-gpu"},
            GPU_CONFIG,
            r"^precision: bf16 is not supported by flavor ai1-1-gpu \(V100S\)",
        ),
        ({"backend": "ovh", "flavor": "tpu-v5"}, GPU_CONFIG, r"^flavor: 'tpu-v5' is not a GPU"),
        ({"precision": "bf16"}, CPU_CONFIG, r"^precision: bf16 on the local backend needs a GPU"),
        ({"precision": "fp16"}, GPU_CONFIG, r"^precision: 'fp16' is not one of bf16, fp32"),
        ({"backend": "ovh"}, CPU_CONFIG, r"^backend: ovh trains on GPUs, but the training config"),
        ({"backend": "slurm"}, GPU_CONFIG, r"^backend: 'slurm' is not one of local, ovh, k8s"),
        (
            {"backend": "ovh", "timeout_hours": 48, "max_gpu_hours": 100},
            GPU_CONFIG,
            r"^max_gpu_hours: 4 GPUs × 1 node\(s\) × 48 h = 192 GPU-hours exceeds the budget",
        ),
        ({"backend": "ovh", "timeout_hours": 0}, GPU_CONFIG, r"^timeout_hours: must be positive"),
    ],
)
def test_impossible_settings_are_refused(launch: dict[str, Any], config: Any, message: str) -> None:
    with pytest.raises(LaunchSettingsError, match=message):
        LaunchSettings(**launch).resolve(config)


def test_a_refused_launch_submits_nothing(tmp_path: Path) -> None:
    write_release(tmp_path)
    store = LocalObjectStore(tmp_path)
    with fake_ovh_server(TOKEN) as fake:
        with pytest.raises(Refused, match=r"launch settings refused: gpus: 8 GPUs do not fit"):
            train_on_release(
                store,
                load_registry(DEFAULT_REGISTRY),
                VERSION,
                _settings(backend="ovh", gpus=8),
                open_backend=lambda: backend_for(fake.base_url, store),
                log=print,
            )
        assert fake.requests == []  # the fake OVH server heard nothing
        # the default settings reach it, with the snapshot's body
        spec = build_spec(store, VERSION, _settings(backend="ovh"))
        backend_for(fake.base_url, store).submit(spec)
    assert not (tmp_path / "training").exists()  # no spec stored for the refused job
    ((_, _, body),) = fake.requests_to("POST", "/v1/job")
    assert body == spec.ovh_job_body()


def _compare(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("PIXEL_UPDATE_SNAPSHOTS") == "1":
        path.write_text(actual)
    expected = path.read_text() if path.is_file() else ""
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                f"{name} (stored)",
                f"{name} (rendered now)",
            )
        )
        pytest.fail(
            f"{name} differs from the snapshot (PIXEL_UPDATE_SNAPSHOTS=1 rewrites it):\n{diff}"
        )


def test_ovh_job_body_snapshot(bucket: Path) -> None:
    spec = build_spec(LocalObjectStore(bucket), VERSION, _settings(backend="ovh"))
    body = spec.ovh_job_body()
    assert body["resources"] == {"flavor": "h100-1-gpu", "gpu": 4}
    command = body["command"]
    assert command[command.index("--runtime.deepspeed") + 1] == "zero3_bf16"
    _compare("ovh_job_default.json", json.dumps(body, indent=1) + "\n")


def test_pytorchjob_snapshot(bucket: Path) -> None:
    settings = _settings(backend="k8s", nodes=2)  # 2 nodes × 4 H100, ZeRO-3 bf16
    launch = settings.resolve()[1]
    spec = build_spec(LocalObjectStore(bucket), VERSION, settings)
    _compare("pytorchjob_default.yaml", render_yaml(spec, nodes=launch.nodes))

"""``pixel-platform train``: submit --dry-run prints the OVH body; status/logs/cancel of a job."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import orjson
import pytest
import yaml

from pixel_platform.cli import train as train_cli
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.training.backends import JobNotFoundError, LocalBackend
from pixel_platform.training.spec import make_spec


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="pixel-platform")
    sub = parser.add_subparsers(dest="command", required=True)
    train_cli.add_parser(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_submit_dry_run_prints_the_ovh_body(
    bucket: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (bucket / "exports/releases/LATEST").write_bytes(orjson.dumps({"version": "v2026-01-05"}))
    config = tmp_path / "train.yaml"
    config.write_text("model:\n  base_model: my-org/my-model\nsft:\n  max_steps: 100\n")
    manifest = tmp_path / "job.yaml"
    code = run_cli(
        [
            "train",
            "submit",
            "--backend",
            "ovh",
            "--release",
            "latest",
            "--dry-run",
            "--storage-root",
            str(bucket),
            "--config",
            str(config),
            "--gpus",
            "2",
            "--image",
            "registry.example/trainer:1",
            "--k8s-manifest",
            str(manifest),
        ]
    )
    assert code == 0
    body = json.loads(capsys.readouterr().out)
    assert body["image"] == "registry.example/trainer:1"
    assert body["resources"] == {"flavor": "h100-1-gpu", "gpu": 2}
    assert "my-org/my-model" in body["command"]
    assert body["command"][body["command"].index("--sft.max_steps") + 1] == "100"
    assert yaml.safe_load(manifest.read_text())["kind"] == "PyTorchJob"
    assert not (bucket / "training").exists()  # a dry run stores nothing


def test_status_logs_cancel_of_a_local_job(
    bucket: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PIXEL_TRAINING_STATE_DIR", str(tmp_path / "state"))
    backend = LocalBackend(bucket, tmp_path / "ckpt")
    monkeypatch.setattr(
        backend,
        "command",
        lambda spec: [
            sys.executable,
            "-c",
            "import time\nprint('hello', flush=True)\ntime.sleep(60)",
        ],
    )
    spec = make_spec(
        LocalObjectStore(bucket), "v2026-01-05", data_bucket="local", default_deepspeed=None
    )
    job_id = backend.submit(spec)
    assert run_cli(["train", "status", job_id]) == 0
    assert capsys.readouterr().out.strip() == "RUNNING"
    assert run_cli(["train", "cancel", job_id]) == 0
    assert run_cli(["train", "status", job_id]) == 0
    assert capsys.readouterr().out.strip().endswith("INTERRUPTED")
    with pytest.raises(JobNotFoundError):
        run_cli(["train", "status", "local-000000000000"])


def test_a_submit_without_a_token_stores_no_spec(
    bucket: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pixel_platform.core.errors import PixelError

    (bucket / "exports/releases/LATEST").write_bytes(orjson.dumps({"version": "v2026-01-05"}))
    monkeypatch.delenv("OVH_AI_TOKEN", raising=False)
    with pytest.raises(PixelError, match="OVH_AI_TOKEN"):
        run_cli(["train", "submit", "--backend", "ovh", "--storage-root", str(bucket)])
    assert not (bucket / "training").exists()  # nothing for inventory to list as unclaimed


def test_submit_help_names_defaults_and_environment(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run_cli(["train", "submit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for needed in ("OVH_AI_TOKEN", "PIXEL_TRAINER_IMAGE", "PIXEL_CHECKPOINT_BUCKET",
                   "OVH_AI_DATASTORE_ALIAS", "PIXEL_CHECKPOINT_ROOT", "default 86400"):  # fmt: skip
        assert needed in text, needed


def test_submit_takes_the_launchpad_defaults_and_refusals(
    bucket: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI resolves the same ``LaunchSettings`` as Dagster: 4×H100 ZeRO-3 bf16 on OVH by
    default, and a setting that cannot run is refused before anything is stored."""
    from pixel_platform.training.launch_settings import LaunchSettingsError

    (bucket / "exports/releases/LATEST").write_bytes(orjson.dumps({"version": "v2026-01-05"}))
    config = tmp_path / "train.yaml"
    config.write_text("model:\n  base_model: my-org/my-model\n")
    base = ["train", "submit", "--backend", "ovh", "--storage-root", str(bucket)]
    assert run_cli([*base, "--config", str(config), "--dry-run"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["resources"] == {"flavor": "h100-1-gpu", "gpu": 4}
    command = body["command"]
    assert command[command.index("--runtime.deepspeed") + 1] == "zero3_bf16"

    assert run_cli([*base, "--config", str(config), "--dry-run", "--zero-stage", "2"]) == 0
    command = json.loads(capsys.readouterr().out)["command"]
    assert command[command.index("--runtime.deepspeed") + 1] == "zero2_bf16"

    with pytest.raises(LaunchSettingsError, match=r"gpus: 8 GPUs do not fit one OVH"):
        run_cli([*base, "--config", str(config), "--gpus", "8"])
    with pytest.raises(LaunchSettingsError, match=r"precision: bf16 is not supported"):
        run_cli([*base, "--config", str(config), "--flavor", "ai1-1-gpu", "--dry-run"])
    assert not (bucket / "training").exists()


def test_a_local_job_stops_on_term_even_when_its_submitter_ignores_term(
    bucket: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pipeline run in the background ignores SIGINT, and an in-process Dagster run then maps
    SIGTERM to that (``setup_interrupt_handlers``): the job must still stop on ``cancel``'s TERM,
    not only on the KILL after the grace period."""
    import signal
    import time

    monkeypatch.setenv("PIXEL_TRAINING_STATE_DIR", str(tmp_path / "state"))
    backend = LocalBackend(bucket, tmp_path / "ckpt")
    monkeypatch.setattr(
        backend, "command", lambda spec: [sys.executable, "-c", "import time; time.sleep(60)"]
    )
    spec = make_spec(
        LocalObjectStore(bucket), "v2026-01-05", data_bucket="local", default_deepspeed=None
    )
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        job_id = backend.submit(spec)
    finally:
        signal.signal(signal.SIGTERM, previous)
    time.sleep(1.0)  # the runner has started its trainer
    started = time.monotonic()
    backend.cancel(job_id, grace_s=20.0)
    assert time.monotonic() - started < 10.0, "the job ignored TERM and waited for the KILL"

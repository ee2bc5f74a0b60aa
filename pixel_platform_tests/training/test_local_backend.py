"""The embedded backend: the real trainer as a subprocess (end to end), and the job lifecycle
(logs, failure, cancel) with stand-in commands."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.training.backends import JobState, LocalBackend, TrainingJobFailed
from pixel_platform.training.spec import make_spec, save_spec
from pixel_platform_tests.training.support import cpu_config, requires_training_stack

VERSION = "v2026-01-05"


def _spec(bucket: Path, tmp_path: Path, model: Path, **sections: object):  # type: ignore[no-untyped-def]
    config = cpu_config("", tmp_path, model, **sections)
    return make_spec(
        LocalObjectStore(bucket),
        VERSION,
        data_bucket="local",
        config=config,
        default_deepspeed=None,
    )


@pytest.mark.integration  # a fresh interpreter imports torch/transformers/trl: ~10-20 s
@requires_training_stack
def test_local_job_trains_and_verifies(bucket: Path, tmp_path: Path, tiny_model: Path) -> None:
    spec = _spec(
        bucket,
        tmp_path,
        tiny_model,
        sft={"total_steps": 2, "save_steps": 50},
        preference={"max_steps": 1, "save_steps": 50},
        data={"eval_split": None},
    )
    key = save_spec(LocalObjectStore(bucket), spec)
    assert key == f"training/specs/{VERSION}/{spec.spec_id}.yaml"
    backend = LocalBackend(bucket, tmp_path / "ckpt", tmp_path / "state")
    job_id = backend.submit(spec)
    assert job_id.startswith("local-")
    lines: list[str] = []
    outcome = backend.wait(job_id, poll_interval=0.2, on_log=lines.append, timeout_s=300)
    assert outcome.state is JobState.DONE, "\n".join(lines[-30:])
    assert outcome.checkpoints["stages"] == list(spec.stages)
    run = tmp_path / "ckpt" / spec.spec_id
    assert (run / "final_model" / "config.json").is_file()
    assert any("phaseC_preference: trained" in line for line in lines)
    # a fresh backend object (another process) sees the same state
    assert (
        LocalBackend(bucket, tmp_path / "ckpt", tmp_path / "state").status(job_id) is JobState.DONE
    )


def _scripted(backend: LocalBackend, script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "command", lambda spec: [sys.executable, "-c", script])


def test_failed_and_cancelled_jobs(
    bucket: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = make_spec(LocalObjectStore(bucket), VERSION, data_bucket="local", default_deepspeed=None)
    backend = LocalBackend(bucket, tmp_path / "ckpt", tmp_path / "state")

    _scripted(backend, "print('loading'); raise SystemExit(3)", monkeypatch)
    failed = backend.submit(spec)
    with pytest.raises(TrainingJobFailed, match="FAILED: exit code 3"):
        backend.wait(failed, poll_interval=0.05, timeout_s=30)
    assert list(backend.logs(failed)) == ["loading"]

    # the step error says why: the cause and the last log lines, not only the exit code
    script = "print('loading'); import sys; sys.exit('error: torch is not installed')"
    _scripted(backend, script, monkeypatch)
    failed = backend.submit(spec)
    with pytest.raises(TrainingJobFailed) as info:
        backend.wait(failed, poll_interval=0.05, timeout_s=30)
    assert info.value.cause == "error: torch is not installed"
    assert str(info.value).splitlines()[1:] == [
        "cause: error: torch is not installed",
        "last log lines:",
        "  loading",
        "  error: torch is not installed",
    ]

    _scripted(backend, "import time\nprint('started', flush=True)\ntime.sleep(60)", monkeypatch)
    running = backend.submit(spec)
    deadline = time.monotonic() + 30
    while "started" not in list(backend.logs(running)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert backend.status(running) is JobState.RUNNING
    backend.cancel(running)
    assert backend.status(running) is JobState.INTERRUPTED

    # a job that exits 0 without writing checkpoints is not a success
    _scripted(backend, "print('nothing to do')", monkeypatch)
    empty = backend.submit(spec)
    with pytest.raises(Exception, match=r"_RUN_COMPLETE\.json"):
        backend.wait(empty, poll_interval=0.05, timeout_s=30)

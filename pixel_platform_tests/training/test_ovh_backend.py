"""The OVH AI Training backend against a local fake of its REST API."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import orjson
import pytest

from pixel_platform.core.errors import TerminalError, TransientError
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.training.backends import (
    JobState,
    OVHBackend,
    OVHClient,
    TrainingCancelled,
    TrainingJobFailed,
)
from pixel_platform.training.checkpoints import RUN_MARKER, CheckpointMissingError
from pixel_platform.training.spec import TrainingJobSpec
from pixel_platform_tests.training.fake_ovh import Scenario, fake_ovh_server

TOKEN = "test-app-token-0123456789"
EXAMPLE_SPEC = Path(__file__).parents[2] / "deploy" / "k8s" / "example-spec.yaml"


@pytest.fixture
def spec() -> TrainingJobSpec:
    return TrainingJobSpec.from_yaml(EXAMPLE_SPEC.read_text())


def write_finished_run(
    store: LocalObjectStore, spec: TrainingJobSpec, *, drop: str | None = None
) -> None:
    """What a finished job leaves in the checkpoint bucket."""
    prefix = spec.checkpoint_run_prefix()
    files = {"final_model/model.safetensors": b"weights", "final_model/config.json": b"{}"}
    for stage in spec.stages:
        store.write_bytes(f"{prefix}{stage}/_COMPLETE.json", b"{}")
    for rel, data in files.items():
        if rel != drop:
            store.write_bytes(prefix + rel, data)
    marker = {
        "stages": list(spec.stages),
        "final_stage": spec.stages[-1],
        "final_model": [{"path": rel, "bytes": len(data)} for rel, data in files.items()],
    }
    store.write_bytes(prefix + RUN_MARKER, orjson.dumps(marker))


def backend_for(base_url: str, store: LocalObjectStore | None, token: str = TOKEN) -> OVHBackend:
    client = OVHClient(
        base_url, token, connect_timeout_s=2, read_timeout_s=5, max_retries=3, backoff_factor=0.01
    )
    return OVHBackend(client, store)


def no_sleep(_: float) -> None:
    return None


def test_happy_path_streams_logs_and_verifies_checkpoints(
    spec: TrainingJobSpec, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = LocalObjectStore(tmp_path / "ckpt")
    write_finished_run(store, spec)
    with fake_ovh_server(TOKEN) as fake:
        backend = backend_for(fake.base_url, store)
        job_id = backend.submit(spec)
        lines: list[str] = []
        outcome = backend.wait(job_id, poll_interval=0, on_log=lines.append, sleep=no_sleep)
    assert outcome.state is JobState.DONE
    assert lines == [f"step {i}" for i in range(1, 6)]  # each line once, in order
    assert outcome.checkpoints["final_stage"] == "phaseC_preference"
    ((_, _, body),) = fake.requests_to("POST", "/v1/job")
    assert body == spec.ovh_job_body()
    assert not fake.kills
    assert TOKEN not in caplog.text


@pytest.mark.parametrize("final", ["FAILED", "ERROR", "TIMEOUT"])
def test_failed_job_states(spec: TrainingJobSpec, tmp_path: Path, final: str) -> None:
    scenario = Scenario(states=["QUEUED", "RUNNING", final], failure_message="CUDA out of memory")
    with fake_ovh_server(TOKEN, scenario) as fake:
        backend = backend_for(fake.base_url, LocalObjectStore(tmp_path))
        job_id = backend.submit(spec)
        with pytest.raises(TrainingJobFailed) as info:
            backend.wait(job_id, poll_interval=0, sleep=no_sleep)
    assert info.value.state is JobState(final)
    assert final in str(info.value)
    if final != "TIMEOUT":
        assert "CUDA out of memory" in str(info.value)
    assert not fake.kills  # it ended on its own


def test_connection_reset_mid_poll_is_retried(spec: TrainingJobSpec, tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    write_finished_run(store, spec)
    with fake_ovh_server(TOKEN, Scenario(reset_gets={2, 4})) as fake:
        backend = backend_for(fake.base_url, store)
        job_id = backend.submit(spec)
        outcome = backend.wait(job_id, poll_interval=0, sleep=no_sleep)
    assert outcome.state is JobState.DONE
    assert fake.status_polls == len(Scenario().states) + 2  # two polls were answered by a reset


def test_cancellation_kills_the_job(spec: TrainingJobSpec, tmp_path: Path) -> None:
    scenario = Scenario(states=["QUEUED", "RUNNING"])  # runs forever
    cancel = threading.Event()

    def on_log(line: str) -> None:
        if line == "step 2":
            cancel.set()

    with fake_ovh_server(TOKEN, scenario) as fake:
        backend = backend_for(fake.base_url, LocalObjectStore(tmp_path))
        job_id = backend.submit(spec)
        with pytest.raises(TrainingCancelled):
            backend.wait(job_id, poll_interval=0, on_log=on_log, cancel=cancel, sleep=no_sleep)
        assert fake.kills == [job_id]
        assert backend.status(job_id) is JobState.INTERRUPTED


def test_failing_caller_kills_the_job(spec: TrainingJobSpec, tmp_path: Path) -> None:
    def on_log(line: str) -> None:
        raise KeyboardInterrupt

    with fake_ovh_server(TOKEN, Scenario(states=["RUNNING"])) as fake:
        backend = backend_for(fake.base_url, LocalObjectStore(tmp_path))
        job_id = backend.submit(spec)
        with pytest.raises(KeyboardInterrupt):
            backend.wait(job_id, poll_interval=0, on_log=on_log, sleep=no_sleep)
    assert fake.kills == [job_id]


@pytest.mark.parametrize("drop", [None, "final_model/model.safetensors"])
def test_done_without_checkpoints_is_a_failure(
    spec: TrainingJobSpec, tmp_path: Path, drop: str | None
) -> None:
    store = LocalObjectStore(tmp_path)
    if drop:
        write_finished_run(store, spec, drop=drop)
    with fake_ovh_server(TOKEN) as fake:
        backend = backend_for(fake.base_url, store)
        job_id = backend.submit(spec)
        with pytest.raises(CheckpointMissingError) as info:
            backend.wait(job_id, poll_interval=0, sleep=no_sleep)
    assert (drop or RUN_MARKER) in str(info.value)


def test_bad_token_is_terminal_and_not_shown(spec: TrainingJobSpec) -> None:
    with fake_ovh_server(TOKEN) as fake:
        backend = backend_for(fake.base_url, None, token="wrong-token-secret")
        with pytest.raises(TerminalError) as info:
            backend.submit(spec)
    assert "401" in str(info.value) and "wrong-token-secret" not in str(info.value)
    assert "wrong-token-secret" not in repr(backend.client)


def test_submit_retries_503_once(spec: TrainingJobSpec) -> None:
    with fake_ovh_server(TOKEN, Scenario(fail_posts=1)) as fake:
        job_id = backend_for(fake.base_url, None).submit(spec)
    assert job_id == "job-0001" and len(fake.requests_to("POST")) == 2


def test_unreachable_api_is_transient(spec: TrainingJobSpec) -> None:
    with fake_ovh_server(TOKEN) as fake:
        url = fake.base_url
    with pytest.raises(TransientError):
        backend_for(url, None).status("job-0001")


def test_missing_token_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OVH_AI_TOKEN", raising=False)
    with pytest.raises(TerminalError, match="OVH_AI_TOKEN"):
        OVHClient.from_env()

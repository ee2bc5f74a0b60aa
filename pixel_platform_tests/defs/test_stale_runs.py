"""Runs whose process is gone are failed and their slots freed; live runs are left alone.

The end-to-end case (a SIGKILLed ``pixel-platform run`` during the release, then the next run
completes) is in ``pixel_platform_tests/production/test_faults.py``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import dagster as dg
import pytest
from dagster._core.test_utils import create_run_for_test

from pixel_platform.defs import stale_runs
from pixel_platform.defs.stale_runs import (
    HOST_TAG,
    PID_TAG,
    release_runs_of_process,
    release_stale_runs,
    slot_holders,
    stale_run_sensor,
)

POOL = "pixel_release"


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        instance.event_log_storage.set_concurrency_slots(POOL, 1)
        yield instance


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def started_run(instance: dg.DagsterInstance, pid: int, host: str | None = None) -> str:
    tags = {PID_TAG: str(pid), HOST_TAG: host or socket.gethostname()}
    run = create_run_for_test(instance, status=dg.DagsterRunStatus.STARTED, tags=tags)
    claim = instance.event_log_storage.claim_concurrency_slot(POOL, run.run_id, "dataset_release")
    assert claim.is_claimed
    return run.run_id


def status(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRunStatus:
    run = instance.get_run_by_id(run_id)
    assert run is not None
    return run.status


def test_a_run_whose_process_is_gone_is_failed_and_its_slot_freed(
    instance: dg.DagsterInstance,
) -> None:
    run_id = started_run(instance, dead_pid())
    assert slot_holders(instance, POOL) == [run_id]
    [released] = release_stale_runs(instance)
    assert (released.run_id, released.reason, released.slots) == (run_id, "process gone", 1)
    assert status(instance, run_id) == dg.DagsterRunStatus.FAILURE
    assert slot_holders(instance, POOL) == []
    # the next claimant gets the slot
    other = create_run_for_test(instance, status=dg.DagsterRunStatus.STARTED)
    assert instance.event_log_storage.claim_concurrency_slot(POOL, other.run_id, "s").is_claimed
    assert release_stale_runs(instance) == []  # nothing left to release


def test_a_live_run_and_a_run_on_another_host_are_left_alone(
    instance: dg.DagsterInstance,
) -> None:
    live = started_run(instance, os.getpid())
    assert release_stale_runs(instance) == []
    assert status(instance, live) == dg.DagsterRunStatus.STARTED
    assert slot_holders(instance, POOL) == [live]
    instance.event_log_storage.free_concurrency_slots_for_run(live)
    elsewhere = started_run(instance, dead_pid(), host="another-node")
    assert release_stale_runs(instance) == []  # its process cannot be seen from here
    assert status(instance, elsewhere) == dg.DagsterRunStatus.STARTED


def test_a_reused_pid_does_not_keep_a_dead_run_alive(
    instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run's process died and the OS gave its pid to a process started later.
    monkeypatch.setattr(stale_runs, "_PID_REUSE_SLACK_S", -1.0)  # any process younger than now
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as later:
        try:
            run_id = started_run(instance, later.pid)
            [released] = release_stale_runs(instance)
            assert released.run_id == run_id
        finally:
            later.kill()


def test_slots_still_held_by_finished_runs_are_freed(instance: dg.DagsterInstance) -> None:
    run = create_run_for_test(instance, status=dg.DagsterRunStatus.CANCELED)
    assert instance.event_log_storage.claim_concurrency_slot(POOL, run.run_id, "s").is_claimed
    [released] = release_stale_runs(instance)
    assert (released.reason, released.slots) == ("finished", 1)
    assert slot_holders(instance, POOL) == []


def test_an_interrupted_cli_run_cancels_only_its_own_runs(instance: dg.DagsterInstance) -> None:
    mine = started_run(instance, os.getpid())
    other = create_run_for_test(
        instance, status=dg.DagsterRunStatus.STARTED, tags={PID_TAG: "1", HOST_TAG: "x"}
    )
    [released] = release_runs_of_process(instance)
    assert (released.run_id, released.slots) == (mine, 1)
    assert status(instance, mine) == dg.DagsterRunStatus.CANCELED
    assert status(instance, other.run_id) == dg.DagsterRunStatus.STARTED


def test_the_sensor_releases_stale_runs(instance: dg.DagsterInstance) -> None:
    context = dg.build_sensor_context(instance=instance)
    result = stale_run_sensor(context)
    assert isinstance(result, dg.SkipReason) and result.skip_message == "no stale runs"
    run_id = started_run(instance, dead_pid())
    result = stale_run_sensor(context)
    assert isinstance(result, dg.SkipReason) and run_id in (result.skip_message or "")
    assert status(instance, run_id) == dg.DagsterRunStatus.FAILURE

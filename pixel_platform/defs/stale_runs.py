"""Runs whose process is gone: mark them failed and free what they hold.

A run killed without a chance to clean up (SIGKILL, a preempted node, an OOM kill) stays
``STARTED`` in the instance and keeps its claims: the op concurrency slot of its pool
(``pixel_release``, ``pixel_dedup``) and, under the queued run coordinator, its place in the
``pixel/release-build`` tag limit. Every later build then waits for a slot that is never freed.

``release_stale_runs`` finds such runs and releases them:

* in-progress runs (``STARTING``, ``STARTED``, ``CANCELING``) whose worker process is known and
  gone. The process is known from the ``pixel/pid`` and ``pixel/host`` tags that
  ``pixel-platform run`` sets on every run it starts; for other runs on a local (SQLite) instance,
  where every run worker lives on this machine, from the pid of the run's ``RUN_START`` event. A
  pid that now belongs to a process started after the run is a reused pid: gone too. Such runs are
  reported failed (with the reason in the run's event log) and their slots freed;
* slots still held by runs that have finished (failed, canceled or even successful): freed.

On the production instance Dagster's run monitoring does the same for launchers that can check a
worker's health (``deploy/dagster.postgres.yaml``: ``run_monitoring``, with
``free_slots_after_run_end_seconds``); ``stale_run_sensor`` covers the local ``make ui``
instance, and ``pixel-platform run`` calls ``release_stale_runs`` before it starts. A run on
another host is never touched: its process cannot be seen from here.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass

import dagster as dg
import psutil
from dagster._core.storage.dagster_run import FINISHED_STATUSES

logger = logging.getLogger(__name__)

PID_TAG = "pixel/pid"
HOST_TAG = "pixel/host"
IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
               dg.DagsterRunStatus.CANCELING]  # fmt: skip
# A process created this long after its run's start (seconds) is another process with the pid.
_PID_REUSE_SLACK_S = 2.0


@dataclass(frozen=True)
class Released:
    run_id: str
    status: str  # the run's status when found
    reason: str  # "process gone" | "finished" | "interrupted"
    slots: int  # concurrency slots freed


def process_tags() -> dict[str, str]:
    """Tags naming this process as the run's worker (``pixel-platform run`` sets them)."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def release_stale_runs(instance: dg.DagsterInstance) -> list[Released]:
    """Fail the in-progress runs whose process is gone; free the slots of finished runs."""
    released: list[Released] = []
    local = _is_local(instance)
    host = socket.gethostname()
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        pid = _worker_pid(instance, run, host, local)
        if pid is None or _alive(pid, record.start_time or record.create_timestamp.timestamp()):
            continue
        message = (
            f"pixel-platform: the run's process (pid {pid}) is gone (killed or its node lost); "
            "marked failed so that its concurrency slots and run-queue place are freed"
        )
        instance.report_run_failed(run, message)
        slots = _free_slots(instance, run.run_id)
        logger.warning("run %s (%s) had no live process (pid %s): marked failed, %d slot(s) freed",
                       run.run_id, run.status.value, pid, slots)  # fmt: skip
        released.append(Released(run.run_id, run.status.value, "process gone", slots))
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        holders = list(storage.get_concurrency_run_ids())
        finished = instance.get_run_records(
            filters=dg.RunsFilter(run_ids=holders, statuses=list(FINISHED_STATUSES))
        ) if holders else []  # fmt: skip
        for record in finished:
            run = record.dagster_run
            slots = _free_slots(instance, run.run_id)
            if slots:
                logger.warning("run %s (%s) still held %d concurrency slot(s): freed",
                               run.run_id, run.status.value, slots)  # fmt: skip
                released.append(Released(run.run_id, run.status.value, "finished", slots))
    return released


def release_runs_of_process(instance: dg.DagsterInstance, pid: int | None = None) -> list[Released]:
    """Cancel the in-progress runs this process (or ``pid``) started and free their slots: what an
    interrupted ``pixel-platform run`` does before it exits."""
    pid = os.getpid() if pid is None else pid
    released = []
    mine = dg.RunsFilter(
        statuses=IN_PROGRESS, tags={PID_TAG: str(pid), HOST_TAG: socket.gethostname()}
    )
    for record in instance.get_run_records(filters=mine):
        run = record.dagster_run
        instance.report_run_canceled(run, "pixel-platform run was interrupted (SIGINT/SIGTERM)")
        released.append(Released(run.run_id, run.status.value, "interrupted",
                                 _free_slots(instance, run.run_id)))  # fmt: skip
    return released


def _worker_pid(
    instance: dg.DagsterInstance, run: dg.DagsterRun, host: str, local: bool
) -> int | None:
    tags = run.tags
    if PID_TAG in tags:
        if tags.get(HOST_TAG) != host or not tags[PID_TAG].isdigit():
            return None
        return int(tags[PID_TAG])
    if not local:
        return None
    starts = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.RUN_START, limit=1
    ).records
    if not starts:
        return None
    event = starts[0].event_log_entry.dagster_event
    return event.pid if event is not None else None


def _alive(pid: int, started_at: float) -> bool:
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return process.create_time() <= started_at + _PID_REUSE_SLACK_S
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return False


def _free_slots(instance: dg.DagsterInstance, run_id: str) -> int:
    """Free every slot (and pending claim) of ``run_id``; how many slots it held."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return 0
    held = sum(
        slot.run_id == run_id
        for key in storage.get_concurrency_keys()
        for slot in storage.get_concurrency_info(key).claimed_slots
    )
    storage.free_concurrency_slots_for_run(run_id)
    return held


def slot_holders(instance: dg.DagsterInstance, pool: str) -> list[str]:
    """The runs holding a slot of ``pool`` now."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits or pool not in storage.get_concurrency_keys():
        return []
    return sorted({slot.run_id for slot in storage.get_concurrency_info(pool).claimed_slots})


def _is_local(instance: dg.DagsterInstance) -> bool:
    """A SQLite instance: every run worker it records ran on this machine."""
    return type(instance.run_storage).__name__ == "SqliteRunStorage"


@dg.sensor(
    name="stale_run_sensor",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Every minute: a run whose process was killed (and so never finished) is marked failed "
        "and its concurrency slot freed, so the next release build is not blocked behind it."
    ),
)
def stale_run_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    released = release_stale_runs(context.instance)
    if not released:
        return dg.SkipReason("no stale runs")
    return dg.SkipReason(
        "released " + ", ".join(f"{r.run_id} ({r.reason}, {r.slots} slot(s))" for r in released)
    )

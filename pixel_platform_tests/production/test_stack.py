"""The production stack on this machine: PostgreSQL instance, webserver, daemon, S3 bucket.

``dagster-webserver`` and ``dagster-daemon run`` run as subprocesses on 127.0.0.1 with
``PIXEL_ENV=production`` (as the deploy files set it: the schedule and the sync sensor start
running), ``DAGSTER_HOME`` holding deploy/dagster.postgres.yaml (a fresh database), the storage
env pointing at a SeaweedFS bucket, and the sync sensor's interval set to 5 s. Everything is
observed through the webserver's GraphQL API, as the UI sees it.

What each test proves:

* the instance is PostgreSQL-backed and the daemon's scheduler, sensor and run-queue loops
  heartbeat into it;
* a sync marker landing in the bucket makes ``gdrive_sync_sensor`` request an ingest run for
  exactly the partitions whose objects changed, and that run materializes the partition on S3;
* ``nightly_release_schedule`` is RUNNING in the daemon with the cron it is given
  (``PIXEL_RELEASE_CRON``; the test picks a minute shortly after the stack starts, so it ticks
  once), and the daemon records that tick and the release run it launched;
* two ``dataset_release_job`` launches queue behind the ``pixel/release-build`` tag limit: never
  two at once.

The module is bounded: about 5 minutes here, every wait has its own deadline.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pixel_platform.cli.common import SAMPLE_BUCKET
from pixel_platform.pipeline import layout
from pixel_platform_tests.production.support import (
    ROOT,
    GraphQL,
    PgDatabase,
    Proc,
    base_env,
    dagster_services,
    run_tags,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

SENSOR_INTERVAL_S = 5
RELEASE_CRON_ENV = "PIXEL_RELEASE_CRON"
SCHEDULE_LEAD = timedelta(minutes=2)  # the stack is up and the sensor test done by then


def one_shot_cron(at: datetime) -> str:
    """A daily cron whose one tick today is the minute of ``at`` (UTC)."""
    return f"{at.minute} {at.hour} * * *"


LOCATION = {"repositoryLocationName": "pixel_platform", "repositoryName": "__repository__"}
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}
RUNNING = {"STARTING", "STARTED", "CANCELING"}


@dataclass
class Stack:
    gql: GraphQL
    procs: list[Proc]
    bucket: str
    client: Any
    schedule_tick_at: datetime

    def upload_sample(self, prefix: str) -> int:
        count = 0
        for path in sorted((SAMPLE_BUCKET / prefix).rglob("*")):
            if path.is_file():
                key = path.relative_to(SAMPLE_BUCKET).as_posix()
                self.client.upload_file(str(path), self.bucket, key)
                count += 1
        return count

    def write_marker(self, note: str) -> None:
        body = f'{{"sync": "{note}", "at": "{datetime.now(UTC).isoformat()}"}}\n'.encode()
        self.client.put_object(Bucket=self.bucket, Key=layout.SYNC_MARKER_KEY, Body=body)

    def keys(self, prefix: str) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        return [o["Key"] for page in pages for o in page.get("Contents", ())]

    def wait(self, what: str, probe: Any, timeout_s: float, interval_s: float = 1.0) -> Any:
        return wait_for(what, probe, timeout_s=timeout_s, interval_s=interval_s, procs=self.procs)

    def wait_run(self, run_id: str, timeout_s: float) -> dict[str, Any]:
        def finished() -> dict[str, Any] | None:
            runs = self.gql.runs(runIds=[run_id])
            return runs[0] if runs and runs[0]["status"] in FINISHED else None

        return dict(self.wait(f"run {run_id} to finish", finished, timeout_s))


@pytest.fixture(scope="module")
def stack(
    pg_database: PgDatabase,
    s3_server: Any,
    s3_client: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("prod-stack")
    home = work / "dagster_home"
    home.mkdir()
    shutil.copyfile(ROOT / "deploy" / "dagster.postgres.yaml", home / "dagster.yaml")
    bucket = f"pixel-prod-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=bucket)
    tick_at = (datetime.now(UTC) + SCHEDULE_LEAD).replace(second=0, microsecond=0)
    env = base_env(
        DAGSTER_HOME=str(home),
        PIXEL_ENV="production",  # what the deploy files set: schedule and sensor start running
        PIXEL_CACHE_DIR=str(work / "cache"),
        PIXEL_SYNC_SENSOR_INTERVAL_S=str(SENSOR_INTERVAL_S),
        **{RELEASE_CRON_ENV: one_shot_cron(tick_at)},
        **pg_database.env(),
        **s3_server.env(bucket),
    )
    with dagster_services(env, work) as services:
        yield Stack(services.gql, services.procs, bucket, s3_client, tick_at)


def test_instance_is_postgres_and_the_daemon_heartbeats(stack: Stack) -> None:
    def healthy() -> dict[str, Any] | None:
        data = stack.gql(
            """{ instance { info runQueuingSupported
                 daemonHealth { allDaemonStatuses { daemonType healthy required } } } }"""
        )["instance"]
        statuses = {d["daemonType"]: d for d in data["daemonHealth"]["allDaemonStatuses"]}
        wanted = ("SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR")
        return data if all(statuses.get(t, {}).get("healthy") for t in wanted) else None

    instance = stack.wait("scheduler, sensor and run-queue daemons to be healthy", healthy, 90)
    assert instance["runQueuingSupported"] is True
    for storage in ("PostgresRunStorage", "PostgresEventLogStorage", "PostgresScheduleStorage"):
        assert storage in instance["info"], instance["info"]
    assert "pixel/release-build" in instance["info"]


SENSOR_QUERY = """
query Sensor($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor {
      minIntervalSeconds
      sensorState { status ticks(limit: 50) { id status timestamp runIds skipReason
                                               error { message } } }
    }
  }
}
"""


def _sensor(stack: Stack) -> dict[str, Any]:
    data = stack.gql(SENSOR_QUERY, selector={**LOCATION, "sensorName": "gdrive_sync_sensor"})
    sensor: dict[str, Any] = data["sensorOrError"]
    assert sensor["__typename"] == "Sensor", sensor
    return sensor


def _ticks_with_runs(stack: Stack, seen: set[str]) -> list[dict[str, Any]]:
    """Ticks that requested runs, other than those in ``seen``. (Not "ticks after the marker's
    time": a tick that started just before the marker was written may be the one that sees it.)"""
    ticks = _sensor(stack)["sensorState"]["ticks"]
    return [t for t in ticks if t["runIds"] and t["id"] not in seen]


def _finished_tick_ids(stack: Stack) -> set[str]:
    """Ticks that had finished before a marker is written, so cannot have seen it. A tick still
    STARTED may read the marker written a moment later: it must stay eligible (a CI run once
    missed the second marker's tick that way)."""
    return {t["id"] for t in _sensor(stack)["sensorState"]["ticks"] if t["status"] != "STARTED"}


def test_a_sync_marker_makes_the_sensor_ingest_only_changed_partitions(stack: Stack) -> None:
    sensor = _sensor(stack)
    assert sensor["minIntervalSeconds"] == SENSOR_INTERVAL_S, "PIXEL_SYNC_SENSOR_INTERVAL_S"
    assert sensor["sensorState"]["status"] == "RUNNING"

    def skipped_without_marker() -> list[dict[str, Any]]:
        return [
            t
            for t in _sensor(stack)["sensorState"]["ticks"]
            if t["status"] == "SKIPPED" and "no sync marker" in (t["skipReason"] or "")
        ]

    stack.wait("a sensor tick that skips (no marker yet)", skipped_without_marker, 60)

    # A finished sync: cptsd's objects, then the marker.
    assert stack.upload_sample("gdrive/raw/cptsd") > 1
    seen = _finished_tick_ids(stack)
    stack.write_marker("first")
    (tick,) = stack.wait(
        "a sensor tick that requests runs", lambda: _ticks_with_runs(stack, seen), 90
    )
    assert tick["status"] == "SUCCESS", tick
    (run_id,) = tick["runIds"]
    run = stack.wait_run(run_id, 150)
    tags = run_tags(run)
    assert run["jobName"] == "ingest_cptsd_job"
    assert tags["dagster/partition"] == "gdrive/raw/cptsd/"
    assert tags["pixel/trigger"] == "gdrive_sync" and tags["dagster/sensor_name"]
    assert run["status"] == "SUCCESS", run
    slug = "gdrive__raw__cptsd"
    assert f"pipeline/processed/cptsd/{slug}/stats.json" in stack.keys("pipeline/processed/")
    assert f"pipeline/curated/cptsd/{slug}/conversations.jsonl" in stack.keys("pipeline/curated/")

    # A second sync that only adds addiction's objects: one run, for addiction only.
    assert stack.upload_sample("gdrive/raw/addiction") > 0
    seen = _finished_tick_ids(stack)
    stack.write_marker("second")
    (tick,) = stack.wait("a tick for the second marker", lambda: _ticks_with_runs(stack, seen), 90)
    (run_id,) = tick["runIds"]
    (run,) = stack.gql.runs(runIds=[run_id])
    assert run["jobName"] == "ingest_addiction_job", run
    assert run_tags(run)["dagster/partition"] == "gdrive/raw/addiction/"
    cptsd_runs = stack.gql.runs(pipelineName="ingest_cptsd_job")
    assert len(cptsd_runs) == 1, "an unchanged partition was ingested again"
    # The first run already showed an ingest run materializing on S3; stop this one to keep the
    # module short (and to show a run can be terminated from the API). A fast run may already have
    # finished, in which case Dagster refuses the termination: then it must have succeeded.
    terminated = stack.gql.terminate(run_id)
    status = stack.wait_run(run_id, 60)["status"]
    assert status in FINISHED
    assert terminated or status == "SUCCESS", status


SCHEDULE_QUERY = """
query Schedule($selector: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $selector) {
    __typename
    ... on Schedule {
      cronSchedule executionTimezone
      scheduleState { status ticks(limit: 10) { status timestamp runIds error { message } } }
      futureTicks(limit: 2) { results { timestamp } }
    }
  }
}
"""


def _schedule(stack: Stack) -> dict[str, Any]:
    data = stack.gql(
        SCHEDULE_QUERY, selector={**LOCATION, "scheduleName": "nightly_release_schedule"}
    )
    schedule: dict[str, Any] = data["scheduleOrError"]
    assert schedule["__typename"] == "Schedule", schedule
    return schedule


@pytest.mark.timeout(420)
def test_nightly_schedule_ticks_in_the_daemon_and_launches_a_release_run(stack: Stack) -> None:
    schedule = _schedule(stack)
    assert schedule["scheduleState"]["status"] == "RUNNING"
    assert schedule["executionTimezone"] == "UTC"
    assert schedule["cronSchedule"] == one_shot_cron(stack.schedule_tick_at)

    def ticked() -> list[dict[str, Any]]:
        # A tick lists its run as soon as it submits it and says SUCCESS a moment later: wait
        # for the tick to be over, not only for its run id (a loaded machine shows the gap).
        ticks = _schedule(stack)["scheduleState"]["ticks"]
        return [t for t in ticks if t["runIds"] and t["status"] != "STARTED"]

    remaining = (stack.schedule_tick_at - datetime.now(UTC)).total_seconds()
    (tick,) = stack.wait("the schedule's tick", ticked, max(0.0, remaining) + 90, interval_s=2.0)
    assert tick["status"] == "SUCCESS", tick
    assert abs(tick["timestamp"] - stack.schedule_tick_at.timestamp()) < 90
    (run_id,) = tick["runIds"]
    run = stack.wait_run(run_id, 240)
    assert run["jobName"] == "dataset_release_job"
    tags = run_tags(run)
    assert tags["dagster/schedule_name"] == "nightly_release_schedule"
    assert tags["pixel/release-build"] == "true"
    # Its outcome depends on what the sensor test ingested (two families: the coverage gate
    # fails); what matters here is that the daemon ran it to an end.
    assert run["status"] in FINISHED


# One process per run: the default multiprocess executor starts a subprocess per step (~6 s of
# imports each here, 13 steps with the eleven gate checks), which only slows this test down.
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}


def test_release_builds_queue_and_run_one_at_a_time(stack: Stack) -> None:
    first = stack.gql.launch("dataset_release_job", run_config=IN_PROCESS)
    second = stack.gql.launch("dataset_release_job", run_config=IN_PROCESS)
    overlaps = []
    waited = False  # seen one build queued while the other ran
    deadline = time.monotonic() + 150
    while True:
        runs = {r["runId"]: r for r in stack.gql.runs(runIds=[first, second])}
        active = [r for r in runs.values() if r["status"] in RUNNING]
        queued = [r for r in runs.values() if r["status"] in ("QUEUED", "NOT_STARTED")]
        if len(active) > 1:
            overlaps.append([r["runId"] for r in active])
        waited = waited or (len(active) == 1 and len(queued) == 1)
        if all(r["status"] in FINISHED for r in runs.values()) and len(runs) == 2:
            break
        for proc in stack.procs:
            assert proc.alive(), proc.log_tail()
        assert time.monotonic() < deadline, f"release runs still going after 150 s: {runs}"
        time.sleep(0.3)

    assert not overlaps, f"two release builds ran at once: {overlaps}"
    assert waited, "never saw one release build wait in the queue while the other ran"
    a, b = sorted(runs.values(), key=lambda r: r["startTime"])
    assert b["startTime"] >= a["endTime"], (a, b)
    assert all(run_tags(r)["pixel/release-build"] == "true" for r in runs.values())

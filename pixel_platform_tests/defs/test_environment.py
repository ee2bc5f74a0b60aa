"""``PIXEL_ENV``: the schedule and the sync sensor are off in local development, on in
production; the stale-run sensor (housekeeping) is on in both."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pixel_platform.defs.environment import get_environment

PROBE = """
import json
from pixel_platform.defs.definitions import defs
statuses = {s.name: s.default_status.value for s in [*defs.sensors, *defs.schedules]}
print(json.dumps(statuses))
"""


def default_statuses(pixel_env: str | None) -> dict[str, str]:
    """The definitions' default statuses, loaded in a fresh process (they are set at import)."""
    env = {k: v for k, v in os.environ.items() if k != "PIXEL_ENV"}
    if pixel_env is not None:
        env["PIXEL_ENV"] = pixel_env
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    statuses: dict[str, str] = json.loads(out.stdout.strip().splitlines()[-1])
    return statuses


def test_local_development_starts_schedule_and_sync_sensor_stopped() -> None:
    assert default_statuses(None) == {
        "gdrive_sync_sensor": "STOPPED",
        "stale_run_sensor": "RUNNING",
        "nightly_release_schedule": "STOPPED",
        "review_decisions_sensor": "STOPPED",
    }


def test_production_starts_them_running() -> None:
    assert default_statuses("production") == {
        "gdrive_sync_sensor": "RUNNING",
        "stale_run_sensor": "RUNNING",
        "nightly_release_schedule": "RUNNING",
        "review_decisions_sensor": "RUNNING",
    }


def test_an_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIXEL_ENV", "prod")
    with pytest.raises(ValueError, match="PIXEL_ENV='prod'"):
        get_environment()
    monkeypatch.setenv("PIXEL_ENV", " Production ")
    assert get_environment() == "production"
    monkeypatch.delenv("PIXEL_ENV")
    assert get_environment() == "local"

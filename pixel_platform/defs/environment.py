"""Which deployment the code location serves: ``PIXEL_ENV`` is ``local`` (the default) or
``production`` (set by the code image, docker-compose and the Helm values).

It decides only what must differ between a developer's machine and the production instance: the
nightly release schedule and the GDrive sync sensor start stopped in local development (``make
ui`` should not build a release at 02:00 or ingest by itself; switch them on in the UI's
Automation page) and running in production. Housekeeping such as ``stale_run_sensor`` runs in
both.
"""

from __future__ import annotations

import os

import dagster as dg

ENV_VAR = "PIXEL_ENV"
LOCAL = "local"
PRODUCTION = "production"
ENVIRONMENTS = (LOCAL, PRODUCTION)


def get_environment() -> str:
    """``local`` or ``production``; anything else is a configuration error, said at load time."""
    value = os.environ.get(ENV_VAR, LOCAL).strip().lower() or LOCAL
    if value not in ENVIRONMENTS:
        raise ValueError(f"{ENV_VAR}={value!r}: expected one of {', '.join(ENVIRONMENTS)}")
    return value


def is_production() -> bool:
    return get_environment() == PRODUCTION


def automation_sensor_status() -> dg.DefaultSensorStatus:
    """Sensors that start work (runs) by themselves: running only in production."""
    if is_production():
        return dg.DefaultSensorStatus.RUNNING
    return dg.DefaultSensorStatus.STOPPED


def automation_schedule_status() -> dg.DefaultScheduleStatus:
    """Schedules: running only in production."""
    if is_production():
        return dg.DefaultScheduleStatus.RUNNING
    return dg.DefaultScheduleStatus.STOPPED


def automation_note() -> str:
    """A sentence for descriptions: why the schedule or sensor is on or off here."""
    return (
        f"Off by default in local development, on in production ({ENV_VAR}={PRODUCTION}); "
        "switch it on or off on the Automation page."
    )

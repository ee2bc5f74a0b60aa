"""``make ui`` starts the UI without Dagster's warnings and stops, whole, on SIGTERM.

The test runs what ``make ui`` runs after its setup step (read from ``make -n ui``, so a change to
the Makefile is what is tested) under a real GNU make, in a session of its own, on a fresh
instance: make → scripts/ui.sh → code server (and its worker), webserver, daemon. Once the UI
serves the code location it sends SIGTERM to make alone, as a service manager or ``kill`` would,
and requires make to be gone within a few seconds with every process it had started gone too.
The log must not carry ``dagster dev``'s deprecation ("superseded") nor its warning about a
dagster.yaml in the current folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from pixel_platform_tests.production.support import (
    ROOT,
    GraphQL,
    base_env,
    free_ports,
    start,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

STOP_WITHIN_S = 10.0  # the script gives TERM 4 s, then KILLs what is left
DAGSTER_WARNINGS = ("superseded", "Found a dagster instance configuration")
SERVICES = ("code-server start", "dagster api grpc", "dagster-webserver", "dagster-daemon run")


def ui_recipe(port: int) -> list[str]:
    """The commands of ``make ui`` after ``scripts/setup.sh`` (which may install packages)."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("GNU make is not installed")
    lines = subprocess.run(
        [make, "-n", "--no-print-directory", "ui", f"UI_PORT={port}"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=30,
    ).stdout.splitlines()  # fmt: skip
    assert lines[0] == "bash scripts/setup.sh", lines
    assert lines[-1].startswith("exec "), "make must not sit between the signal and the script"
    return lines[1:]


def services(pid: int) -> list[psutil.Process] | None:
    """``pid``'s descendants once the script, the code server (proxy and worker), the webserver
    and the daemon are all among them."""
    try:
        procs = psutil.Process(pid).children(recursive=True)
        commands = " ".join(" ".join(p.cmdline()) for p in procs)
    except psutil.NoSuchProcess:  # a short-lived helper (the health check) just ended
        return None
    return procs if all(s in commands for s in SERVICES) else None


def still_running(procs: list[psutil.Process]) -> list[str]:
    """The processes of ``procs`` that still run (a zombie waiting for its reaper has ended)."""
    left = []
    for proc in procs:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{proc.pid} {' '.join(proc.cmdline())[:120]}")
        except psutil.NoSuchProcess:
            continue
    return left


def signal_state(pid: int) -> str:
    """The ignored, blocked and caught signal masks of ``pid`` (/proc): a make started with
    SIGTERM ignored or blocked (inherited from the test process) never acts on it."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return "unknown"
    return " ".join(
        line.replace("\t", "") for line in lines if line.startswith(("SigIgn", "SigBlk", "SigCgt"))
    )


def test_make_ui_stops_every_process_within_seconds_of_sigterm(tmp_path: Path) -> None:
    (port,) = free_ports(1)
    makefile = tmp_path / "ui.mk"
    makefile.write_text("ui:\n" + "".join(f"\t{line}\n" for line in ui_recipe(port)))
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(ROOT / "dagster.yaml", home / "dagster.yaml")
    env = base_env(
        DAGSTER_HOME=str(home),
        DATASET_STORAGE_BACKEND="local",
        DATASET_STORAGE_LOCAL_PATH=str(tmp_path / "bucket"),
        PIXEL_CACHE_DIR=str(tmp_path / "cache"),
    )
    make = start("make_ui", ["make", "-f", str(makefile), "ui"], env=env, log_dir=tmp_path)
    procs: list[psutil.Process] = []
    try:
        gql = GraphQL(port, timeout_s=10)
        wait_for("make ui to serve the code location", gql.ready, timeout_s=240,
                 interval_s=1.0, procs=[make])  # fmt: skip
        procs = wait_for("the code server, webserver and daemon under make",
                         lambda: services(make.popen.pid), timeout_s=60, procs=[make])  # fmt: skip
        started = time.monotonic()
        os.kill(make.popen.pid, signal.SIGTERM)  # make alone, not its process group
        with contextlib.suppress(subprocess.TimeoutExpired):
            make.popen.wait(timeout=STOP_WITHIN_S + 20)
        took = time.monotonic() - started
        assert make.popen.poll() is not None, (
            f"make still running {took:.0f}s after SIGTERM; its signal state"
            f" {signal_state(make.popen.pid)}, ours {signal_state(os.getpid())}"
        )
        assert took <= STOP_WITHIN_S, f"make ui took {took:.1f}s to stop\n{make.log_tail()}"
        psutil.wait_procs(procs, timeout=2)
        assert not still_running(procs), still_running(procs)
        log = make.log_path.read_text(errors="replace")
        assert "ui: stopping" in log, make.log_tail()
        assert not [w for w in DAGSTER_WARNINGS if w in log], make.log_tail()
        assert "Serving dagster-webserver" in log
    finally:
        make.stop(timeout_s=5)
        for proc in procs:  # the services run in sessions of their own: clean up a failure
            if still_running([proc]):
                proc.kill()

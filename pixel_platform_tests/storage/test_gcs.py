"""The gcs backend beyond the shared contract: settings, credentials, missing buckets, retries of
transient failures (against a server that always fails), large uploads, and one partition ingested
end to end on the emulator (``gcs_emulator`` in conftest.py)."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import orjson
import pytest

from pixel_platform.core.errors import (
    ConfigError,
    MissingDependencyError,
    ObjectNotFoundError,
    StorageError,
    TransientStorageError,
)
from pixel_platform.pipeline import layout
from pixel_platform.pipeline.partition import process_partition
from pixel_platform.pipeline.snapshot import take_snapshot
from pixel_platform.storage.factory import open_store
from pixel_platform.storage.settings import StorageSettings
from pixel_platform_tests.ingest.helpers import registry

pytest.importorskip("google.cloud.storage", reason="the gcs extra is not installed")

from pixel_platform.storage.gcs import GCSObjectStore

if TYPE_CHECKING:
    from pixel_platform_tests.support import GCSTestEmulator

GCS_ENV = {
    "DATASET_STORAGE_BACKEND": "gcs",
    "GCS_BUCKET": "pixel-data",
    "GOOGLE_CLOUD_PROJECT": "pixel-prod",
    "STORAGE_EMULATOR_HOST": "http://127.0.0.1:9023",
}


# -- settings ------------------------------------------------------------------------------------
def test_gcs_settings_come_from_the_environment() -> None:
    settings = StorageSettings.from_env(GCS_ENV)
    assert settings.backend == "gcs"
    assert settings.bucket == "pixel-data"
    assert settings.gcs_project == "pixel-prod"
    assert settings.gcs_emulator_host == "http://127.0.0.1:9023"


def test_gcs_without_a_bucket_is_a_config_error_naming_the_variable() -> None:
    # An S3 bucket in the environment is not taken for the GCS one.
    env = {"DATASET_STORAGE_BACKEND": "gcs", "OVH_S3_BUCKET": "ovh-bucket"}
    with pytest.raises(ConfigError, match="GCS_BUCKET"):
        StorageSettings.from_env(env)


def test_a_backend_override_picks_that_backends_bucket() -> None:
    env = {**GCS_ENV, "OVH_S3_BUCKET": "ovh-bucket"}
    assert StorageSettings.from_env(env, backend="s3").bucket == "ovh-bucket"
    assert StorageSettings.from_env(
        {**env, "DATASET_STORAGE_BACKEND": "s3"}, backend="gcs"
    ).bucket == ("pixel-data")


def test_open_store_builds_a_gcs_store_without_connecting() -> None:
    store = open_store(StorageSettings.from_env(GCS_ENV))
    assert isinstance(store, GCSObjectStore)
    assert store.uri("a/b.jsonl") == "gs://pixel-data/a/b.jsonl"
    assert repr(store) == "GCSObjectStore(bucket='pixel-data', endpoint='http://127.0.0.1:9023')"


def test_missing_library_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "pixel_platform.storage.gcs")
    monkeypatch.setitem(sys.modules, "google.cloud.storage.retry", None)  # import fails
    with pytest.raises(MissingDependencyError, match=r"pip install 'pixel-platform\[gcs\]'"):
        open_store(StorageSettings.from_env(GCS_ENV))


def test_no_credentials_is_an_error_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing-key.json"))
    env = {k: v for k, v in GCS_ENV.items() if k != "STORAGE_EMULATOR_HOST"}
    with pytest.raises(StorageError, match="GOOGLE_APPLICATION_CREDENTIALS") as caught:
        open_store(StorageSettings.from_env(env))
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


# -- against the emulator ------------------------------------------------------------------------
def test_a_missing_bucket_says_so(gcs_emulator: GCSTestEmulator) -> None:
    store = GCSObjectStore.from_settings(gcs_emulator.settings("no-such-bucket"))
    assert store.head("k") is None
    with pytest.raises(StorageError, match="bucket 'no-such-bucket' does not exist") as read:
        store.read_bytes("k")
    assert not isinstance(read.value, ObjectNotFoundError)
    with pytest.raises(StorageError, match="set GCS_BUCKET"):
        store.write_bytes("k", b"x")


def test_large_files_upload_in_chunks_and_read_back_streamed(
    gcs_emulator: GCSTestEmulator, gcs_bucket: str, tmp_path: Path
) -> None:
    chunk = 256 * 1024
    store = GCSObjectStore.from_settings(
        gcs_emulator.settings(
            gcs_bucket, multipart_threshold_bytes=chunk, multipart_chunk_bytes=chunk
        )
    )
    data = os.urandom(4 * chunk + 123)  # five resumable chunks, the last one short
    (tmp_path / "big.bin").write_bytes(data)
    assert store.upload_file(tmp_path / "big.bin", "big.bin").size == len(data)
    with store.open_read("big.bin") as fh:
        parts = list(iter(lambda: fh.read(100_000), b""))
    assert b"".join(parts) == data and len(parts) > 1
    assert store.copy("big.bin", "copy.bin").size == len(data)
    assert store.read_bytes("copy.bin") == data


def test_copy_of_a_missing_object_is_not_found(gcs_store: GCSObjectStore) -> None:
    with pytest.raises(ObjectNotFoundError, match="nope"):
        gcs_store.copy("nope", "dst")


def test_one_partition_ingests_end_to_end_on_the_emulator(
    gcs_emulator: GCSTestEmulator, gcs_bucket: str
) -> None:
    store = open_store(StorageSettings.from_env(gcs_emulator.env(gcs_bucket)))
    assert isinstance(store, GCSObjectStore)
    turns = [
        {"role": "user", "content": "I feel anxious."},
        {"role": "assistant", "content": "Go on."},
    ]
    store.write_bytes("raw/chats/a.jsonl", orjson.dumps({"messages": turns}) + b"\n" + b"{bad\n")

    result = process_partition(
        store, registry(), "chats", take_snapshot(store, "chats", "raw/chats/")
    )

    assert (result.units_in, result.records_out, result.quarantined) == (2, 1, 1)
    rows = store.read_bytes(result.output.key).splitlines()
    assert len(rows) == 1 and orjson.loads(rows[0])["messages"][0]["content"] == "I feel anxious."
    assert store.exists(layout.processed_stats_key(result.family, result.partition_key))
    assert store.exists(result.quarantine.key)


# -- retries, against a server that always answers with one status ------------------------------
class _FixedStatusServer(ThreadingHTTPServer):
    status: int
    requests: int = 0  # object requests answered


class _FixedStatusHandler(BaseHTTPRequestHandler):
    server: _FixedStatusServer
    body: ClassVar[bytes] = b'{"error": {"code": 0, "message": "secret-token-in-body"}}'

    def do_GET(self) -> None:
        # Only object requests count: the client may also fetch the bucket's metadata in a
        # background thread (google-cloud-storage's bucket metadata cache).
        if "/o/" in self.path:
            self.server.requests += 1
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:  # keep the test output quiet
        pass


@pytest.fixture
def failing_server() -> Iterator[_FixedStatusServer]:
    server = _FixedStatusServer(("127.0.0.1", 0), _FixedStatusHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _store_on(server: _FixedStatusServer, status: int, deadline_s: float) -> GCSObjectStore:
    server.status = status
    host = f"http://127.0.0.1:{server.server_address[1]}"
    settings = StorageSettings(
        backend="gcs", bucket="b", gcs_emulator_host=host, retry_deadline_s=deadline_s
    )
    return GCSObjectStore.from_settings(settings)


def test_transient_errors_are_retried_within_the_deadline(
    failing_server: _FixedStatusServer,
) -> None:
    store = _store_on(failing_server, 503, deadline_s=2.5)
    started = time.monotonic()
    with pytest.raises(TransientStorageError, match="after the client's retries") as caught:
        store.head("k")
    assert failing_server.requests >= 2  # retried ...
    assert time.monotonic() - started < 10  # ... and bounded
    assert "secret-token-in-body" not in str(caught.value)


def test_rejected_credentials_fail_at_once_naming_the_variables(
    failing_server: _FixedStatusServer,
) -> None:
    store = _store_on(failing_server, 403, deadline_s=30)
    with pytest.raises(StorageError, match="GOOGLE_APPLICATION_CREDENTIALS") as caught:
        store.read_bytes("k")
    assert failing_server.requests == 1
    assert "secret-token-in-body" not in str(caught.value)


def test_the_dagster_storage_resource_opens_the_gcs_bucket(
    gcs_emulator: GCSTestEmulator, gcs_bucket: str
) -> None:
    # `DATASET_STORAGE_BACKEND=gcs` reaches the assets: their resource is the gcs store, never
    # a local directory
    from pixel_platform.defs.resources import storage_resource_from_settings
    from pixel_platform.storage.gcs import GCSObjectStore

    resource = storage_resource_from_settings(gcs_emulator.settings(gcs_bucket))
    store = resource.store()
    assert isinstance(store, GCSObjectStore)
    store.write_bytes("gdrive/raw/x/a.jsonl", b"{}\n")
    assert store.uri("gdrive/raw/x/a.jsonl") == f"gs://{gcs_bucket}/gdrive/raw/x/a.jsonl"
    assert [i.key for i in GCSObjectStore.from_settings(gcs_emulator.settings(gcs_bucket))
            .list("gdrive/")] == ["gdrive/raw/x/a.jsonl"]  # fmt: skip


def test_an_unknown_backend_in_the_resource_is_an_error() -> None:
    from pixel_platform.core.errors import ConfigError
    from pixel_platform.defs.resources import StorageResource

    with pytest.raises(ConfigError, match="unknown storage backend 'azure'"):
        StorageResource(backend="azure").store()

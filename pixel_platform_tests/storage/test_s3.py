"""``S3ObjectStore`` against a real S3-compatible server (SeaweedFS, see conftest)."""

from __future__ import annotations

import gzip
import io
import os
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from pixel_platform.core.errors import (
    ConfigError,
    ObjectNotFoundError,
    StorageError,
    TerminalError,
    TransientStorageError,
)
from pixel_platform.storage.base import ObjectInfo
from pixel_platform.storage.s3 import (
    S3Client,
    S3ObjectStore,
    build_s3_client,
    resolve_tls_verify,
    translate_error,
)
from pixel_platform.storage.settings import StorageSettings

if TYPE_CHECKING:
    from pixel_platform_tests.support import S3TestServer

MIB = 1024 * 1024


def _count_calls(client: S3Client, operation: str) -> list[str]:
    """Record every ``operation`` call the client makes (botocore's event hooks)."""
    calls: list[str] = []
    client.meta.events.register(
        f"before-call.s3.{operation}", lambda **kwargs: calls.append(operation)
    )
    return calls


@pytest.fixture
def uncached_store(s3_server: S3TestServer, s3_bucket: str) -> S3ObjectStore:
    return S3ObjectStore.from_settings(s3_server.settings(s3_bucket, cache_dir=None))


# -- basics ----------------------------------------------------------------------------------------
@pytest.mark.s3
def test_bucket_put_get_and_head(s3_store: S3ObjectStore, s3_client: S3Client) -> None:
    s3_store.write_bytes("raw/a.json", b'{"ok": true}')
    # Visible to any client: it really is on the server, not in some local layer.
    body = s3_client.get_object(Bucket=s3_store.bucket, Key="raw/a.json")["Body"].read()
    assert body == b'{"ok": true}'
    info = s3_store.head("raw/a.json")
    assert info is not None
    assert info.size == 12 and '"' not in info.etag
    assert info.last_modified.utcoffset() is not None
    assert s3_store.uri("raw/a.json") == f"s3://{s3_store.bucket}/raw/a.json"


@pytest.mark.s3
def test_failed_write_uploads_nothing(s3_store: S3ObjectStore) -> None:
    calls = _count_calls(s3_store.client, "PutObject")
    with pytest.raises(RuntimeError), s3_store.open_write("out.jsonl") as fh:
        fh.write(b"x" * 1000)
        raise RuntimeError("step failed")
    assert calls == []
    assert not s3_store.exists("out.jsonl")


# -- streaming reads -------------------------------------------------------------------------------
@pytest.mark.s3
def test_streaming_read_line_by_line(uncached_store: S3ObjectStore) -> None:
    lines = [f'{{"id": {i}, "text": "{"x" * (i % 50)}"}}\n' for i in range(5000)]
    uncached_store.write_bytes("data.jsonl", "".join(lines).encode())
    with uncached_store.open_read("data.jsonl") as fh:
        assert isinstance(fh, io.BufferedReader)  # a wrapper over the HTTP body, not bytes
        assert fh.readline().decode() == lines[0]
        text = io.TextIOWrapper(fh, encoding="utf-8")
        assert list(text) == lines[1:]


@pytest.mark.s3
def test_streaming_read_small_chunks_and_readinto(uncached_store: S3ObjectStore) -> None:
    data = os.urandom(3 * MIB + 11)
    uncached_store.write_bytes("blob", data)
    with uncached_store.open_read("blob") as fh:
        head = fh.read(10)
        buffer = bytearray(1000)
        n = fh.readinto(buffer)
        rest = fh.read()
    assert head + bytes(buffer[:n]) + rest == data


@pytest.mark.s3
@pytest.mark.parametrize("cached", [False, True], ids=["stream", "cache"])
def test_gzip_object_reads_through_gzipfile(
    s3_server: S3TestServer, s3_bucket: str, tmp_path: Path, cached: bool
) -> None:
    cache_dir = tmp_path / "cache" if cached else None
    store = S3ObjectStore.from_settings(s3_server.settings(s3_bucket, cache_dir=cache_dir))
    lines = [f'{{"i": {i}}}\n'.encode() for i in range(20_000)]
    with store.open_write("x.jsonl.gz") as fh, gzip.GzipFile(fileobj=fh, mode="wb") as gz:
        gz.writelines(lines)
    with store.open_read("x.jsonl.gz") as fh, gzip.GzipFile(fileobj=fh) as gz:
        assert list(gz) == lines


# -- large writes and long listings ----------------------------------------------------------------
@pytest.mark.s3
def test_large_write_goes_multipart(s3_server: S3TestServer, s3_bucket: str) -> None:
    settings = s3_server.settings(
        s3_bucket, multipart_threshold_bytes=5 * MIB, multipart_chunk_bytes=5 * MIB
    )
    store = S3ObjectStore.from_settings(settings)
    block = os.urandom(MIB)
    with store.open_write("big.bin") as fh:
        for _ in range(12):
            fh.write(block)
    info = store.head("big.bin")
    assert info is not None
    assert info.size == 12 * MIB
    assert info.etag.endswith("-3")  # three 5 MiB-or-less parts
    with store.open_read("big.bin") as fh:
        assert fh.read(MIB) == block


@pytest.mark.s3
def test_small_write_is_a_single_put(s3_store: S3ObjectStore) -> None:
    s3_store.write_bytes("small", b"x" * 1000)
    info = s3_store.head("small")
    assert info is not None and "-" not in info.etag


@pytest.mark.s3
def test_list_paginates_past_1000_keys(s3_store: S3ObjectStore) -> None:
    keys = [f"many/{i:05d}.json" for i in range(1100)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda key: s3_store.write_bytes(key, b"{}"), keys))
    s3_store.write_bytes("other/x", b"")
    pages = _count_calls(s3_store.client, "ListObjectsV2")
    listed = [info.key for info in s3_store.list("many/")]
    assert listed == keys
    assert len(pages) >= 2


# -- the read cache --------------------------------------------------------------------------------
@pytest.mark.s3
def test_second_read_is_served_from_the_cache(s3_store: S3ObjectStore, tmp_path: Path) -> None:
    s3_store.write_bytes("c.jsonl", b"one\n")
    gets = _count_calls(s3_store.client, "GetObject")
    assert s3_store.read_bytes("c.jsonl") == b"one\n"
    assert s3_store.read_bytes("c.jsonl") == b"one\n"
    assert len(gets) == 1
    cached = [p for p in (tmp_path / "s3-cache").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in cached] == [b"one\n"]


@pytest.mark.s3
def test_overwritten_object_misses_the_cache(s3_store: S3ObjectStore, tmp_path: Path) -> None:
    s3_store.write_bytes("c.jsonl", b"one\n")
    assert s3_store.read_bytes("c.jsonl") == b"one\n"
    s3_store.write_bytes("c.jsonl", b"two\n")  # same size: only the ETag tells them apart
    gets = _count_calls(s3_store.client, "GetObject")
    assert s3_store.read_bytes("c.jsonl") == b"two\n"
    assert len(gets) == 1
    cached = [p for p in (tmp_path / "s3-cache").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in cached] == [b"two\n"]  # the old version was evicted


@pytest.mark.s3
def test_object_replaced_between_head_and_get_is_read_fresh(
    s3_store: S3ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3_store.write_bytes("c", b"old")
    stale = s3_store.head("c")
    s3_store.write_bytes("c", b"new")
    real_head = s3_store.head
    answers: list[ObjectInfo | None] = [stale]
    # The first HEAD sees the old version, as if the rewrite landed right after it.
    monkeypatch.setattr(s3_store, "head", lambda key: answers.pop() if answers else real_head(key))
    assert s3_store.read_bytes("c") == b"new"


@pytest.mark.s3
@pytest.mark.parametrize("store_fixture", ["s3_store", "uncached_store"])
def test_read_of_a_missing_object(request: pytest.FixtureRequest, store_fixture: str) -> None:
    store = request.getfixturevalue(store_fixture)
    with pytest.raises(ObjectNotFoundError, match="nope"):
        store.read_bytes("nope")


# -- errors ------------------------------------------------------------------------------------
@pytest.fixture(params=["wrong-key-id", "wrong-secret"])
def bad_credentials(request: pytest.FixtureRequest, s3_server: S3TestServer) -> tuple[str, str]:
    if request.param == "wrong-key-id":
        return "AKIAWRONGKEYID0001", s3_server.secret_key
    return s3_server.access_key, "wrong-secret-value-0123456789"


def _assert_no_secrets(exc: BaseException, *secrets: str) -> None:
    rendered = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    for text in rendered:
        for secret in secrets:
            assert secret not in text


@pytest.mark.s3
@pytest.mark.parametrize("operation", ["list", "read", "write", "head"])
def test_rejected_credentials_are_a_clear_terminal_error(
    s3_server: S3TestServer,
    s3_bucket: str,
    tmp_path: Path,
    bad_credentials: tuple[str, str],
    operation: str,
) -> None:
    access_key, secret_key = bad_credentials
    settings = s3_server.settings(
        s3_bucket, access_key=access_key, secret_key=secret_key, cache_dir=tmp_path / "c"
    )
    store = S3ObjectStore.from_settings(settings)
    actions = {
        "list": lambda: list(store.list()),
        "read": lambda: store.read_bytes("k"),
        "write": lambda: store.write_bytes("k", b"x"),
        "head": lambda: store.head("k"),
    }
    with pytest.raises(StorageError) as info:
        actions[operation]()
    message = str(info.value)
    assert "rejected the credentials" in message
    assert "OVH_S3_ACCESS_KEY" in message and "AWS_ACCESS_KEY_ID" in message
    assert isinstance(info.value, TerminalError)
    _assert_no_secrets(info.value, access_key, secret_key, s3_server.secret_key)
    assert access_key not in repr(store) and secret_key not in repr(store)


@pytest.mark.s3
def test_missing_bucket_is_named(s3_server: S3TestServer, tmp_path: Path) -> None:
    for cache_dir in (None, tmp_path / "c"):
        store = S3ObjectStore.from_settings(
            s3_server.settings("pixel-no-such-bucket", cache_dir=cache_dir)
        )
        with pytest.raises(StorageError, match="'pixel-no-such-bucket' does not exist"):
            list(store.list())
        with pytest.raises(StorageError, match="'pixel-no-such-bucket' does not exist"):
            store.write_bytes("k", b"x")
        with pytest.raises(StorageError, match="'pixel-no-such-bucket' does not exist") as info:
            store.read_bytes("k")
        assert not isinstance(info.value, ObjectNotFoundError)
        assert s3_server.endpoint_url in str(info.value)


@pytest.mark.s3
def test_missing_bucket_on_a_multipart_upload(s3_server: S3TestServer, tmp_path: Path) -> None:
    # The managed transfer wraps the server's error in S3UploadFailedError; it is still mapped.
    settings = s3_server.settings("pixel-no-such-bucket", multipart_threshold_bytes=5 * MIB)
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (6 * MIB))
    with pytest.raises(StorageError, match="'pixel-no-such-bucket' does not exist"):
        S3ObjectStore.from_settings(settings).upload_file(big, "big.bin")


def test_unreachable_endpoint_is_transient(unused_port: int) -> None:
    settings = StorageSettings(
        backend="s3",
        bucket="b",
        endpoint_url=f"http://127.0.0.1:{unused_port}",
        access_key="AKIAUNREACHABLE",
        secret_key="unreachable-secret",
        max_attempts=2,
        connect_timeout_s=1,
        cache_dir=None,
    )
    store = S3ObjectStore.from_settings(settings)
    with pytest.raises(TransientStorageError, match=str(unused_port)) as info:
        list(store.list())
    _assert_no_secrets(info.value, "AKIAUNREACHABLE", "unreachable-secret")


@pytest.fixture
def unused_port() -> Iterator[int]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]  # bound but not listening: connections are refused


def _client_error(code: str, status: int, message: str = "msg") -> ClientError:
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "GetObject")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (_client_error("SlowDown", 503), TransientStorageError),
        (_client_error("InternalError", 500), TransientStorageError),
        (_client_error("Weird", 502), TransientStorageError),
        (_client_error("TooManyRequestsException", 429), TransientStorageError),
        (EndpointConnectionError(endpoint_url="http://x"), TransientStorageError),
        (_client_error("NoSuchKey", 404), ObjectNotFoundError),
        (_client_error("404", 404), ObjectNotFoundError),
        (_client_error("NoSuchBucket", 404), StorageError),
        (_client_error("AccessDenied", 403), StorageError),
        (_client_error("InvalidArgument", 400), StorageError),
    ],
)
def test_translate_error_classifies(exc: Exception, expected: type[Exception]) -> None:
    translated = translate_error(exc, action="read", bucket="b", key="k", endpoint="http://x")
    assert type(translated) is expected


def test_server_messages_are_not_copied_into_errors() -> None:
    # Some servers echo the access key id in the message of InvalidAccessKeyId.
    exc = _client_error("InvalidAccessKeyId", 403, "The key AKIAECHOED0001 does not exist")
    translated = translate_error(exc, action="list", bucket="b", key=None, endpoint="http://x")
    assert "AKIAECHOED0001" not in str(translated)
    assert "InvalidAccessKeyId" in str(translated)


# -- client construction ------------------------------------------------------------------------
@pytest.mark.s3
@pytest.mark.parametrize("bundle", ["/nonexistent/ca.pem", ""])
def test_ca_bundle_env_does_not_break_plain_http(
    s3_server: S3TestServer, s3_bucket: str, monkeypatch: pytest.MonkeyPatch, bundle: str
) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", bundle)
    store = S3ObjectStore.from_settings(s3_server.settings(s3_bucket))
    store.write_bytes("k", b"v")
    assert store.read_bytes("k") == b"v"


def test_tls_verification_stays_on_and_honours_the_env_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    https = StorageSettings(backend="s3", bucket="b", endpoint_url="https://s3.example.com")
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    assert resolve_tls_verify(https) is True
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("AWS_CA_BUNDLE", str(bundle))
    assert resolve_tls_verify(https) == str(bundle)
    monkeypatch.setenv("AWS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigError, match="AWS_CA_BUNDLE"):
        resolve_tls_verify(https)


def test_client_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    settings = StorageSettings(
        backend="s3",
        bucket="b",
        endpoint_url="http://127.0.0.1:1",
        region="gra",
        access_key="AKIAX",
        secret_key="sekrit",
        max_attempts=7,
        connect_timeout_s=3,
        read_timeout_s=9,
    )
    client = build_s3_client(settings)
    config = client.meta.config
    assert config.retries == {"total_max_attempts": 7, "mode": "standard"}  # 7 tries in all
    assert (config.connect_timeout, config.read_timeout) == (3, 9)
    assert config.s3 == {"addressing_style": "path"}
    assert client.meta.region_name == "gra"
    assert "sekrit" not in repr(client)

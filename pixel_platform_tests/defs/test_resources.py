"""``StorageResource``: the Dagster path builds its store with the core's one factory, so the
retry settings a CLI store gets apply to the assets too."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import IncompleteReadError

from pixel_platform.core.errors import TransientStorageError
from pixel_platform.defs.resources import StorageResource
from pixel_platform.storage.factory import open_store
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.storage.s3 import S3ObjectStore


@pytest.fixture
def no_ca_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def s3_resource(max_attempts: int) -> StorageResource:
    return StorageResource(
        backend="s3",
        bucket="pixel-test",
        endpoint_url="http://127.0.0.1:9",  # building a client does not connect
        access_key_id="AKIATESTKEY",
        secret_access_key="test-secret",
        max_attempts=max_attempts,
        cache_dir=None,
    )


@pytest.mark.usefixtures("no_ca_bundle")
def test_the_resources_s3_store_carries_the_configured_retries() -> None:
    resource = s3_resource(max_attempts=7)
    store = resource.store()
    assert isinstance(store, S3ObjectStore)
    assert store._body_attempts == 7  # resumed body reads, not only botocore's request retries
    config = store.client.meta.config
    assert config.retries == {"total_max_attempts": 7, "mode": "standard"}
    assert (config.connect_timeout, config.read_timeout) == (10.0, 60.0)
    assert store.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert resource.store() is store  # built once per resource

    # The same store as the CLI's factory builds from the same settings.
    cli_store = open_store(resource.settings())
    assert isinstance(cli_store, S3ObjectStore)
    assert cli_store._body_attempts == store._body_attempts
    assert cli_store.client.meta.config.retries == config.retries
    assert cli_store._transfer_config.multipart_threshold == (
        store._transfer_config.multipart_threshold
    )
    assert cli_store._cache is None and store._cache is None


class _BrokenBody:
    """A GET body whose connection drops before its first byte."""

    def read(self, amount: int) -> bytes:
        raise IncompleteReadError(actual_bytes=0, expected_bytes=3)

    def close(self) -> None:
        pass


@pytest.mark.usefixtures("no_ca_bundle")
def test_a_broken_body_is_resumed_up_to_the_configured_attempts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = s3_resource(max_attempts=4).store()
    assert isinstance(store, S3ObjectStore)
    gets: list[dict[str, Any]] = []

    def get_object(**kwargs: Any) -> dict[str, Any]:
        gets.append(kwargs)
        return {"Body": _BrokenBody(), "ContentLength": 3, "ETag": '"etag"'}

    monkeypatch.setattr(store.client, "get_object", get_object)
    monkeypatch.setattr("pixel_platform.storage.s3.time.sleep", lambda _s: None)
    with pytest.raises(TransientStorageError), store.open_read("a.jsonl") as fh:
        fh.read()
    assert len(gets) == 4  # the first GET, then three ranged resumes
    assert all(g.get("Range") == "bytes=0-" for g in gets[1:])


def test_the_local_resource_uses_the_factory_too(tmp_path: Any) -> None:
    store = StorageResource(backend="local", local_path=str(tmp_path / "bucket")).store()
    assert isinstance(store, LocalObjectStore)
    assert store.root == (tmp_path / "bucket").resolve()

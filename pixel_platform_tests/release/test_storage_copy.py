"""``ObjectStore.copy``: local file copy, S3 server-side copy, and the default read/write."""

from __future__ import annotations

import pytest

from pixel_platform.core.errors import ObjectNotFoundError
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.local import LocalObjectStore


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest) -> ObjectStore:
    return request.getfixturevalue(f"{request.param}_store")


def test_copy_creates_an_identical_object(store: ObjectStore) -> None:
    store.write_bytes("a/src.jsonl", b'{"x": 1}\n' * 100)
    info = store.copy("a/src.jsonl", "b/dst.jsonl")
    assert info.key == "b/dst.jsonl" and info.size == 900
    assert store.read_bytes("b/dst.jsonl") == store.read_bytes("a/src.jsonl")
    store.write_bytes("b/dst.jsonl", b"new")  # the copy is an object of its own
    assert store.read_bytes("a/src.jsonl") == b'{"x": 1}\n' * 100


def test_copy_of_a_missing_object_fails_and_writes_nothing(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFoundError):
        store.copy("missing", "dst")
    assert store.head("dst") is None


def test_base_class_default_copy_streams(local_store: LocalObjectStore) -> None:
    local_store.write_bytes("src", b"payload")
    info = ObjectStore.copy(local_store, "src", "dst")
    assert info.size == 7 and local_store.read_bytes("dst") == b"payload"

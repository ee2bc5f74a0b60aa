"""The ``ObjectStore`` contract, run against every backend with the same assertions."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixel_platform.core.errors import ObjectNotFoundError
from pixel_platform.storage.base import ObjectStore


@pytest.fixture(
    params=[
        "local",
        pytest.param("s3", marks=pytest.mark.s3),
        pytest.param("gcs", marks=pytest.mark.gcs),
    ]
)
def store(request: pytest.FixtureRequest) -> ObjectStore:
    return request.getfixturevalue(f"{request.param}_store")


def test_round_trip(store: ObjectStore) -> None:
    store.write_bytes("raw/src/part-0.jsonl", b'{"a": 1}\n{"a": 2}\n')
    assert store.read_bytes("raw/src/part-0.jsonl") == b'{"a": 1}\n{"a": 2}\n'
    info = store.head("raw/src/part-0.jsonl")
    assert info is not None and info.size == 18
    assert store.exists("raw/src/part-0.jsonl")


def test_list_is_in_key_order_with_prefix(store: ObjectStore) -> None:
    keys = ["a0", "a/b/c", "a-c", "a/a", "b", "A", "a/b0", "ä"]
    for key in keys:
        store.write_bytes(key, b".")
    assert [info.key for info in store.list()] == sorted(keys)
    assert [info.key for info in store.list("a/")] == ["a/a", "a/b/c", "a/b0"]
    assert [info.key for info in store.list("a/b")] == ["a/b/c", "a/b0"]


def test_etag_changes_on_rewrite(store: ObjectStore) -> None:
    store.write_bytes("k", b"aaaa")
    first = store.head("k")
    store.write_bytes("k", b"bbbb")
    second = store.head("k")
    assert first is not None and second is not None
    assert first.etag != second.etag
    assert [info.etag for info in store.list("k")] == [second.etag]


def test_failed_write_publishes_nothing(store: ObjectStore) -> None:
    with pytest.raises(ValueError), store.open_write("out/x") as fh:
        fh.write(b"partial")
        raise ValueError("step failed")
    assert store.head("out/x") is None
    assert list(store.list()) == []


def test_missing_object(store: ObjectStore) -> None:
    assert store.head("nope") is None
    with pytest.raises(ObjectNotFoundError, match="nope"):
        store.read_bytes("nope")
    store.delete("nope")  # not an error


def test_upload_file_and_delete_prefix(store: ObjectStore, tmp_path: Path) -> None:
    src = tmp_path / "f.bin"
    src.write_bytes(b"x" * 1000)
    info = store.upload_file(src, "up/f.bin")
    assert (info.key, info.size) == ("up/f.bin", 1000)
    store.write_bytes("up/g.bin", b"y")
    store.write_bytes("keep", b"z")
    assert store.delete_prefix("up/") == 2
    assert [i.key for i in store.list()] == ["keep"]

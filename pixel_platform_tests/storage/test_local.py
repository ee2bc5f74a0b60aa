"""``LocalObjectStore``: files under a root, atomic writes, key order, cheap ETags."""

from __future__ import annotations

import gzip
import os
from datetime import UTC
from pathlib import Path

import pytest

from pixel_platform.core.errors import InvalidKeyError, ObjectNotFoundError, StorageError
from pixel_platform.storage.local import TEMP_PREFIX, LocalObjectStore


def _all_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_round_trip_and_uri_is_the_file_path(local_store: LocalObjectStore) -> None:
    local_store.write_bytes("raw/a.jsonl", b'{"x": 1}\n')
    assert local_store.read_bytes("raw/a.jsonl") == b'{"x": 1}\n'
    path = Path(local_store.uri("raw/a.jsonl"))
    assert path.is_absolute()
    assert path.read_bytes() == b'{"x": 1}\n'


def test_exception_inside_open_write_leaves_nothing(local_store: LocalObjectStore) -> None:
    with (
        pytest.raises(RuntimeError, match="boom"),
        local_store.open_write("out/part-0.jsonl") as fh,
    ):
        fh.write(b"half a record")
        raise RuntimeError("boom")
    assert not local_store.exists("out/part-0.jsonl")
    assert _all_files(local_store.root) == []  # the temp file is gone too


def test_failed_rewrite_keeps_the_previous_version(local_store: LocalObjectStore) -> None:
    local_store.write_bytes("k", b"old")
    with pytest.raises(RuntimeError), local_store.open_write("k") as fh:
        fh.write(b"new but unfinished")
        raise RuntimeError("interrupted")
    assert local_store.read_bytes("k") == b"old"


def test_readers_never_see_a_half_written_object(local_store: LocalObjectStore) -> None:
    with local_store.open_write("k") as fh:
        fh.write(b"partial")
        fh.flush()
        assert not local_store.exists("k")
        assert list(local_store.list()) == []  # in-progress temp files are not listed
    assert local_store.read_bytes("k") == b"partial"


def test_stray_temp_files_are_not_listed(local_store: LocalObjectStore) -> None:
    local_store.write_bytes("a/b", b"1")
    (local_store.root / "a" / f"{TEMP_PREFIX}crashed-writer").write_bytes(b"junk")
    assert [info.key for info in local_store.list()] == ["a/b"]


def test_temp_prefix_is_reserved(local_store: LocalObjectStore) -> None:
    with pytest.raises(InvalidKeyError, match="reserved"):
        local_store.write_bytes(f"a/{TEMP_PREFIX}x", b"1")


def test_list_is_in_key_order_across_directories(local_store: LocalObjectStore) -> None:
    # "a-c" < "a/b" < "a0" in byte order; a naive directory walk would put "a/..." first or last.
    keys = ["a0", "a/b/c", "a-c", "a/a", "b", "A", "a/b0"]
    for key in keys:
        local_store.write_bytes(key, key.encode())
    assert [info.key for info in local_store.list()] == sorted(keys)


def test_file_directory_conflicts_are_clear_errors(local_store: LocalObjectStore) -> None:
    # S3 allows both "a" and "a/b"; a filesystem cannot, so say so instead of a raw OSError.
    local_store.write_bytes("a/b", b"1")
    with pytest.raises(StorageError, match="'a'"):
        local_store.write_bytes("a", b"2")
    with pytest.raises(StorageError, match="'a/b/c'"):
        local_store.write_bytes("a/b/c", b"3")
    assert [info.key for info in local_store.list()] == ["a/b"]
    assert _all_files(local_store.root) == ["a/b"]


def test_list_filters_by_prefix(local_store: LocalObjectStore) -> None:
    for key in ["raw/x/1", "raw/x/2", "raw/xy", "raw/y/1", "rawz", "clean/1"]:
        local_store.write_bytes(key, b".")
    assert [i.key for i in local_store.list("raw/x")] == ["raw/x/1", "raw/x/2", "raw/xy"]
    assert [i.key for i in local_store.list("raw/x/")] == ["raw/x/1", "raw/x/2"]
    assert [i.key for i in local_store.list("raw")] == [
        "raw/x/1",
        "raw/x/2",
        "raw/xy",
        "raw/y/1",
        "rawz",
    ]
    assert list(local_store.list("nothing/")) == []


def test_list_of_a_missing_root_is_empty(tmp_path: Path) -> None:
    assert list(LocalObjectStore(tmp_path / "never-created").list()) == []


def test_object_info_fields(local_store: LocalObjectStore) -> None:
    local_store.write_bytes("k", b"12345")
    info = local_store.head("k")
    assert info is not None
    assert (info.key, info.size) == ("k", 5)
    assert info.last_modified.tzinfo == UTC
    assert len(info.etag) == 16 and int(info.etag, 16) >= 0
    assert list(local_store.list()) == [info]


def test_etag_changes_on_rewrite_even_with_the_same_size(local_store: LocalObjectStore) -> None:
    local_store.write_bytes("k", b"aaaa")
    first = local_store.head("k")
    local_store.write_bytes("k", b"bbbb")  # same size, likely the same mtime tick
    second = local_store.head("k")
    assert first is not None and second is not None
    assert first.etag != second.etag
    assert local_store.head("k") == second  # stable while unchanged


def test_open_read_of_a_missing_object_names_the_key(local_store: LocalObjectStore) -> None:
    with pytest.raises(ObjectNotFoundError, match="missing/key"):
        local_store.read_bytes("missing/key")
    assert local_store.head("missing/key") is None


def test_reads_stream_and_compose_with_gzip(local_store: LocalObjectStore) -> None:
    lines = [f'{{"i": {i}}}\n'.encode() for i in range(1000)]
    with local_store.open_write("x.jsonl.gz") as fh, gzip.GzipFile(fileobj=fh, mode="wb") as gz:
        gz.writelines(lines)
    with local_store.open_read("x.jsonl.gz") as fh, gzip.GzipFile(fileobj=fh) as gz:
        assert list(gz) == lines


def test_upload_file_copies_atomically(local_store: LocalObjectStore, tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(3 * 1024 * 1024 + 7))
    info = local_store.upload_file(src, "up/src.bin")
    assert info.size == src.stat().st_size
    assert local_store.read_bytes("up/src.bin") == src.read_bytes()


def test_delete_is_idempotent_and_prunes_empty_directories(local_store: LocalObjectStore) -> None:
    local_store.write_bytes("a/b/c", b"1")
    local_store.write_bytes("a/d", b"2")
    local_store.delete("a/b/c")
    local_store.delete("a/b/c")
    assert not (local_store.root / "a" / "b").exists()
    assert [i.key for i in local_store.list()] == ["a/d"]
    assert local_store.delete_prefix("a/") == 1
    assert local_store.root.is_dir()  # the root itself stays


@pytest.mark.parametrize("key", ["../escape", "/abs", "a/../../b", "a\\b", ""])
def test_unsafe_keys_never_touch_the_disk(local_store: LocalObjectStore, key: str) -> None:
    with pytest.raises(InvalidKeyError):
        local_store.write_bytes(key, b"x")
    with pytest.raises(InvalidKeyError):
        local_store.read_bytes(key)
    assert not local_store.root.exists() or _all_files(local_store.root) == []


def test_symlinks_cannot_lead_outside_the_root(
    local_store: LocalObjectStore, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    local_store.root.mkdir(parents=True)
    (local_store.root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidKeyError, match="outside"):
        local_store.write_bytes("link/file", b"x")
    assert list(outside.iterdir()) == []


def test_a_symlink_is_listed_and_described_but_never_read(
    local_store: LocalObjectStore, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not in the bucket")
    local_store.write_bytes("raw/a.jsonl", b"{}\n")
    local_store.write_bytes("raw/c.jsonl", b"{}\n")
    raw = local_store.root / "raw"
    (raw / "b.jsonl").symlink_to(outside)  # a file outside the root
    (raw / "inside.jsonl").symlink_to(raw / "a.jsonl")  # a file inside it: not followed either
    (raw / "dangling.jsonl").symlink_to(tmp_path / "nowhere")
    (raw / "loop").symlink_to(raw, target_is_directory=True)  # a directory: listed, not walked
    keys = [info.key for info in local_store.list("raw/")]
    assert keys == [
        "raw/a.jsonl",
        "raw/b.jsonl",
        "raw/c.jsonl",
        "raw/dangling.jsonl",
        "raw/inside.jsonl",
        "raw/loop",
    ]
    for key in keys[1:2] + keys[3:]:
        info = local_store.head(key)  # what list showed, without raising
        assert info is not None and info.size == os.lstat(local_store.root / key).st_size
        assert [i.etag for i in local_store.list(key) if i.key == key] == [info.etag]
        with pytest.raises(InvalidKeyError, match="symbolic link"):
            local_store.read_bytes(key)
    with pytest.raises(InvalidKeyError, match="symbolic link"):
        local_store.head("raw/loop/a.jsonl")
    with pytest.raises(InvalidKeyError, match="symbolic link"):
        local_store.read_bytes("raw/loop/a.jsonl")
    local_store.delete("raw/b.jsonl")  # the link goes, never what it points at
    assert outside.read_bytes() == b"not in the bucket"
    assert not (raw / "b.jsonl").is_symlink()


def test_delete_prefix_also_removes_what_killed_writers_left(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.write_bytes("exports/releases/v1/manifest.json", b"{}")
    store.write_bytes("exports/releases/v10/keep.json", b"{}")
    leftover = tmp_path / "exports/releases/v1/shards/.tmp-abc123"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half a shard")
    assert [i.key for i in store.list("exports/releases/v1/")] == [
        "exports/releases/v1/manifest.json"
    ]  # the listing never shows it
    assert store.delete_prefix("exports/releases/v1/") == 1
    assert not (tmp_path / "exports/releases/v1").exists()
    assert store.exists("exports/releases/v10/keep.json")

"""``ReadCache``: one file per (bucket, key, ETag), always under the cache root."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixel_platform.storage.cache import ReadCache, _safe


@pytest.mark.parametrize(
    "name", ["..", ".", "...", "a..b", "../x", "x/../..", "", "/", "..\\..", "bucket.name"]
)
def test_safe_names_are_one_plain_path_segment(name: str) -> None:
    safe = _safe(name)
    assert ".." not in safe
    assert safe not in ("", ".")
    assert "/" not in safe and "\\" not in safe


def test_plain_names_are_kept() -> None:
    assert _safe("pixel-bucket.v2") == "pixel-bucket.v2"
    assert _safe("0a1b2c-3") == "0a1b2c-3"


@pytest.mark.parametrize("bucket", ["..", ".", "../..", "a/../.."])
def test_no_bucket_or_etag_leaves_the_cache_root(tmp_path: Path, bucket: str) -> None:
    cache = ReadCache(tmp_path / "cache")
    path = cache.store(bucket, "k", "..", [b"data"])
    assert path.resolve().is_relative_to((tmp_path / "cache").resolve())
    assert path.parent.parent.parent.parent == tmp_path / "cache"
    assert cache.lookup(bucket, "k", "..") == path

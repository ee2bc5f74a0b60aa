"""``storage.locations``: the one parser of "local path or bucket URI", and the storage package's
imports running one way (settings <- backends <- factory)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pixel_platform.storage as storage_pkg
from pixel_platform.core.errors import ConfigError
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.storage.locations import (
    Location,
    is_remote,
    open_location,
    parse_location,
)
from pixel_platform.storage.s3 import S3ObjectStore


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "OVH_S3_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATASET_STORAGE_BACKEND", "local")  # a bucket URI overrides it
    monkeypatch.setenv("OVH_S3_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("OVH_S3_ACCESS_KEY", "AKIATEST")
    monkeypatch.setenv("OVH_S3_SECRET_KEY", "secret")
    monkeypatch.setenv("OVH_S3_BUCKET", "env-bucket")
    monkeypatch.setenv("PIXEL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("data/x.jsonl", Location("data/x.jsonl")),
        ("s3://b/a/k.jsonl", Location("s3://b/a/k.jsonl", "s3", "b", "a/k.jsonl")),
        ("s3://b", Location("s3://b", "s3", "b", "")),
        ("s3://b/p/", Location("s3://b/p/", "s3", "b", "p/")),
        ("gs://g/k", Location("gs://g/k", "gcs", "g", "k")),
    ],
)
def test_parse_location(text: str, expected: Location) -> None:
    assert parse_location(text) == expected
    assert is_remote(text) == expected.is_remote


def test_prefix_and_scheme() -> None:
    assert parse_location("s3://b//a/b//").prefix == "a/b/"
    assert parse_location("s3://b/").prefix == ""
    assert parse_location("s3://b/x").scheme == "s3://"
    assert parse_location("gs://b/x").scheme == "gs://"
    assert parse_location("x").scheme == ""


@pytest.mark.parametrize("text", ["s3://", "s3:///key", "gs://"])
def test_a_uri_without_a_bucket_is_an_error(text: str) -> None:
    with pytest.raises(ConfigError, match="names no bucket"):
        parse_location(text)


def test_open_location_on_s3_uses_the_named_bucket(s3_env: Path) -> None:
    store, key = open_location("s3://named/a/b.jsonl")
    assert isinstance(store, S3ObjectStore)
    assert (store.bucket, key) == ("named", "a/b.jsonl")
    assert store.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert store._cache is not None  # the environment's cache, as every CLI store
    store, prefix = open_location("s3://named/a/", directory=True)
    assert prefix == "a/"
    assert open_location("s3://named", directory=True)[1] == ""
    with pytest.raises(ConfigError, match="names a bucket but no object key"):
        open_location("s3://named/")


def test_open_location_on_a_local_path(tmp_path: Path) -> None:
    store, key = open_location(str(tmp_path / "out" / "f.jsonl"))
    assert isinstance(store, LocalObjectStore)
    assert (store.root, key) == ((tmp_path / "out").resolve(), "f.jsonl")
    store, prefix = open_location(str(tmp_path), directory=True)
    assert isinstance(store, LocalObjectStore)
    assert (store.root, prefix) == (tmp_path.resolve(), "")
    with pytest.raises(ConfigError, match="is not a directory"):
        open_location(str(tmp_path / "missing"), directory=True)


def test_open_location_on_gcs(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("google.cloud.storage", reason="the gcs extra is not installed")
    from pixel_platform.storage.gcs import GCSObjectStore

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9")
    store, key = open_location("gs://g/k.jsonl")
    assert isinstance(store, GCSObjectStore)
    assert store.uri(key) == "gs://g/k.jsonl"


# -- one-way imports ----------------------------------------------------------------------------
def _storage_imports(path: Path) -> set[str]:
    """The ``pixel_platform.storage`` modules ``path`` imports, at any level."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "pixel_platform.storage."
        ):
            found.add(str(node.module).rsplit(".", 1)[1])
    return found


def test_storage_modules_import_one_way() -> None:
    root = Path(storage_pkg.__file__).parent
    graph = {p.stem: _storage_imports(p) for p in root.glob("*.py") if p.stem != "__init__"}
    assert not graph["settings"] & {"s3", "gcs", "local", "factory", "locations"}
    for backend in ("s3", "gcs", "local"):
        assert "factory" not in graph[backend] and "locations" not in graph[backend]

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join((*path, module))}"
        for dep in graph.get(module, ()):
            visit(dep, (*path, module))

    for module in graph:
        visit(module, ())

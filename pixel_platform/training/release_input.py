"""A release opened for training: the manifest is loaded and checked before anything else.

``open_release`` refuses a release whose gates did not all pass, or whose manifest's sha256 is not
the one a training spec pinned. ``VerifiedRelease.fetch(path)`` then hands out a local copy of a
file only after its sha256 and size match the manifest entry (a file the manifest does not list
is refused too), so a trainer never reads a byte the release did not vouch for. A local release is
read in place; an ``s3://`` one is copied into a cache directory while being hashed.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from pixel_platform.core.errors import TerminalError
from pixel_platform.release.layout import MANIFEST, STAGE_ORDER, key_in
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.storage.locations import is_remote, parse_location

CHUNK = 1024 * 1024


class ReleaseIntegrityError(TerminalError):
    """The release is not one to train on: gates failed, a pin or a file hash does not match."""


def sha256_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def store_for(location: str) -> tuple[ObjectStore, str]:
    """The store and key prefix of a local directory or an ``s3://bucket/prefix`` URI."""
    parsed = parse_location(location)
    if parsed.is_remote:
        return parsed.bucket_store(), parsed.prefix
    return LocalObjectStore(Path(location)), ""


@dataclass
class VerifiedRelease:
    location: str
    store: ObjectStore
    prefix: str
    manifest: dict[str, Any]
    manifest_sha256: str
    cache_dir: Path | None  # None: a local release, files are read in place
    _fetched: dict[str, Path] = field(default_factory=dict, repr=False)

    @property
    def version(self) -> str:
        return str(self.manifest.get("version"))

    @property
    def files(self) -> dict[str, dict[str, Any]]:
        return {str(e["path"]): e for e in self.manifest.get("files") or []}

    def lists(self, path: str) -> bool:
        return path in self.files

    def fetch(self, path: str) -> Path:
        """A local path of ``path`` whose bytes match the manifest (checked once per file)."""
        if path in self._fetched:
            return self._fetched[path]
        entry = self.files.get(path)
        if entry is None:
            raise ReleaseIntegrityError(
                f"{self.location}: {path} is not listed in manifest.json; refusing to read it"
            )
        key = key_in(self.prefix, path)
        if self.store.head(key) is None:
            raise ReleaseIntegrityError(
                f"{self.location}: {path} is listed in the manifest but missing"
            )
        digest = hashlib.sha256()
        size = 0
        if self.cache_dir is None:
            assert isinstance(self.store, LocalObjectStore)
            local = self.store.root / key
            with open(local, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        else:
            local = self.cache_dir / path
            local.parent.mkdir(parents=True, exist_ok=True)
            # Several ranks may fetch at once: each writes its own temp file, then renames.
            tmp = local.with_name(f".{local.name}.{os.getpid()}.tmp")
            with self.store.open_read(key) as src, open(tmp, "wb") as dst:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    dst.write(chunk)
        actual = "sha256:" + digest.hexdigest()
        if actual != entry.get("sha256") or size != entry.get("bytes"):
            if self.cache_dir is not None:
                tmp.unlink(missing_ok=True)
            raise ReleaseIntegrityError(
                f"{self.location}: {path} does not match manifest.json (sha256 {actual[:19]}… vs "
                f"{str(entry.get('sha256'))[:19]}…, {size} vs {entry.get('bytes')} bytes); the "
                "release was modified after publishing — rebuild it or train on another version"
            )
        if self.cache_dir is not None:
            os.replace(tmp, local)
        self._fetched[path] = local
        return local

    def read_json(self, path: str) -> Any:
        return orjson.loads(self.fetch(path).read_bytes())

    def stage_order(self) -> dict[str, Any]:
        data = self.read_json(STAGE_ORDER)
        if not isinstance(data, dict) or not isinstance(data.get("stages"), list):
            raise ReleaseIntegrityError(f"{self.location}: {STAGE_ORDER} has no stage list")
        return data


def open_release(
    location: str,
    cache_dir: str | Path | None = None,
    *,
    expected_manifest_sha256: str | None = None,
    store: ObjectStore | None = None,
    prefix: str = "",
) -> VerifiedRelease:
    """Load and check a release's manifest; see the module docstring.

    ``location`` is a local release directory or an ``s3://`` URI; tests may pass ``store`` and
    ``prefix`` instead (``location`` is then only used in messages). Remote files are cached
    under ``cache_dir/<version>/``.
    """
    if not location and store is None:
        raise TerminalError("no release given: set `release` (a directory or s3:// URI)")
    if store is None:
        if not is_remote(location) and not Path(location).is_dir():
            raise TerminalError(f"release {location!r} is not a directory")
        store, prefix = store_for(location)
    key = key_in(prefix, MANIFEST)
    if store.head(key) is None:
        raise ReleaseIntegrityError(
            f"{location}: no manifest.json, so this is not a published release"
        )
    raw = store.read_bytes(key)
    manifest_sha = sha256_bytes(raw)
    if expected_manifest_sha256 and manifest_sha != expected_manifest_sha256:
        raise ReleaseIntegrityError(
            f"{location}: manifest.json is {manifest_sha}, the training spec expects "
            f"{expected_manifest_sha256}"
        )
    try:
        manifest = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ReleaseIntegrityError(f"{location}: manifest.json is not valid JSON") from None
    gates = manifest.get("gates") if isinstance(manifest, dict) else None
    if not isinstance(gates, dict) or gates.get("passed") is not True:
        failed = [
            str(r.get("name"))
            for r in (gates or {}).get("results") or []
            if isinstance(r, dict) and not r.get("passed")
        ]
        detail = f" (failed: {', '.join(failed)})" if failed else ""
        raise ReleaseIntegrityError(
            f"{location}: release {manifest.get('version')!r} did not pass its gates{detail}; "
            "only releases whose gates all passed can be trained on"
        )
    local_release = isinstance(store, LocalObjectStore)  # read in place, no copy
    if not local_release and cache_dir is None:
        raise TerminalError("reading a remote release needs a cache directory")
    cache = None if local_release else Path(cache_dir) / str(manifest.get("version"))  # type: ignore[arg-type]
    return VerifiedRelease(location, store, prefix, manifest, manifest_sha, cache)

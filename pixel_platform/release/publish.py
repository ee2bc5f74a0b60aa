"""Releases in the bucket: listing, publishing, and the LATEST pointer.

A release exists only if ``<releases>/<version>/manifest.json`` exists, and publishing copies
every other file first and the manifest last. A build killed at any point therefore leaves either
staging files or a version folder without a manifest; ``ownership.clean_abandoned`` removes them
once the build is known dead, and ``ownership.claim_version`` keeps two builds out of one version.

Published versions are never written again: a build whose version is taken takes the next
suffix (``v2025-12-29``, ``v2025-12-29-2``, ...). ``LATEST`` never moves backwards: a build that
finishes after a newer version was published leaves the pointer (and ``final_dataset/``) alone.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from pixel_platform.core.errors import ObjectNotFoundError
from pixel_platform.release.layout import (
    COMPILED,
    LATEST,
    MANIFEST,
    RELEASES_PREFIX,
    SHARD_PATH,
    SIGNATURE,
    key_in,
    prefix_of,
    version_sort_key,
)
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.local import LocalObjectStore

log = logging.getLogger(__name__)


def _top_level(store: ObjectStore, prefix: str) -> dict[str, set[str]]:
    """name -> paths below it, for every folder directly under ``prefix``."""
    found: dict[str, set[str]] = {}
    for info in store.list(prefix):
        rest = info.key[len(prefix) :]
        if "/" in rest:
            name, path = rest.split("/", 1)
            found.setdefault(name, set()).add(path)
    return found


def stored_paths(store: ObjectStore, prefix: str) -> frozenset[str]:
    """Every file under ``prefix`` (relative to it) as the medium holds it, including what the
    store's listing hides: a local store never lists its writers' ``.tmp-*`` files (S3 lists
    every key), so a local prefix is walked on disk. A linked folder counts as one entry."""
    if not isinstance(store, LocalObjectStore):
        return frozenset(info.key[len(prefix) :] for info in store.list(prefix))
    base = store.root / prefix if prefix else store.root
    found = set()
    for directory, subdirs, files in os.walk(base):
        linked = [d for d in subdirs if os.path.islink(os.path.join(directory, d))]
        for name in [*files, *linked]:
            found.add(os.path.relpath(os.path.join(directory, name), base).replace(os.sep, "/"))
    return frozenset(found)


def list_releases(
    store: ObjectStore, releases_prefix: str = RELEASES_PREFIX, *, only_passed: bool = False
) -> list[str]:
    """Published versions (those with a manifest), oldest first; ``only_passed`` keeps those
    whose gates all passed (a build publishes a failed version too, marked so, for inspection)."""
    found = _top_level(store, releases_prefix)
    versions = [name for name, paths in found.items() if MANIFEST in paths]
    versions.sort(key=version_sort_key)
    if only_passed:
        versions = [
            v
            for v in versions
            if (load_manifest(store, v, releases_prefix).get("gates") or {}).get("passed") is True
        ]
    return versions


def load_manifest(
    store: ObjectStore, version: str, releases_prefix: str = RELEASES_PREFIX
) -> dict[str, Any]:
    key = key_in(prefix_of(releases_prefix, version), MANIFEST)
    if store.head(key) is None:
        raise ObjectNotFoundError(f"release {version!r} has no manifest at {store.uri(key)}")
    manifest: dict[str, Any] = orjson.loads(store.read_bytes(key))
    return manifest


def read_latest(store: ObjectStore, releases_prefix: str = RELEASES_PREFIX) -> str | None:
    key = key_in(releases_prefix, LATEST)
    if store.head(key) is None:
        return None
    return str(orjson.loads(store.read_bytes(key)).get("version"))


def is_newest(store: ObjectStore, version: str, releases_prefix: str = RELEASES_PREFIX) -> bool:
    """True unless ``LATEST`` already points at a later version than ``version``."""
    current = read_latest(store, releases_prefix)
    return current is None or version_sort_key(version) >= version_sort_key(current)


def copy_release(
    store: ObjectStore,
    source_prefix: str,
    target_prefix: str,
    paths: Iterable[str],
    hook: Callable[[str], None] | None = None,
) -> None:
    """Copy ``paths`` and then the manifest: the target becomes a release in its last write
    (a signature among ``paths`` is there before it)."""
    if store.head(key_in(target_prefix, MANIFEST)) is not None:
        raise FileExistsError(f"{store.uri(target_prefix)} is already a release; never rewritten")
    for path in sorted(set(paths) - {MANIFEST}):
        store.copy(key_in(source_prefix, path), key_in(target_prefix, path))
    if hook is not None:
        hook("publishing")
    store.copy(key_in(source_prefix, MANIFEST), key_in(target_prefix, MANIFEST))


def update_canonical(
    store: ObjectStore, release_prefix: str, final_prefix: str, paths: Iterable[str]
) -> None:
    """Make ``final_dataset/`` a copy of the release's manifest (and its signature, when
    ``paths`` has one), compiled file and shards.

    Its manifest goes first and comes back last, so a reader never takes a half-updated copy for
    a complete one (a killed update leaves no manifest, like a killed publish)."""
    wanted = sorted(p for p in paths if p in {COMPILED, SIGNATURE} or SHARD_PATH.match(p))
    store.delete(key_in(final_prefix, MANIFEST))
    for path in wanted:
        store.copy(key_in(release_prefix, path), key_in(final_prefix, path))
    keep = set(wanted)
    for info in list(store.list(final_prefix)):
        path = info.key[len(final_prefix) :]
        if path not in keep:
            store.delete(info.key)
    store.copy(key_in(release_prefix, MANIFEST), key_in(final_prefix, MANIFEST))


def write_latest(store: ObjectStore, releases_prefix: str, version: str, published_at: str) -> None:
    pointer = {
        "version": version,
        "manifest": key_in(prefix_of(releases_prefix, version), MANIFEST),
        "published_at": published_at,
    }
    store.write_bytes(key_in(releases_prefix, LATEST), orjson.dumps(pointer) + b"\n")

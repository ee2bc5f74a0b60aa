"""What the release caches (``input_cache``, ``scan_cache``) share: where an entry lives, which
entries a build used, pruning the rest, and the hash of the code their entries depend on."""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from pathlib import Path

from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.keys import join_key

log = logging.getLogger(__name__)

_PACKAGE = Path(__file__).resolve().parents[1]
_SOURCE_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".txt")


@lru_cache(maxsize=1)
def code_hash() -> str:
    """sha256 over the package's source and data files (the sample bucket aside)."""
    h = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*")):
        relative = path.relative_to(_PACKAGE).as_posix()
        if path.is_file() and path.suffix in _SOURCE_SUFFIXES and "sample_data/" not in relative:
            h.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


class BuildCache:
    """Entries of one context (``key``: a hash of what they depend on) under ``prefix``, named
    by what they are of; ``used`` holds the entries this build read or wrote."""

    WHAT = "build cache"
    SUFFIX = ""

    def __init__(self, store: ObjectStore, prefix: str, key: str) -> None:
        self.store, self.prefix, self.key = store, prefix, key
        self.used: set[str] = set()
        self.hits = 0

    def entry_key(self, *of: str) -> str:
        name = hashlib.sha256("\0".join(of).encode()).hexdigest()[:40]
        return join_key(self.prefix, self.key, name + self.SUFFIX)

    def prune(self) -> int:
        """Remove every entry this build did not use or write (best effort); returns how many.
        The cache stays the size of one build's entries."""
        removed = 0
        try:
            for info in list(self.store.list(self.prefix)):
                if info.key not in self.used:
                    self.store.delete(info.key)
                    removed += 1
        except Exception as exc:
            log.warning("could not prune the %s (%s)", self.WHAT, type(exc).__name__)
        return removed

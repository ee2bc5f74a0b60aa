"""``ReleaseView``: a release (or a staged build) read back through the ObjectStore.

Gates see a release only through this view, so they work the same on a local directory and on
``s3://``. They read the shards through one shared scan (``scan``, ``release.scan``); records
are never all held in memory.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from pixel_platform.core.progress import Progress, no_progress
from pixel_platform.release.layout import MANIFEST, SHARD_PATH, SPLITS, key_in
from pixel_platform.release.publish import stored_paths
from pixel_platform.release.scan import (
    ReleaseScan,
    parse_line,
    released_family,
    released_uid,
    scan_release,
)
from pixel_platform.storage.base import ObjectInfo, ObjectStore

if TYPE_CHECKING:
    from pixel_platform.release.options import GateContext


@dataclass(frozen=True, slots=True)
class ReleasedRecord:
    split: str  # from the shard's folder: where a trainer will read it
    path: str  # shard path relative to the release prefix
    line: int  # 1-based
    data: dict[str, Any] | None  # None: the line is not a JSON object

    @property
    def uid(self) -> str:
        return released_uid(self.data, self.path, self.line)

    @property
    def family(self) -> str | None:
        return released_family(self.data)


class ReleaseView:
    def __init__(self, store: ObjectStore, prefix: str) -> None:
        self.store = store
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self._scans: dict[int, tuple[GateContext, ReleaseScan]] = {}

    def key(self, path: str) -> str:
        return key_in(self.prefix, path)

    def uri(self) -> str:
        return self.store.uri(self.prefix) if self.prefix else self.store.uri()

    # -- files -----------------------------------------------------------------------------------
    @functools.cached_property
    def objects(self) -> dict[str, ObjectInfo]:
        """Every object under the prefix, by path relative to it."""
        return {info.key[len(self.prefix) :]: info for info in self.store.list(self.prefix)}

    @functools.cached_property
    def stored_paths(self) -> frozenset[str]:
        """Every file under the prefix, a local store's hidden ``.tmp-*`` files too
        (``publish.stored_paths``). A release is immutable: nothing in it is in progress."""
        return stored_paths(self.store, self.prefix)

    def read_json(self, path: str) -> Any | None:
        """The parsed JSON file, or ``None`` when it is missing or not JSON."""
        if path not in self.objects:
            return None
        try:
            return orjson.loads(self.store.read_bytes(self.key(path)))
        except orjson.JSONDecodeError:
            return None

    @functools.cached_property
    def manifest_bytes(self) -> bytes | None:
        """The manifest exactly as stored: what its digest and signature are computed over."""
        return self.store.read_bytes(self.key(MANIFEST)) if MANIFEST in self.objects else None

    @functools.cached_property
    def manifest(self) -> dict[str, Any] | None:
        if self.manifest_bytes is None:
            return None
        try:
            data = orjson.loads(self.manifest_bytes)
        except orjson.JSONDecodeError:
            return None
        return data if isinstance(data, dict) else None

    @functools.cached_property
    def shard_paths(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {split: [] for split in SPLITS}
        for path in self.objects:
            match = SHARD_PATH.match(path)
            if match:
                found[match.group(1)].append(path)
        return {split: sorted(paths) for split, paths in found.items()}

    # -- records ---------------------------------------------------------------------------------
    def records(self) -> Iterator[ReleasedRecord]:
        """Every shard record, train then val then test, each shard in file order, streamed."""
        for split in SPLITS:
            for path in self.shard_paths[split]:
                with self.store.open_read(self.key(path)) as fh:
                    for line_no, raw in enumerate(fh, 1):
                        yield ReleasedRecord(split, path, line_no, parse_line(raw))

    def scanned(self, ctx: GateContext) -> ReleaseScan | None:
        """The scan already made for ``ctx``, if any (never scans)."""
        cached = self._scans.get(id(ctx))
        return cached[1] if cached is not None else None

    def scan(
        self,
        ctx: GateContext,
        parts: frozenset[str] = frozenset(),
        *,
        progress: Progress = no_progress,
    ) -> ReleaseScan:
        """The shards scanned once for the gates (``release.scan``), kept for this context: the
        gates of one run share one scan; a gate needing a part not scanned yet scans again."""
        cached = self._scans.get(id(ctx))
        if cached is not None and parts <= cached[1].parts:
            return cached[1]
        wanted = parts | (cached[1].parts if cached is not None else frozenset())
        result = scan_release(self, ctx, wanted, workers=ctx.scan_workers, progress=progress)
        self._scans[id(ctx)] = (ctx, result)  # ctx kept: its id stays this context's
        return result

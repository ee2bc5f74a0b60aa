"""``ReleaseView``: a release (or a staged build) read back through the ObjectStore.

Gates see a release only through this view, so they work the same on a local directory and on
``s3://``. Shard records are parsed once and kept in memory while the shards total less than
``cache_limit_bytes``; above that every pass streams the shards again.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from pixel_platform.core.record import record_content_hash
from pixel_platform.curation.dedup import DedupConfig, MinHasher
from pixel_platform.curation.dedup.lsh import CandidateStats
from pixel_platform.curation.dedup.near import near_duplicates
from pixel_platform.curation.dedup.text import dialogue_text
from pixel_platform.release.layout import MANIFEST, SHARD_PATH, SPLITS, key_in
from pixel_platform.release.publish import stored_paths
from pixel_platform.storage.base import ObjectInfo, ObjectStore

CACHE_LIMIT_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReleasedRecord:
    split: str  # from the shard's folder: where a trainer will read it
    path: str  # shard path relative to the release prefix
    line: int  # 1-based
    data: dict[str, Any] | None  # None: the line is not a JSON object

    @property
    def uid(self) -> str:
        metadata = (self.data or {}).get("metadata") or {}
        uid = metadata.get("uid")
        return str(uid) if uid else f"{self.path}@L{self.line}"

    @property
    def family(self) -> str | None:
        metadata = (self.data or {}).get("metadata") or {}
        prov = metadata.get("provenance")
        family = prov.get("family") if isinstance(prov, dict) else None
        return family if isinstance(family, str) else None


@dataclass
class DuplicateIndex:
    """Exact and near duplicate relations among the released records."""

    uids: list[str]
    splits: list[str]
    hashes: list[str]  # content hash recomputed from the messages
    near_left: NDArray[np.int64]
    near_right: NDArray[np.int64]
    near_similarity: NDArray[np.float64]  # exact Jaccard of the shingle sets


class ReleaseView:
    def __init__(
        self, store: ObjectStore, prefix: str, *, cache_limit_bytes: int = CACHE_LIMIT_BYTES
    ) -> None:
        self.store = store
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.cache_limit_bytes = cache_limit_bytes
        self._records: list[ReleasedRecord] | None = None
        self._duplicates: dict[tuple[Any, ...], DuplicateIndex] = {}

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
        """Every shard record, train then val then test, each shard in file order."""
        if self._records is not None:
            yield from self._records
            return
        size = sum(self.objects[p].size for paths in self.shard_paths.values() for p in paths)
        cache: list[ReleasedRecord] | None = [] if size <= self.cache_limit_bytes else None
        for record in self._read_records():
            if cache is not None:
                cache.append(record)
            yield record
        if cache is not None:
            self._records = cache

    def _read_records(self) -> Iterator[ReleasedRecord]:
        for split in SPLITS:
            for path in self.shard_paths[split]:
                with self.store.open_read(self.key(path)) as fh:
                    for line_no, raw in enumerate(fh, 1):
                        try:
                            data = orjson.loads(raw)
                        except orjson.JSONDecodeError:
                            data = None
                        if not isinstance(data, dict):
                            data = None
                        yield ReleasedRecord(split, path, line_no, data)

    def duplicates(self, config: DedupConfig) -> DuplicateIndex:
        """Exact groups and verified near-duplicate pairs, computed once per config by the dedup
        package's own definition (``curation.dedup.near``: LSH, then exact Jaccard), so "near"
        means here what dedup means by it."""
        cache_key = (config.scheme_fingerprint(), config.bands, config.rows, config.threshold)
        if cache_key not in self._duplicates:
            self._duplicates[cache_key] = self._compute_duplicates(config)
        return self._duplicates[cache_key]

    def _compute_duplicates(self, config: DedupConfig) -> DuplicateIndex:
        hasher = MinHasher(config)
        uids: list[str] = []
        splits: list[str] = []
        hashes: list[str] = []
        blocks: list[NDArray[np.uint32]] = []
        texts: list[str] = []
        for record in self.records():
            if record.data is None:
                continue
            messages = record.data.get("messages")
            try:
                hashes.append(
                    record_content_hash(messages, record.data.get("metadata"))
                    if isinstance(messages, list)
                    else ""
                )
            except (KeyError, TypeError):
                hashes.append("")
            uids.append(record.uid)
            splits.append(record.split)
            texts.append(dialogue_text(record.data))
            if len(texts) >= config.batch_size:
                blocks.append(hasher.signatures(texts)[0])
                texts.clear()
        if texts:
            blocks.append(hasher.signatures(texts)[0])
        if blocks:
            signatures = np.concatenate(blocks)
            with tempfile.TemporaryDirectory(prefix="pixel-gate-dedup-") as work:
                near = near_duplicates(
                    signatures,
                    np.arange(len(uids), dtype=np.int64),
                    config,
                    self._texts,
                    Path(work),
                    CandidateStats(),
                )
                near.shingles.close()
            left, right, similarity = near.edges.left, near.edges.right, near.edges.similarity
        else:
            left = right = np.zeros(0, np.int64)
            similarity = np.zeros(0)
        return DuplicateIndex(uids, splits, hashes, left, right, similarity)

    def _texts(self, docs: NDArray[np.int64]) -> Iterator[str]:
        """Dialogue texts of the parsed records ``docs`` (ascending indices), read again."""
        wanted = iter(docs.tolist())
        target = next(wanted, None)
        index = 0
        for record in self.records():
            if target is None:
                return
            if record.data is None:
                continue
            if index == target:
                yield dialogue_text(record.data)
                target = next(wanted, None)
            index += 1

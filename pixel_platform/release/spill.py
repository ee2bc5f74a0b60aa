"""``ExternalSort``: sort more serialized records than fit in memory.

The release build orders every released record (split, stage, family, content hash, uid) before
it writes the shards. Holding a million parsed records to sort them costs tens of GB, so the
build keeps each record as its JSON line and sorts ``(key, line)`` pairs here: pairs are buffered
up to ``buffer_bytes``, each full buffer is sorted and written to a run file on local disk, and
iteration merges the runs lazily (``heapq.merge``). Peak memory is one buffer plus one pending
line per run, whatever the release size; disk use is the size of the lines once more.

Why not polars' streaming sort: the order must be exactly Python's (stable, ties in insertion
order) so that shards stay byte-identical across builds, and the payloads are opaque JSON lines;
a 60-line merge of sorted runs guarantees both and bounded memory, with nothing to tune.

A run line is ``<key as a JSON array> TAB <payload> LF``; a payload must not contain LF (orjson
output never does: it escapes control characters).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

DEFAULT_BUFFER_BYTES = 128 * 1024 * 1024
_ENTRY_OVERHEAD = 200  # rough bytes of a buffered key list and tuple besides the payload

Key = list[Any]


class ExternalSort:
    """Add ``(key, payload)`` pairs, then iterate them once in key order (stable)."""

    def __init__(self, directory: Path, *, buffer_bytes: int = DEFAULT_BUFFER_BYTES) -> None:
        if buffer_bytes < 1:
            raise ValueError("buffer_bytes must be positive")
        self.directory = directory
        self.buffer_bytes = buffer_bytes
        self.runs: list[Path] = []
        self.count = 0
        self._buffer: list[tuple[Key, bytes]] = []
        self._buffered = 0
        self._consumed = False

    def add(self, key: Sequence[Any], payload: bytes) -> None:
        if self._consumed:
            raise RuntimeError("ExternalSort.add after iteration started")
        if b"\n" in payload:
            raise ValueError("an ExternalSort payload must be one line (no LF byte)")
        self._buffer.append((list(key), payload))
        self._buffered += len(payload) + _ENTRY_OVERHEAD
        self.count += 1
        if self._buffered >= self.buffer_bytes:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        self._buffer.sort(key=itemgetter(0))  # stable: ties keep insertion order
        path = self.directory / f"run-{len(self.runs):05d}.bin"
        with path.open("wb") as fh:
            for key, payload in self._buffer:
                fh.write(orjson.dumps(key) + b"\t" + payload + b"\n")
        self.runs.append(path)
        self._buffer = []
        self._buffered = 0

    def __iter__(self) -> Iterator[tuple[Key, bytes]]:
        if self._consumed:
            raise RuntimeError("an ExternalSort can be iterated once")
        self._consumed = True
        if not self.runs:  # everything fit in one buffer: no disk at all
            self._buffer.sort(key=itemgetter(0))
            buffer, self._buffer = self._buffer, []
            yield from buffer
            return
        self._flush()
        # heapq.merge prefers the earlier run on equal keys: with runs in insertion order, the
        # merged order is the stable sort of everything added.
        yield from heapq.merge(*(_read_run(path) for path in self.runs), key=itemgetter(0))


def _read_run(path: Path) -> Iterator[tuple[Key, bytes]]:
    with path.open("rb") as fh:
        for line in fh:
            key, _, payload = line[:-1].partition(b"\t")
            yield orjson.loads(key), payload
        # Each run is read once; free its disk as soon as it is merged.
    path.unlink(missing_ok=True)

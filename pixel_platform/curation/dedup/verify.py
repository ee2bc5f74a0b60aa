"""Exact Jaccard similarity of shingle sets, for the candidate pairs LSH proposes.

MinHash only *estimates* Jaccard (128 permutations: a standard error of ~0.044 at 0.5), so a pair
accepted on its estimate can sit well below the threshold, and one rejected on it well above.
Here a candidate pair is decided on the exact Jaccard of the two documents' sets of shingle hashes
(``MinHasher.shingle_sets``: the same 32-bit hashes the signatures are made from; two distinct
shingles of one pair share a hash with probability ~ 300 * 300 / 2**32 ~ 2e-5).

``ShingleSets`` holds the sets of the documents that need them in a local file, read back a few
thousand pairs at a time, so memory does not grow with the number of documents verified.
``jaccard`` computes a chunk of pairs without a Python loop over pairs: the sets of the chunk's
left documents, each keyed ``pair << 32 | hash``, form one ascending array, and one
``searchsorted`` of the right documents' keys into it counts every intersection at once.

``estimate_floor`` bounds the one shortcut: a pair whose MinHash estimate is hopelessly low is
dropped before its sets are read (see ``lsh.plausible``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pixel_platform.curation.dedup.minhash import MinHasher, sorted_distinct

# A pair exactly at the threshold is dropped by the estimate shortcut with at most this probability.
ESTIMATE_MISS_PROBABILITY = 1e-6
CHUNK_ELEMENTS = 1 << 22  # set elements gathered per chunk of pairs: 32 MiB of uint64 keys
_U32 = np.dtype(np.uint32)


def estimate_floor(threshold: float, num_perm: int, miss: float = ESTIMATE_MISS_PROBABILITY) -> int:
    """The fewest equal signature values a pair needs to be worth verifying: the largest ``m`` with
    ``P(Binomial(num_perm, threshold) < m) <= miss``. The number of equal values of a pair with
    Jaccard ``s`` is Binomial(num_perm, s), so a pair at or above the threshold falls below ``m``
    with probability at most ``miss``."""
    below = 0.0
    for m in range(num_perm + 1):
        p = math.comb(num_perm, m) * threshold**m * (1.0 - threshold) ** (num_perm - m)
        if below + p > miss:
            return m
        below += p
    return num_perm


class ShingleSets:
    """Sorted shingle-hash sets of the documents ``docs`` (ascending ids), in a local file.

    Fill with ``write`` in the order of ``docs``, then ``finish``; ``jaccard`` reads them back.
    """

    def __init__(self, path: Path, docs: NDArray[np.int64]) -> None:
        self.path = path
        self.docs = docs
        self._sizes = np.zeros(docs.size, dtype=np.int64)
        self._written = 0
        self._out: Any = path.open("wb")
        self._fd: int | None = None
        self.offsets = np.zeros(docs.size + 1, dtype=np.int64)  # in elements, set by finish()

    @classmethod
    def build(
        cls,
        path: Path,
        docs: NDArray[np.int64],
        texts: Iterable[str],
        hasher: MinHasher,
        batch_size: int,
    ) -> ShingleSets:
        """The sets of ``docs`` from their texts (``texts`` yields one per doc, in order)."""
        sets = cls(path, docs)
        batch: list[str] = []
        for text in texts:
            batch.append(text)
            if len(batch) >= batch_size:
                sets.write(*hasher.shingle_sets(batch))
                batch.clear()
        if batch:
            sets.write(*hasher.shingle_sets(batch))
        sets.finish()
        return sets

    def write(self, values: NDArray[np.uint32], sizes: NDArray[np.int64]) -> None:
        if self._written + sizes.size > self.docs.size or values.size != int(sizes.sum()):
            raise ValueError("shingle sets do not match the documents announced")
        self._out.write(np.ascontiguousarray(values, dtype=np.uint32).tobytes())
        self._sizes[self._written : self._written + sizes.size] = sizes
        self._written += sizes.size

    def finish(self) -> None:
        self._out.close()
        if self._written != self.docs.size:
            raise ValueError(f"{self._written} shingle sets written for {self.docs.size} documents")
        np.cumsum(self._sizes, out=self.offsets[1:])

    def close(self) -> None:
        if not self._out.closed:
            self._out.close()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> ShingleSets:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------------
    def slots(self, docs: NDArray[np.int64]) -> NDArray[np.int64]:
        slots = np.searchsorted(self.docs, docs)
        if slots.size and (
            slots.max() >= self.docs.size or not np.array_equal(self.docs[slots], docs)
        ):
            raise KeyError("a document without a stored shingle set was asked for")
        return slots.astype(np.int64)

    def _read(self, slots: NDArray[np.int64]) -> tuple[NDArray[np.uint32], NDArray[np.int64]]:
        """The sets of ascending, distinct ``slots``, concatenated, and where each one starts."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        sizes = self._sizes[slots]
        buffer = bytearray(int(sizes.sum()) * _U32.itemsize)
        view, pos = memoryview(buffer), 0
        breaks = np.flatnonzero(np.diff(slots) != 1) + 1
        for run in np.split(slots, breaks) if slots.size else ():
            first, end = int(self.offsets[run[0]]), int(self.offsets[run[-1] + 1])
            size = (end - first) * _U32.itemsize
            chunk = [view[pos : pos + size]]
            if size and os.preadv(self._fd, chunk, first * _U32.itemsize) != size:
                raise OSError(f"short read from {self.path}")
            pos += size
        starts = np.cumsum(sizes) - sizes
        return np.frombuffer(buffer, dtype=np.uint32), starts

    def jaccard(self, left: NDArray[np.int64], right: NDArray[np.int64]) -> NDArray[np.float64]:
        """Exact Jaccard similarity of each pair ``(left[i], right[i])`` of stored documents."""
        out = np.zeros(left.size, dtype=np.float64)
        lslot, rslot = self.slots(left), self.slots(right)
        weight = np.cumsum(self._sizes[lslot] + self._sizes[rslot])
        start = 0
        while start < left.size:
            # At least one pair per chunk, however large its sets.
            budget = (weight[start - 1] if start else 0) + CHUNK_ELEMENTS
            stop = max(start + 1, int(np.searchsorted(weight, budget, side="right")))
            out[start:stop] = self._chunk(lslot[start:stop], rslot[start:stop])
            start = stop
        return out

    def _chunk(self, lslot: NDArray[np.int64], rslot: NDArray[np.int64]) -> NDArray[np.float64]:
        both = np.concatenate([lslot, rslot])
        unique = sorted_distinct(both)
        inverse = np.searchsorted(unique, both)
        values, starts = self._read(unique)
        n = lslot.size
        pair = np.arange(n, dtype=np.uint64)
        left_sizes, right_sizes = self._sizes[lslot], self._sizes[rslot]
        left_keys = _keyed(values, starts[inverse[:n]], left_sizes, pair)
        right_keys = _keyed(values, starts[inverse[n:]], right_sizes, pair)
        pos = np.searchsorted(left_keys, right_keys)
        hit = np.zeros(right_keys.size, dtype=bool)
        inside = pos < left_keys.size
        hit[inside] = left_keys[pos[inside]] == right_keys[inside]
        right_pair = np.repeat(np.arange(n), right_sizes)
        inter = np.bincount(right_pair[hit], minlength=n)
        union = left_sizes + right_sizes - inter
        return np.divide(inter, union, out=np.zeros(n), where=union > 0)


def _keyed(
    values: NDArray[np.uint32],
    starts: NDArray[np.int64],
    sizes: NDArray[np.int64],
    pair: NDArray[np.uint64],
) -> NDArray[np.uint64]:
    """The sets at ``starts`` (``sizes`` long) one after another, each value keyed with its pair
    (``pair << 32 | value``): ascending, because pairs ascend and each set is sorted."""
    offsets = np.cumsum(sizes) - sizes
    index = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(offsets - starts, sizes)
    return (np.repeat(pair, sizes) << np.uint64(32)) | values[index].astype(np.uint64)

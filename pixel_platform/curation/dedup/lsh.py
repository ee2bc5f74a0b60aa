"""LSH banding and candidate pairs, with a cheap first cut on the MinHash estimate.

Each band of ``rows`` signature values is hashed to 64 bits (a *bucket*); two documents that share
a bucket in any band are a candidate pair. A candidate whose signatures agree on fewer values than
``verify.estimate_floor`` (a pair at the threshold does so with probability <= 1e-6) is dropped
here; the rest are *plausible* pairs, which ``near.near_duplicates`` decides on exact Jaccard.
That cut keeps the verification work to pairs that have a chance: LSH at a low threshold also
proposes many pairs that merely share common phrases.

Pairs within one bucket (``bucket_pairs``): a bucket of at most ``bucket_all_pairs_max`` members
yields all its pairs. A bigger one (boilerplate shared by thousands of records would otherwise
cost m^2/2 pairs) yields each member paired with the bucket's first member (smallest index) and
with its successor in index order: 2m pairs. Clusters are connected components, so this still
joins every member that is similar to the first member or to its neighbour; what it can miss is a
pair whose two members resemble neither — and such a pair usually meets again in another band.

Two ways to find the buckets, with identical results (a document is in exactly one bucket per
band, so both see the same bucket memberships and emit the same pairs):

* in memory (``in_memory_candidates``): all band hashes at once, one band at a time;
* on disk (``spill_bands`` + ``on_disk_candidates``), past ``in_memory_max_records`` distinct texts:
  band hashes are written to parquet chunks, one file per (chunk, band), sorted by *shard* (the
  bucket's top bits); each (band, shard) is then read back alone with a polars scan whose filter
  skips the other shards' row groups, so no more than ~``in_memory_max_records`` rows are grouped
  at a time and no giant dict of buckets is ever built.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from pixel_platform.core.progress import Progress, no_progress
from pixel_platform.curation.dedup.config import DedupConfig
from pixel_platform.curation.dedup.minhash import fmix64, sorted_distinct
from pixel_platform.curation.dedup.verify import estimate_floor

U64 = np.uint64
BAND_CHUNK_DOCS = 65_536  # signatures read at a time to hash bands (32 MiB)
ESTIMATE_CHUNK_PAIRS = 8_192  # signature rows gathered per step: <= 8 MiB


class SignatureRows(Protocol):
    """An ``(n, num_perm)`` array of signatures, or a ``driver.SignatureFile`` (or ``LowBytes``)
    standing for one."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    def __getitem__(self, rows: Any) -> NDArray[Any]: ...


@dataclass
class CandidateStats:
    candidate_pairs: int = 0  # pairs sharing a bucket, summed over bands (3 bands: counted 3 times)
    plausible_pairs: int = 0  # distinct candidates that pass the estimate floor
    verified_docs: int = 0  # documents whose shingle sets were read to verify plausible pairs
    oversized_buckets: int = 0  # buckets paired star+chain instead of all pairs
    largest_bucket: int = 0
    shards: int = 0
    spill_files: int = 0
    seconds_lsh: float = 0.0
    seconds_verify: float = 0.0  # texts read again, shingled, exact Jaccard
    notes: list[str] = field(default_factory=list)


# -- band hashes -----------------------------------------------------------------------------------
def band_multipliers(config: DedupConfig) -> NDArray[np.uint64]:
    gen = np.random.RandomState(config.seed ^ 0x5EED)
    return (gen.randint(0, 1 << 63, (config.bands, config.rows), dtype=U64) << U64(1)) | U64(1)


def band_hashes(
    signatures: NDArray[np.uint32], config: DedupConfig, multipliers: NDArray[np.uint64]
) -> NDArray[np.uint64]:
    """``(n, bands)`` bucket hashes: fmix64 of an odd-weighted sum of the band's values."""
    out = np.empty((signatures.shape[0], config.bands), dtype=U64)
    with np.errstate(over="ignore"):
        for band in range(config.bands):
            acc = np.full(signatures.shape[0], band, dtype=U64)
            for row in range(config.rows):
                acc += signatures[:, band * config.rows + row].astype(U64) * multipliers[band, row]
            out[:, band] = fmix64(acc)
    return out


# -- pairs within buckets --------------------------------------------------------------------------
def bucket_pairs(
    bucket: NDArray[np.uint64], doc: NDArray[np.int64], all_pairs_max: int, stats: CandidateStats
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Candidate pairs ``(left < right)`` among documents sharing a bucket (see module doc)."""
    if bucket.size < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.lexsort((doc, bucket))
    bucket, doc = bucket[order], doc[order]
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    sizes = np.diff(np.r_[starts, bucket.size])
    multi = sizes > 1
    if not multi.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # Keep only rows of buckets with 2+ members (usually a small fraction), renumbered.
    run_of_row = np.repeat(np.arange(starts.size), sizes)
    rows = np.flatnonzero(multi[run_of_row])
    doc = doc[rows]
    starts, sizes = starts[multi], sizes[multi]
    new_starts = np.cumsum(sizes) - sizes
    run_of_row = np.repeat(np.arange(sizes.size), sizes)
    pos = np.arange(doc.size) - new_starts[run_of_row]
    size_of_row = sizes[run_of_row]
    stats.largest_bucket = max(stats.largest_bucket, int(sizes.max()))

    lefts, rights = [], []
    small = size_of_row <= all_pairs_max
    for offset in range(1, min(all_pairs_max, int(sizes.max()))):
        i = np.flatnonzero(small & (pos + offset < size_of_row))
        if i.size == 0:
            break
        lefts.append(doc[i])
        rights.append(doc[i + offset])
    big = ~small
    if big.any():
        stats.oversized_buckets += int(np.count_nonzero(sizes > all_pairs_max))
        star = np.flatnonzero(big & (pos > 0))
        lefts.append(doc[new_starts[run_of_row[star]]])
        rights.append(doc[star])
        chain = np.flatnonzero(big & (pos > 0) & (pos + 1 < size_of_row))
        lefts.append(doc[chain])
        rights.append(doc[chain + 1])
    left, right = np.concatenate(lefts), np.concatenate(rights)
    return left, right  # within a bucket docs are sorted, so left < right already


class LowBytes:
    """The low byte of every signature value of some documents, in memory, rows by position
    (num_perm bytes a document): enough for the estimate floor, at a quarter of the signatures'
    size, and without reading rows of a ``driver.SignatureFile`` one by one. Two values that
    differ share their low byte with probability 1/256, so the agreement count can only be higher
    than the signatures' — the floor never drops a pair the full signatures would keep."""

    def __init__(self, n: int, num_perm: int) -> None:
        self.values = np.empty((n, num_perm), dtype=np.uint8)
        self.shape = (n, num_perm)

    def fill(self, start: int, signatures: NDArray[np.uint32]) -> None:
        self.values[start : start + signatures.shape[0]] = signatures.astype(np.uint8)

    def __getitem__(self, rows: Any) -> NDArray[np.uint8]:
        return self.values[rows]


def plausible(
    signatures: SignatureRows,
    left: NDArray[np.int64],
    right: NDArray[np.int64],
    config: DedupConfig,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The pairs whose signatures (or their ``LowBytes``) agree on at least ``estimate_floor``
    values."""
    num_perm = signatures.shape[1]
    need = estimate_floor(config.threshold, num_perm)
    keep_l, keep_r = [], []
    for s in range(0, left.size, ESTIMATE_CHUNK_PAIRS):
        lo, hi = left[s : s + ESTIMATE_CHUNK_PAIRS], right[s : s + ESTIMATE_CHUNK_PAIRS]
        ok = np.count_nonzero(signatures[lo] == signatures[hi], axis=1) >= need
        keep_l.append(lo[ok])
        keep_r.append(hi[ok])
    if not keep_l:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(keep_l), np.concatenate(keep_r)


def _merge(
    pairs: list[tuple[NDArray[np.int64], NDArray[np.int64]]],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Union of pair lists, each pair once, sorted by (left, right)."""
    if not pairs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    key = sorted_distinct(
        np.concatenate([left.astype(U64) << U64(32) | right.astype(U64) for left, right in pairs])
    )
    return (key >> U64(32)).astype(np.int64), (key & U64(0xFFFFFFFF)).astype(np.int64)


# -- in memory -------------------------------------------------------------------------------------
def in_memory_candidates(
    signatures: SignatureRows,
    docs: NDArray[np.int64],
    config: DedupConfig,
    stats: CandidateStats,
    progress: Progress = no_progress,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Plausible pairs ``(left < right)`` among ``docs`` (ascending row indices of
    ``signatures``). The work is done on positions in ``docs`` (0..n-1), mapped back at the end."""
    multipliers = band_multipliers(config)
    buckets = np.empty((docs.size, config.bands), dtype=U64)
    low_bytes = LowBytes(docs.size, signatures.shape[1])
    for s in range(0, docs.size, BAND_CHUNK_DOCS):
        chunk = signatures[docs[s : s + BAND_CHUNK_DOCS]]
        buckets[s : s + chunk.shape[0]] = band_hashes(chunk, config, multipliers)
        low_bytes.fill(s, chunk)
    positions = np.arange(docs.size, dtype=np.int64)
    pairs = []
    stats.shards = config.bands
    for band in range(config.bands):
        left, right = bucket_pairs(buckets[:, band], positions, config.bucket_all_pairs_max, stats)
        stats.candidate_pairs += left.size
        pairs.append(plausible(low_bytes, left, right, config))
        progress("dedup lsh bands", band + 1, config.bands)
    left, right = _merged(pairs, stats)
    return docs[left], docs[right]


# -- on disk ---------------------------------------------------------------------------------------
def shard_bits(n_docs: int, config: DedupConfig) -> int:
    """Shards per band, as a power of two, so one shard holds <= in_memory_max_records rows."""
    return max(0, math.ceil(math.log2(max(1, math.ceil(n_docs / config.in_memory_max_records)))))


def spill_bands(
    signatures: SignatureRows,
    docs: NDArray[np.int64],
    config: DedupConfig,
    spill_dir: Path,
    stats: CandidateStats,
) -> int:
    """Write ``(shard, bucket, doc)`` rows per band to parquet; returns the shard bits."""
    bits = shard_bits(docs.size, config)
    multipliers = band_multipliers(config)
    spill_dir.mkdir(parents=True, exist_ok=True)
    schema = pa.schema([("shard", pa.uint32()), ("bucket", pa.uint64()), ("doc", pa.int64())])
    rows_per_group = max(1024, min(65_536, config.in_memory_max_records // 4))
    for chunk_no, s in enumerate(range(0, docs.size, BAND_CHUNK_DOCS)):
        chunk = docs[s : s + BAND_CHUNK_DOCS]
        buckets = band_hashes(signatures[chunk], config, multipliers)
        for band in range(config.bands):
            bucket = buckets[:, band]
            shard = (
                (bucket >> U64(64 - bits)).astype(np.uint32)
                if bits
                else np.zeros(bucket.size, np.uint32)
            )
            order = np.argsort(shard, kind="stable")
            table = pa.Table.from_arrays(
                [pa.array(shard[order]), pa.array(bucket[order]), pa.array(chunk[order])],
                schema=schema,
            )
            path = spill_dir / f"band={band:03d}" / f"chunk-{chunk_no:05d}.parquet"
            path.parent.mkdir(exist_ok=True)
            pq.write_table(table, path, row_group_size=rows_per_group, compression="lz4")
            stats.spill_files += 1
    return bits


def _shard_frames(spill_dir: Path, bands: int, bits: int) -> Iterator[tuple[int, pl.DataFrame]]:
    for band in range(bands):
        files = sorted((spill_dir / f"band={band:03d}").glob("chunk-*.parquet"))
        if not files:
            continue
        scan = pl.scan_parquet(files)
        for shard in range(1 << bits):
            frame = scan.filter(pl.col("shard") == shard).select("bucket", "doc").collect()
            yield band, frame


def on_disk_candidates(
    signatures: SignatureRows,
    docs: NDArray[np.int64],
    config: DedupConfig,
    spill_dir: Path,
    stats: CandidateStats,
    progress: Progress = no_progress,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``in_memory_candidates``' pairs, with the band buckets grouped on disk."""
    bits = spill_bands(signatures, docs, config, spill_dir, stats)
    stats.shards = config.bands << bits
    pairs = []
    for band, frame in _shard_frames(spill_dir, config.bands, bits):
        left, right = bucket_pairs(
            frame["bucket"].to_numpy(),
            frame["doc"].to_numpy(),
            config.bucket_all_pairs_max,
            stats,
        )
        stats.candidate_pairs += left.size
        pairs.append(plausible(signatures, left, right, config))
        progress("dedup lsh bands", band, config.bands, item=f"{stats.candidate_pairs} pairs")
    progress("dedup lsh bands", config.bands, config.bands)
    return _merged(pairs, stats)


def _merged(
    pairs: list[tuple[NDArray[np.int64], NDArray[np.int64]]], stats: CandidateStats
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    left, right = _merge(pairs)
    stats.plausible_pairs = int(left.size)
    return left, right

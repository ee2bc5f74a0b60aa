"""``run_dedup``: exact + near-duplicate removal over every processed partition at once.

Stages (each timed in ``DedupStats.timings``):

1. **signatures** — per partition, reuse its signature file if the processed file's sha256 and
   the scheme are unchanged, else hash it (``signatures``). All signatures are appended to one
   local file and memory-mapped; the per-record columns kept in RAM are ~60 bytes a record.
2. **exact** — records with the same ``content_hash`` form one group; its first record stands
   for it in the LSH (so thousands of copies never crowd one bucket).
3. **lsh** — candidate pairs among the distinct, non-empty texts (``lsh``); in memory up to
   ``in_memory_max_records`` distinct texts, on disk beyond; candidates with a hopeless MinHash
   estimate are dropped.
4. **verify** — the records of the remaining pairs are read again (only those lines) and each pair
   is decided on the exact Jaccard of its shingle sets (``near``, ``verify``). The same pass asks
   the caller's ``exclusion`` rule about every record that may share a cluster (those records and
   every exact copy), so that a cluster's keeper is one the release can ship when there is one.
5. **clusters** — keepers chosen greedily inside each component of exact + near edges, so that
   every dropped record is an exact copy or a verified near-duplicate of its keeper
   (``clusters``).
6. **outputs**, all under ``work_prefix``: ``decisions/<uid_prefix>.parquet`` per partition (every
   record: ``line``, ``kept``, ``cluster_id``, and for dropped ones ``kind``, ``keeper_uid``,
   ``similarity``), ``dedup_log.jsonl`` (one entry per dropped record) and, last, ``summary.json``
   (stats, config, inputs): its presence means the run finished.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import polars as pl
import pyarrow as pa
from numpy.typing import NDArray

from pixel_platform.core.errors import ConfigError, TerminalError
from pixel_platform.core.progress import Progress, no_progress
from pixel_platform.core.reasons import Reason
from pixel_platform.core.steps import StepStats
from pixel_platform.curation.dedup import lsh
from pixel_platform.curation.dedup.clusters import Clustering, choose_keepers, keeper_order
from pixel_platform.curation.dedup.config import DedupConfig
from pixel_platform.curation.dedup.minhash import MinHasher
from pixel_platform.curation.dedup.near import NearDuplicates, NearEdges, near_duplicates
from pixel_platform.curation.dedup.signatures import (
    DedupInput,
    compute_signature_file,
    delete_stale,
    file_matches,
    iter_signature_file,
    signature_key,
)
from pixel_platform.curation.dedup.text import dialogue_text
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.keys import join_key

log = logging.getLogger(__name__)

# Why a record (a parsed processed line) cannot be released, or None when it can: the release's
# own rule (``release.routing.exclusion_reason``), handed in by the caller.
ExclusionRule = Callable[[dict[str, Any]], str | None]
STEP_NAME = "dedup"


@dataclass
class DedupStats:
    records_in: int = 0
    kept: int = 0
    dropped_exact: int = 0
    dropped_near: int = 0
    clusters: int = 0
    distinct_texts: int = 0  # distinct content hashes
    empty_texts: int = 0  # distinct texts without a single word (never near-duplicates)
    partitions_hashed: int = 0
    partitions_reused: int = 0
    records_hashed: int = 0
    candidate_pairs: int = 0  # pairs sharing an LSH bucket, summed over bands
    plausible_pairs: int = 0  # distinct candidates whose MinHash estimate was not hopeless
    verified_docs: int = 0  # records read again to verify plausible pairs on exact Jaccard
    near_pairs: int = 0  # verified near-duplicate pairs (exact Jaccard >= threshold)
    oversized_buckets: int = 0
    largest_bucket: int = 0
    join: str = "in_memory"
    shards: int = 0
    # Kept records that still have a verified near-duplicate (or an exact copy) among the kept,
    # over kept records. 0 by construction; computed so that a regression shows.
    duplicate_rate_after: float = 0.0
    # Releasability (with an exclusion rule): records asked about (every member of a possible
    # cluster), clusters whose keeper changed because the old keeper could not be released,
    # and clusters of 2+ records none of which can be released (their keeper is excluded later).
    releasability_checked: int = 0
    keepers_moved_to_releasable: int = 0
    clusters_without_releasable: int = 0
    not_releasable_by_reason: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return self.records_in == self.kept + self.dropped_exact + self.dropped_near

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def step_stats(self) -> StepStats:
        """The same shape every ``Step`` reports: seen / forwarded / dropped by reason."""
        stats = StepStats(STEP_NAME, seen=self.records_in, forwarded=self.kept)
        stats.dropped[Reason.DUPLICATE_EXACT.value] = self.dropped_exact
        stats.dropped[Reason.DUPLICATE_NEAR.value] = self.dropped_near
        stats.seconds = sum(self.timings.values())
        return stats


@dataclass(frozen=True)
class DedupResult:
    stats: DedupStats
    log_key: str
    summary_key: str
    decisions_keys: Mapping[str, str]  # uid_prefix -> decisions parquet key
    signature_keys: Mapping[str, str]  # uid_prefix -> signature parquet key

    @classmethod
    def load(cls, store: ObjectStore, work_prefix: str) -> DedupResult:
        """The result of the last finished run under ``work_prefix`` (from its summary.json), for
        a later process, e.g. the asset that builds the release from the dedup asset's output."""
        summary_key = join_key(work_prefix, "summary.json")
        summary = orjson.loads(store.read_bytes(summary_key))
        return cls(
            stats=DedupStats(**summary["stats"]),
            log_key=summary["log_key"],
            summary_key=summary_key,
            decisions_keys=summary["decisions_keys"],
            signature_keys=summary["signature_keys"],
        )


# -- the corpus: signatures (on disk) + compact per-record columns ------------------------------
class SignatureFile:
    """The ``(n, num_perm)`` uint32 signatures of a run, in a local file.

    ``sigs[rows]`` reads just those rows (one ``preadv`` per run of consecutive rows), so only what
    a stage works on counts towards the process's memory, however large the run. (A memory map
    would not do: every page fault maps the 64 KiB around it, so gathering 8k random rows of a 1M
    run made the whole 512 MiB file resident.)
    """

    def __init__(self, path: Path, n: int, num_perm: int) -> None:
        self.path = path
        self.shape = (n, num_perm)
        self._row_bytes = num_perm * 4
        self._fd: int | None = None

    def __getitem__(self, rows: Any) -> NDArray[np.uint32]:
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return np.zeros((0, self.shape[1]), dtype=np.uint32)
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY)
        unique, inverse = np.unique(rows, return_inverse=True)
        breaks = np.flatnonzero(np.diff(unique) != 1) + 1
        firsts = unique[np.r_[0, breaks]].tolist()
        lasts = unique[np.r_[breaks - 1, unique.size - 1]].tolist()
        buffer = bytearray(unique.size * self._row_bytes)
        view, pos = memoryview(buffer), 0
        for first, last in zip(firsts, lasts, strict=True):
            size = (last - first + 1) * self._row_bytes
            if os.preadv(self._fd, [view[pos : pos + size]], first * self._row_bytes) != size:
                raise OSError(f"short read from {self.path}")
            pos += size
        table = np.frombuffer(buffer, dtype=np.uint32).reshape(unique.size, self.shape[1])
        return table[inverse.reshape(-1)]

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class SignatureFileWriter:
    """Appends ``(rows, num_perm)`` uint32 blocks to ``path``; ``finish`` gives the file to read."""

    def __init__(self, path: Path, num_perm: int) -> None:
        self.path = path
        self.num_perm = num_perm
        self.rows = 0
        self._fh = path.open("wb")

    def add(self, block: NDArray[Any]) -> None:
        self._fh.write(np.ascontiguousarray(block, dtype=np.uint32).tobytes())
        self.rows += int(block.shape[0])

    def close(self) -> None:
        self._fh.close()

    def finish(self) -> SignatureFile:
        self.close()
        return SignatureFile(self.path, self.rows, self.num_perm)


@dataclass
class _Corpus:
    signatures: SignatureFile
    rank: NDArray[np.int64]  # index of the record's partition in the sorted inputs
    line: NDArray[np.int64]
    hash_words: NDArray[np.uint64]  # (n, 4) big-endian words of content_hash: numeric order ==
    # byte order
    quality: NDArray[np.float64]
    family: NDArray[np.int64]  # code into family_names
    family_names: list[str]
    n_shingles: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.line.size)


class _CorpusBuilder:
    def __init__(self, path: Path, num_perm: int) -> None:
        self._signatures = SignatureFileWriter(path, num_perm)
        self._columns: dict[str, list[np.ndarray]] = {
            k: [] for k in ("rank", "line", "hash", "quality", "family", "n_shingles")
        }
        self._family_codes: dict[str, int] = {}

    def add(self, rank: int, batch: Any) -> None:
        self._signatures.add(batch.signature)
        n = len(batch)
        codes = self._family_codes
        self._columns["rank"].append(np.full(n, rank, dtype=np.int64))
        self._columns["line"].append(batch.line.astype(np.int64))
        hashes = np.ascontiguousarray(batch.content_hash, dtype=np.uint8)
        self._columns["hash"].append(hashes.view(">u8").reshape(n, 4).astype(np.uint64))
        self._columns["quality"].append(batch.quality.astype(np.float64))
        self._columns["family"].append(
            np.array([codes.setdefault(f, len(codes)) for f in batch.family], dtype=np.int64)
        )
        self._columns["n_shingles"].append(batch.n_shingles.astype(np.int64))

    def finish(self) -> _Corpus:
        signatures = self._signatures.finish()

        def cat(name: str, dtype: Any, shape: tuple[int, ...] = (0,)) -> np.ndarray:
            parts = self._columns.pop(name)
            return np.concatenate(parts) if parts else np.zeros(shape, dtype=dtype)

        hash_words = cat("hash", np.uint64, (0, 4))
        quality = cat("quality", np.float64)
        return _Corpus(
            signatures=signatures,
            rank=cat("rank", np.int64),
            line=cat("line", np.int64),
            hash_words=hash_words,
            quality=np.nan_to_num(quality, nan=0.0, posinf=0.0, neginf=0.0),
            family=cat("family", np.int64),
            family_names=list(self._family_codes),
            n_shingles=cat("n_shingles", np.int64),
        )


@contextmanager
def _scratch(config: DedupConfig) -> Iterator[Path]:
    if config.work_dir:
        Path(config.work_dir).mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="pixel-dedup-", dir=config.work_dir))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _download(store: ObjectStore, key: str, path: Path) -> None:
    with store.open_read(key) as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)


def _check_inputs(inputs: Sequence[DedupInput]) -> list[DedupInput]:
    if not inputs:
        raise ConfigError("dedup got no partitions to read; pass at least one DedupInput")
    ordered = sorted(inputs, key=lambda i: i.uid_prefix)
    seen: set[str] = set()
    for inp in ordered:
        if inp.uid_prefix in seen:
            raise ConfigError(f"two dedup inputs share the uid_prefix {inp.uid_prefix!r}")
        if len(inp.sha256) < 16:
            raise ConfigError(f"dedup input {inp.uid_prefix!r} has no sha256 of its file")
        seen.add(inp.uid_prefix)
    return ordered


@dataclass(frozen=True)
class _Run:
    """What every stage of one ``run_dedup`` call works with."""

    store: ObjectStore
    inputs: list[DedupInput]  # sorted by uid_prefix: a record's rank indexes this list
    config: DedupConfig
    work: Path  # the local scratch directory
    work_prefix: str  # where the outputs go in the store
    stats: DedupStats
    progress: Progress


# -- stages ----------------------------------------------------------------------------------------
def _signatures_stage(run: _Run, signatures_prefix: str) -> tuple[_Corpus, dict[str, str]]:
    store, config, stats = run.store, run.config, run.stats
    hasher = MinHasher(config)
    builder = _CorpusBuilder(run.work / "signatures.u32", config.num_perm)
    keys: dict[str, str] = {}
    for rank, inp in enumerate(run.inputs):
        key = signature_key(signatures_prefix, inp)
        keys[inp.uid_prefix] = key
        local = run.work / f"partition-{rank:06d}.parquet"
        reused = False
        if store.exists(key):
            _download(store, key, local)
            reused = file_matches(local, inp, config)
        if reused:
            stats.partitions_reused += 1
            for batch in iter_signature_file(local, config.num_perm):
                builder.add(rank, batch)
        else:
            records = compute_signature_file(
                store, inp, config, hasher, local, functools.partial(builder.add, rank)
            )
            store.upload_file(local, key)
            stats.partitions_hashed += 1
            stats.records_hashed += records
        delete_stale(store, signatures_prefix, inp, key)
        local.unlink()
        run.progress("dedup signatures", rank + 1, len(run.inputs), item=inp.uid_prefix)
    return builder.finish(), keys


def _exact_groups(corpus: _Corpus) -> NDArray[np.int64]:
    """For each record, the first record (smallest index) with the same content hash."""
    n = len(corpus)
    words = corpus.hash_words
    order = np.lexsort((words[:, 3], words[:, 2], words[:, 1], words[:, 0]))  # stable
    sorted_words = words[order]
    new = np.r_[True, np.any(sorted_words[1:] != sorted_words[:-1], axis=1)] if n else np.zeros(0)
    starts = np.flatnonzero(new)
    sizes = np.diff(np.r_[starts, n])
    representative = np.empty(n, dtype=np.int64)
    representative[order] = np.repeat(order[starts], sizes)
    return representative


def _hex_hashes(hash_words: NDArray[np.uint64]) -> pl.Series:
    n = hash_words.shape[0]
    raw = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(32), n, [None, pa.py_buffer(hash_words.astype(">u8").tobytes())]
    )
    binary = pl.Series("h", raw.cast(pa.binary()))
    return ("sha256:" + binary.bin.encode("hex")).alias("h")


def _write_outputs(
    run: _Run,
    corpus: _Corpus,
    clustering: Clustering,
    representative: NDArray[np.int64],
    near: NearDuplicates,
) -> tuple[str, dict[str, str]]:
    """Decisions per partition and the dedup log; fills the kept/dropped counts."""
    store, inputs, work, stats = run.store, run.inputs, run.work, run.stats
    n = len(corpus)
    keeper = clustering.keeper
    kept = clustering.kept
    exact = np.all(corpus.hash_words == corpus.hash_words[keeper], axis=1) & ~kept
    near_dropped = ~kept & ~exact
    similarity = np.full(n, np.nan)
    similarity[exact] = 1.0
    # Exact Jaccard to the keeper, at or above the threshold (``clusters``); both texts are in a
    # near-duplicate pair, so both shingle sets are in ``near.shingles``.
    docs = np.flatnonzero(near_dropped)
    similarity[docs] = near.shingles.jaccard(representative[docs], representative[keeper[docs]])
    stats.kept = int(kept.sum())
    stats.dropped_exact = int(exact.sum())
    stats.dropped_near = int(near_dropped.sum())

    prefixes = pl.Series("p", [inp.uid_prefix for inp in inputs], dtype=pl.String)
    families = pl.Series("f", corpus.family_names or [""], dtype=pl.String)
    bounds = np.searchsorted(corpus.rank, np.arange(len(inputs) + 1))
    log_path = work / "dedup_log.jsonl"
    decisions_keys: dict[str, str] = {}
    with log_path.open("wb") as log_fh:
        for rank, inp in enumerate(inputs):
            lo, hi = int(bounds[rank]), int(bounds[rank + 1])
            k = keeper[lo:hi]
            frame = pl.DataFrame(
                {
                    "line": corpus.line[lo:hi].astype(np.uint32),
                    "kept": kept[lo:hi],
                    "exact": exact[lo:hi],
                    "similarity": similarity[lo:hi],
                    "content_hash": _hex_hashes(corpus.hash_words[lo:hi]),
                    "keeper_hash": _hex_hashes(corpus.hash_words[k]),
                    "family": families.gather(corpus.family[lo:hi]),
                    "keeper_prefix": prefixes.gather(corpus.rank[k]),
                    "keeper_line": corpus.line[k],
                }
            ).with_columns(
                pl.col("similarity").fill_nan(None),
                kind=pl.when(pl.col("exact"))
                .then(pl.lit("exact"))
                .when(~pl.col("kept"))
                .then(pl.lit("near")),
                uid=pl.lit(inp.uid_prefix + ":") + pl.col("line").cast(pl.String),
                cluster_id=pl.col("keeper_hash"),
                keeper_uid=pl.when(~pl.col("kept")).then(
                    pl.col("keeper_prefix") + ":" + pl.col("keeper_line").cast(pl.String)
                ),
            )
            decisions = frame.select(
                "line", "kept", "cluster_id", "kind", "keeper_uid", "similarity"
            )
            local = work / f"decisions-{rank:06d}.parquet"
            decisions.write_parquet(local, compression="zstd")
            key = join_key(run.work_prefix, "decisions", inp.uid_prefix + ".parquet")
            store.upload_file(local, key)
            local.unlink()
            decisions_keys[inp.uid_prefix] = key
            dropped = frame.filter(~pl.col("kept")).select(
                "uid",
                "content_hash",
                "family",
                "keeper_uid",
                "keeper_hash",
                "kind",
                "similarity",
                "cluster_id",
            )
            if dropped.height:
                dropped.write_ndjson(log_fh)
    log_key = join_key(run.work_prefix, "dedup_log.jsonl")
    store.upload_file(log_path, log_key)
    return log_key, decisions_keys


def _parse(raw: bytes, uri: str, line: int, uid_prefix: str) -> dict[str, Any]:
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        record = None
    if not isinstance(record, dict):
        raise TerminalError(
            f"{uri} line {line} is not a processed conversation; rebuild the processed"
            f" partition {uid_prefix}"
        )
    return record


class _RecordReader:
    """Reads chosen records of the run's partitions again, only the lines asked for.

    ``texts(docs)`` yields the dialogue texts of ``docs`` (ascending record indices) for the exact
    Jaccard check. The same pass applies the exclusion rule to ``docs`` and to ``also`` (every
    record with an exact copy): together, every record that can end up in a cluster of two or more.
    """

    def __init__(
        self,
        store: ObjectStore,
        inputs: list[DedupInput],
        corpus: _Corpus,
        exclusion: ExclusionRule | None,
        also: NDArray[np.int64],
        stats: DedupStats,
    ) -> None:
        self.store, self.inputs, self.corpus = store, inputs, corpus
        self.exclusion, self.also, self.stats = exclusion, also, stats
        self.releasable = np.ones(len(corpus), dtype=bool)
        self._checked = False

    def texts(self, docs: NDArray[np.int64]) -> Iterator[str]:
        self._checked = True
        if self.exclusion is None:
            for _, record in self._records(docs):
                yield dialogue_text(record)
            return
        wanted = np.zeros(len(self.corpus), dtype=bool)
        wanted[docs] = True
        for doc, record in self._records(np.union1d(docs, self.also)):
            self._check(doc, record)
            if wanted[doc]:
                yield dialogue_text(record)

    def check_rest(self) -> None:
        """Apply the exclusion rule to ``also`` if ``texts`` never ran (no plausible pair)."""
        if self.exclusion is not None and not self._checked:
            for doc, record in self._records(self.also):
                self._check(doc, record)

    def _check(self, doc: int, record: dict[str, Any]) -> None:
        assert self.exclusion is not None
        reason = self.exclusion(record)
        self.stats.releasability_checked += 1
        if reason is not None:
            self.releasable[doc] = False
            counts = self.stats.not_releasable_by_reason
            counts[reason] = counts.get(reason, 0) + 1

    def _records(self, docs: NDArray[np.int64]) -> Iterator[tuple[int, dict[str, Any]]]:
        """``(doc, parsed record)`` for ascending ``docs``, partition by partition."""
        ranks = self.corpus.rank[docs]
        for rank in np.unique(ranks).tolist():
            inp = self.inputs[rank]
            uri = self.store.uri(inp.key)
            chosen = docs[ranks == rank]
            doc_of_line = dict(zip(self.corpus.line[chosen].tolist(), chosen.tolist(), strict=True))
            last, line_no = max(doc_of_line), 0
            with self.store.open_read(inp.key) as fh:
                for line_no, raw in enumerate(fh, 1):
                    doc = doc_of_line.get(line_no)
                    if doc is not None:
                        yield doc, _parse(raw, uri, line_no, inp.uid_prefix)
                    if line_no == last:
                        break
            if line_no < last:
                raise TerminalError(
                    f"{uri} ended at line {line_no}, its signatures name line {last}: the"
                    f" partition {inp.uid_prefix} changed during the dedup run; run dedup again"
                )


def _near_edges(
    run: _Run, corpus: _Corpus, docs: NDArray[np.int64], reader: _RecordReader
) -> NearDuplicates:
    stats = run.stats
    cand = lsh.CandidateStats()
    on_disk = docs.size > run.config.in_memory_max_records
    stats.join = "on_disk" if on_disk else "in_memory"
    near = near_duplicates(
        corpus.signatures, docs, run.config, reader.texts, run.work, cand, on_disk=on_disk,
        progress=run.progress,
    )  # fmt: skip
    stats.candidate_pairs = cand.candidate_pairs
    stats.plausible_pairs = cand.plausible_pairs
    stats.verified_docs = cand.verified_docs
    stats.oversized_buckets = cand.oversized_buckets
    stats.largest_bucket = cand.largest_bucket
    stats.shards = cand.shards
    stats.near_pairs = int(near.edges.left.size)
    stats.timings["lsh"] = cand.seconds_lsh
    stats.timings["verify"] = cand.seconds_verify
    return near


def _duplicate_rate_after(
    kept: NDArray[np.bool_], representative: NDArray[np.int64], edges: NearEdges
) -> float:
    """Kept records with a kept near-duplicate or exact copy, over kept records."""
    both_kept = kept[edges.left] & kept[edges.right]
    with_near = np.union1d(edges.left[both_kept], edges.right[both_kept])
    kept_docs = np.flatnonzero(kept)
    _, kept_per_text = np.unique(representative[kept_docs], return_counts=True)
    with_copy = int(kept_per_text[kept_per_text > 1].sum())
    return float((with_near.size + with_copy) / max(1, kept_docs.size))


def _clusters(
    corpus: _Corpus,
    representative: NDArray[np.int64],
    near: NearDuplicates,
    threshold: float,
    releasable: NDArray[np.bool_],
    family_priority: Mapping[str, int],
    stats: DedupStats,
) -> Clustering:
    n = len(corpus)
    edges = near.edges

    def similar(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.bool_]:
        return near.shingles.jaccard(a, b) >= threshold

    priority_of_family = np.array(
        [int(family_priority.get(name, 0)) for name in corpus.family_names] or [0],
        dtype=np.int64,
    )
    priority = priority_of_family[corpus.family] if n else np.zeros(0, np.int64)
    keys = (corpus.quality, priority, corpus.hash_words, corpus.rank, corpus.line)
    clustering = choose_keepers(
        representative,
        edges.left,
        edges.right,
        keeper_order(*keys, releasable=releasable),
        similar,
    )
    stats.clusters = clustering.n_clusters
    if not releasable.all():
        # What the keeper rule would have picked without releasability, for the counts only.
        plain = choose_keepers(
            representative, edges.left, edges.right, keeper_order(*keys), similar
        )
        stats.keepers_moved_to_releasable = int(
            np.count_nonzero(plain.kept & ~clustering.kept & ~releasable)
        )
        sizes = np.bincount(clustering.keeper, minlength=n)
        shared = clustering.kept & (sizes > 1)
        stats.clusters_without_releasable = int(np.count_nonzero(shared & ~releasable))
    return clustering


def _deduplicate(
    run: _Run,
    corpus: _Corpus,
    family_priority: Mapping[str, int],
    exclusion: ExclusionRule | None,
) -> tuple[str, dict[str, str]]:
    """Stages 2-6 over the corpus; returns the log key and the decisions keys."""
    stats = run.stats
    n = len(corpus)
    clock = time.perf_counter
    started = clock()
    representative = _exact_groups(corpus)
    distinct = np.flatnonzero(representative == np.arange(n))
    stats.distinct_texts = int(distinct.size)
    lsh_docs = distinct[corpus.n_shingles[distinct] > 0]
    stats.empty_texts = int(distinct.size - lsh_docs.size)
    copies = np.flatnonzero(representative != np.arange(n))
    with_copies = np.union1d(copies, representative[copies])
    stats.timings["exact"] = clock() - started

    reader = _RecordReader(run.store, run.inputs, corpus, exclusion, with_copies, stats)
    near = _near_edges(run, corpus, lsh_docs, reader)
    with near.shingles:
        started = clock()
        reader.check_rest()
        stats.timings["verify"] += clock() - started

        started = clock()
        clustering = _clusters(
            corpus, representative, near, run.config.threshold, reader.releasable,
            family_priority, stats,
        )  # fmt: skip
        stats.duplicate_rate_after = _duplicate_rate_after(
            clustering.kept, representative, near.edges
        )
        stats.timings["clusters"] = clock() - started

        started = clock()
        keys = _write_outputs(run, corpus, clustering, representative, near)
        stats.timings["outputs"] = clock() - started
    return keys


# -- the driver ------------------------------------------------------------------------------------
def run_dedup(
    store: ObjectStore,
    inputs: Sequence[DedupInput],
    config: DedupConfig,
    *,
    family_priority: Mapping[str, int],
    work_prefix: str,
    signatures_prefix: str | None = None,
    exclusion: ExclusionRule | None = None,
    progress: Progress = no_progress,
) -> DedupResult:
    """Deduplicate ``inputs`` globally; see the module docstring for stages and outputs.

    ``signatures_prefix`` (default ``<work_prefix>/signatures``) should outlive a single run, so
    that the next run reuses what this one hashed. ``exclusion`` is the release's rule for what
    cannot ship: a cluster keeps a record it accepts whenever it has one (None: every record can).
    """
    ordered = _check_inputs(inputs)
    signatures_prefix = signatures_prefix or join_key(work_prefix, "signatures")
    stats = DedupStats()
    with _scratch(config) as work:
        run = _Run(store, ordered, config, work, work_prefix, stats, progress)
        started = time.perf_counter()
        corpus, signature_keys = _signatures_stage(run, signatures_prefix)
        stats.records_in = len(corpus)
        stats.timings["signatures"] = time.perf_counter() - started
        try:
            log_key, decisions_keys = _deduplicate(run, corpus, family_priority, exclusion)
        finally:
            corpus.signatures.close()

    if not stats.balanced:
        raise AssertionError(
            f"dedup accounting mismatch: {stats.records_in} in, {stats.kept} kept,"
            f" {stats.dropped_exact} exact + {stats.dropped_near} near dropped"
        )
    stats.timings = {k: round(v, 3) for k, v in stats.timings.items()}
    summary_key = join_key(work_prefix, "summary.json")
    result = DedupResult(
        stats=stats,
        log_key=log_key,
        summary_key=summary_key,
        decisions_keys=decisions_keys,
        signature_keys=signature_keys,
    )
    summary = {
        "stats": stats.as_dict(),
        "step": stats.step_stats().as_dict(),
        "config": config.to_dict(),
        "scheme_fingerprint": config.scheme_fingerprint(),
        "s_curve": config.s_curve(),
        "inputs": [asdict(inp) for inp in ordered],
        "log_key": log_key,
        "decisions_keys": decisions_keys,
        "signature_keys": signature_keys,
    }
    store.write_bytes(summary_key, orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    log.info(
        "dedup: %d in, %d kept, %d exact + %d near dropped, %d clusters",
        stats.records_in,
        stats.kept,
        stats.dropped_exact,
        stats.dropped_near,
        stats.clusters,
    )
    return result

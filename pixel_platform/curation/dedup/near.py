"""What a near-duplicate is — the one definition dedup and the release's gates both use.

Two texts are near-duplicates when the exact Jaccard similarity of their sets of
``shingle_size``-word shingles (``text.canonical_text``) reaches ``threshold``. Finding them:

1. MinHash LSH proposes candidate pairs (``lsh``; the S-curve, ``DedupConfig.s_curve``, is the
   chance that a pair at a given similarity is proposed);
2. a candidate whose MinHash estimate is far below the threshold is dropped (``lsh.plausible``;
   a pair at the threshold is lost this way with probability <= 1e-6);
3. every remaining pair is decided on exact Jaccard (``verify``): the caller hands over the texts
   of just the documents in those pairs, which are shingled again — no shingle sets are stored
   between runs, and none are kept for the other documents.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from pixel_platform.core.progress import Progress, no_progress
from pixel_platform.curation.dedup import lsh
from pixel_platform.curation.dedup.config import DedupConfig
from pixel_platform.curation.dedup.minhash import MinHasher
from pixel_platform.curation.dedup.verify import ShingleSets

# Given ascending document ids, yields their dialogue texts (``text.dialogue_text``) in that order.
TextReader = Callable[[NDArray[np.int64]], Iterable[str]]


@dataclass
class NearEdges:
    """Verified near-duplicate pairs ``left[i] < right[i]`` and their exact Jaccard."""

    left: NDArray[np.int64]
    right: NDArray[np.int64]
    similarity: NDArray[np.float64]


@dataclass
class NearDuplicates:
    edges: NearEdges
    # The shingle sets of every document of a plausible pair (so of every document with an edge),
    # for more exact similarities (e.g. to a cluster's keeper). Close it when done.
    shingles: ShingleSets


def near_duplicates(
    signatures: lsh.SignatureRows,
    docs: NDArray[np.int64],
    config: DedupConfig,
    read_texts: TextReader,
    work: Path,
    stats: lsh.CandidateStats,
    *,
    on_disk: bool = False,
    progress: Progress = no_progress,
) -> NearDuplicates:
    """Near-duplicate pairs among ``docs`` (rows of ``signatures``, made under ``config``).

    ``work`` is local scratch space (the shingle sets, and the band spill when ``on_disk``).
    """
    started = time.perf_counter()
    if on_disk:
        left, right = lsh.on_disk_candidates(
            signatures, docs, config, work / "bands", stats, progress
        )
        shutil.rmtree(work / "bands", ignore_errors=True)
    else:
        left, right = lsh.in_memory_candidates(signatures, docs, config, stats, progress)
    stats.seconds_lsh = time.perf_counter() - started

    started = time.perf_counter()
    needed = np.union1d(left, right)
    stats.verified_docs = int(needed.size)
    progress("dedup verify", 0, 1, item=f"{left.size} candidate pairs")
    shingles = ShingleSets.build(
        work / "shingles.u32", needed, read_texts(needed), MinHasher(config), config.batch_size
    )
    try:
        similarity = shingles.jaccard(left, right)
    except BaseException:
        shingles.close()
        raise
    keep = similarity >= config.threshold
    progress("dedup verify", 1, 1, item=f"{int(keep.sum())} near-duplicate pairs")
    stats.seconds_verify = time.perf_counter() - started
    return NearDuplicates(NearEdges(left[keep], right[keep], similarity[keep]), shingles)

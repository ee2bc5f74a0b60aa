"""Clusters and their keepers: every dropped record is a verified duplicate of the record kept
in its place.

Records whose texts are linked by exact copies and near-duplicate edges form *components*
(``connected_components``). Inside a component, keepers are chosen greedily, best first by the
keeper rule: the best record not yet placed is kept, and takes with it its exact copies and every
record of the component whose text is a near-duplicate of its own (exact Jaccard >= threshold);
the best record left over starts the next cluster, and so on. So a chain of edits (A~B, B~C, A and
C apart) does not drop C as a duplicate of A: every dropped record is a verified duplicate of its
keeper (the ``similarity`` in the dedup log is at or above the threshold), and no two kept
records of a component are near-duplicates.

Keeper rule, deterministic and independent of input order:

0. a record the release can ship (the release's own exclusion rule, asked by the driver) before
   one it would exclude — otherwise a cluster could keep a record that then stays out of the
   release (``pii_requires_review``, a missing or non-commercial licence, an unsafe crisis
   reply) while its releasable twin was dropped, and the conversation would be lost;
1. higher ``metadata.quality.score`` (missing: 0),
2. higher family priority (the caller's mapping; families not in it: 0),
3. smaller ``content_hash``,
4. smaller uid (partitions in ``uid_prefix`` order, then line number) — only exact copies get here.

A cluster none of whose records can ship still keeps one by rules 1-4; the release then excludes
it with its reason, so it is counted there rather than lost here.

A cluster's id is its keeper's ``content_hash``: stable for singletons too, unique (exact copies
are always in one cluster) and reproducible from the inputs alone, so a release can split by a hash
of it without letting a cluster straddle splits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


def connected_components(n: int, left: NDArray[np.int64], right: NDArray[np.int64]) -> NDArray:
    """Label of each of ``n`` nodes: the smallest node index in its component.

    Vectorized hook-and-compress: each round hooks the larger of two different roots under the
    smaller (so every tree stays a forest pointing downwards), then jumps pointers until every node
    points at its root. Converges in a few rounds for real duplicate graphs.
    """
    parent = np.arange(n, dtype=np.int64)
    if left.size == 0:
        return parent
    while True:
        a, b = parent[left], parent[right]
        differ = a != b
        if not differ.any():
            return parent
        low, high = np.minimum(a[differ], b[differ]), np.maximum(a[differ], b[differ])
        np.minimum.at(parent, high, low)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


@dataclass
class Clustering:
    keeper: NDArray[np.int64]  # the keeper's record index, per record
    n_clusters: int

    @property
    def kept(self) -> NDArray[np.bool_]:
        return self.keeper == np.arange(self.keeper.size)


def keeper_order(
    quality: NDArray[np.float64],
    priority: NDArray[np.int64],
    hash_words: NDArray[np.uint64],  # (n, 4), big-endian words: numeric order == byte order
    partition_rank: NDArray[np.int64],
    line: NDArray[np.int64],
    releasable: NDArray[np.bool_] | None = None,  # None: every record can be released
) -> NDArray[np.int64]:
    """Record indices, best keeper first (the rule in the module docstring)."""
    n = quality.size
    blocked = np.zeros(n, dtype=np.int8) if releasable is None else (~releasable).astype(np.int8)
    # np.lexsort: the last key is the primary one.
    return np.lexsort(
        (
            line,
            partition_rank,
            hash_words[:, 3],
            hash_words[:, 2],
            hash_words[:, 1],
            hash_words[:, 0],
            -priority,
            -quality,
            blocked,
        )
    ).astype(np.int64)


def choose_keepers(
    representative: NDArray[np.int64],  # per record, the first record with the same text
    near_left: NDArray[np.int64],  # verified near-duplicate edges between representatives
    near_right: NDArray[np.int64],
    order: NDArray[np.int64],  # ``keeper_order``
    similar: Callable[[NDArray[np.int64], NDArray[np.int64]], NDArray[np.bool_]],
) -> Clustering:
    """Keepers chosen greedily inside each component (see the module docstring).

    ``similar(a, b)`` tells, per pair of representatives, whether their texts are near-duplicates
    (exact Jaccard >= threshold). It is asked about every record of a component against the
    component's current keeper, not only about the edges LSH reported: a big bucket reports a
    chain and a star rather than all its pairs (``lsh.bucket_pairs``), which is enough to connect
    a component but not to say who is a duplicate of whom. All components advance together, one
    keeper each per round, so the rounds are as many as the most keepers one component needs.
    """
    n = representative.size
    keeper = np.arange(n, dtype=np.int64)
    if n == 0:
        return Clustering(keeper=keeper, n_clusters=0)
    copies = np.flatnonzero(representative != np.arange(n))
    label = connected_components(
        n,
        np.concatenate([representative[copies], near_left]),
        np.concatenate([copies, near_right]),
    )
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    open_ = np.bincount(label, minlength=n)[label] > 1  # not yet placed; singletons never are
    while open_.any():
        docs = np.flatnonzero(open_)
        best = np.full(n, n, dtype=np.int64)
        np.minimum.at(best, label[docs], rank[docs])  # per component, the best open record
        chosen = order[best[label[docs]]]
        taken = representative[docs] == representative[chosen]  # the keeper and its copies
        other = np.flatnonzero(~taken)
        if other.size:
            taken[other] = similar(representative[docs[other]], representative[chosen[other]])
        keeper[docs[taken]] = chosen[taken]
        open_[docs[taken]] = False
    return Clustering(keeper=keeper, n_clusters=int(np.count_nonzero(keeper == np.arange(n))))

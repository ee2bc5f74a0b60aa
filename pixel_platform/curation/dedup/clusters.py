"""Clusters (connected components over exact and near edges) and one keeper per cluster.

Keeper rule, deterministic and independent of input order:

1. higher ``metadata.quality.score`` (missing: 0),
2. higher family priority (the caller's mapping; families not in it: 0),
3. smaller ``content_hash``,
4. smaller uid (partitions in ``uid_prefix`` order, then line number) — only exact copies get here.

A cluster's id is its keeper's ``content_hash``: stable for singletons too, unique (exact copies
are always in one cluster) and reproducible from the inputs alone, so a release can split by a hash
of it without letting a cluster straddle splits.
"""

from __future__ import annotations

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
    label: NDArray[np.int64]  # component label per record
    keeper: NDArray[np.int64]  # the keeper's record index, per record
    n_clusters: int

    @property
    def kept(self) -> NDArray[np.bool_]:
        return self.keeper == np.arange(self.keeper.size)


def choose_keepers(
    label: NDArray[np.int64],
    quality: NDArray[np.float64],
    priority: NDArray[np.int64],
    hash_words: NDArray[np.uint64],  # (n, 4), big-endian words: numeric order == byte order
    partition_rank: NDArray[np.int64],
    line: NDArray[np.int64],
) -> Clustering:
    n = label.size
    if n == 0:
        return Clustering(label=label, keeper=np.zeros(0, dtype=np.int64), n_clusters=0)
    # np.lexsort: the last key is the primary one.
    order = np.lexsort(
        (
            line,
            partition_rank,
            hash_words[:, 3],
            hash_words[:, 2],
            hash_words[:, 1],
            hash_words[:, 0],
            -priority,
            -quality,
            label,
        )
    )
    sorted_label = label[order]
    first = np.r_[True, sorted_label[1:] != sorted_label[:-1]]
    keeper_of_label = np.empty(n, dtype=np.int64)
    keeper_of_label[sorted_label[first]] = order[first]
    return Clustering(label=label, keeper=keeper_of_label[label], n_clusters=int(first.sum()))

"""Deterministic train/val/test split by cluster, stratified per family.

The unit is the dedup cluster (``metadata.dedup.cluster_id``, else the record's ``content_hash``),
so a cluster never straddles splits. Each cluster gets a rank hash ``sha256(salt, cluster)``.

Rule, applied to each family on its own (a cluster belongs to the smallest family name among its
records; after dedup a cluster holds one record, so this only matters for un-deduplicated input):

* **holdout families** (registry ``holdout: true``) go to ``test`` only, and so does any cluster
  that contains a holdout record;
* a family with at least ``min_clusters`` clusters (default 20) sorts its cluster hashes; the
  last ``round(n * test)`` go to ``test``, the ``round(n * val)`` before them to ``val`` (each at
  least 1), the rest to ``train``. Small families therefore still get val and test;
* a **tiny family** (fewer than ``min_clusters`` clusters) goes to ``train`` whole: one or two
  held-out conversations measure nothing and would cost a large part of the family's data.

Adding a cluster moves the rank boundaries by at most one cluster, so splits are stable across
releases except near the boundaries, and the same inputs always give the same split.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SPLIT_SALT = "pixel-split/1"
DEFAULT_RATIOS = (0.90, 0.05, 0.05)
MIN_CLUSTERS_FOR_SPLIT = 20

RULE_HOLDOUT = "holdout"
RULE_STRATIFIED = "stratified"
RULE_TINY = "tiny"


def cluster_key(record: Mapping[str, Any]) -> str:
    metadata = record.get("metadata") or {}
    dedup = metadata.get("dedup")
    cluster = dedup.get("cluster_id") if isinstance(dedup, dict) else None
    if isinstance(cluster, str) and cluster:
        return cluster
    return str(metadata.get("content_hash") or "")


def rank_hash(cluster: str, salt: str = SPLIT_SALT) -> str:
    return hashlib.sha256(f"{salt}\x00{cluster}".encode()).hexdigest()


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


@dataclass(frozen=True)
class SplitPlan:
    split_of_cluster: dict[str, str]
    rule_of_family: dict[str, str]  # holdout | stratified | tiny
    clusters_of_family: dict[str, int]

    def split(self, cluster: str) -> str:
        return self.split_of_cluster[cluster]


def family_rule(n_clusters: int, holdout: bool, min_clusters: int) -> str:
    if holdout:
        return RULE_HOLDOUT
    return RULE_STRATIFIED if n_clusters >= min_clusters else RULE_TINY


def plan_splits(
    cluster_families: Iterable[tuple[str, str]],
    holdout_families: Iterable[str],
    *,
    ratios: tuple[float, float, float] = DEFAULT_RATIOS,
    min_clusters: int = MIN_CLUSTERS_FOR_SPLIT,
    salt: str = SPLIT_SALT,
) -> SplitPlan:
    """Split every cluster. ``cluster_families`` yields ``(cluster, family)`` per record."""
    holdout = set(holdout_families)
    families_of: dict[str, set[str]] = defaultdict(set)
    for cluster, family in cluster_families:
        families_of[cluster].add(family)
    split_of: dict[str, str] = {}
    by_owner: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for cluster, families in families_of.items():
        owner = min(families)
        if families & holdout:
            split_of[cluster] = "test"
            owner = min(families & holdout)
        by_owner[owner].append((rank_hash(cluster, salt), cluster))
    rules: dict[str, str] = {}
    for family, ranked in by_owner.items():
        rule = family_rule(len(ranked), family in holdout, min_clusters)
        rules[family] = rule
        if rule == RULE_HOLDOUT:
            continue
        ranked.sort()
        n = len(ranked)
        n_test = n_val = 0
        if rule == RULE_STRATIFIED:
            n_test = max(1, _round_half_up(n * ratios[2]))
            n_val = max(1, _round_half_up(n * ratios[1]))
        for i, (_, cluster) in enumerate(ranked):
            if i >= n - n_test:
                split_of[cluster] = "test"
            elif i >= n - n_test - n_val:
                split_of[cluster] = "val"
            else:
                split_of[cluster] = "train"
    return SplitPlan(
        split_of_cluster=split_of,
        rule_of_family=dict(sorted(rules.items())),
        clusters_of_family={f: len(v) for f, v in sorted(by_owner.items())},
    )

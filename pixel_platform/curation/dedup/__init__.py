"""Global exact + near-duplicate removal over processed partitions (MinHash LSH, exact Jaccard).

Public API::

    result = run_dedup(store, [DedupInput(uid_prefix, key, sha256), ...], DedupConfig(),
                       family_priority={"priority_datasets": 10}, work_prefix="pipeline/dedup/run")
    for conversation in filter_partition(store, result, inp): ...   # kept, with metadata["dedup"]
    result = DedupResult.load(store, "pipeline/dedup/run")  # in a later process

Modules: ``config`` (settings and the LSH S-curve), ``text`` (what is hashed), ``minhash``
(vectorized signatures equal to datasketch's), ``signatures`` (per-partition files, reuse),
``near`` (what a near-duplicate is: the one definition dedup and the release gates share),
``lsh`` (buckets and candidate pairs, in memory or on disk), ``verify`` (exact Jaccard of shingle
sets), ``clusters`` (components and the keeper rule: a releasable record first),
``driver`` (``run_dedup``), ``apply`` (the per-partition ``DedupFilter`` step).
No Dagster here: an asset calls ``run_dedup`` and reports ``result.stats``.
"""

from pixel_platform.curation.dedup.apply import (
    DedupFilter,
    DiscardSink,
    PartitionDecisions,
    filter_partition,
    iter_kept,
    load_decisions,
)
from pixel_platform.curation.dedup.config import DedupConfig
from pixel_platform.curation.dedup.driver import DedupResult, DedupStats, run_dedup
from pixel_platform.curation.dedup.minhash import MinHasher
from pixel_platform.curation.dedup.signatures import DedupInput

__all__ = [
    "DedupConfig",
    "DedupFilter",
    "DedupInput",
    "DedupResult",
    "DedupStats",
    "DiscardSink",
    "MinHasher",
    "PartitionDecisions",
    "filter_partition",
    "iter_kept",
    "load_decisions",
    "run_dedup",
]

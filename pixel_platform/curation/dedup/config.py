"""Dedup settings: one frozen dataclass, loadable from the mapping a YAML file gives.

What a near-duplicate is (``near``): the exact Jaccard similarity of the two texts' sets of
``shingle_size``-word shingles reaches ``threshold``. MinHash LSH only proposes the pairs to check.

The defaults come from a measured curve (``bench/bench_dedup.py``, ``bench/dedup_curve.py``,
results in ``bench/results/dedup.json``): real counsel-chat conversations and answers, copies with
2-15% of the words edited (typos, inserted and deleted words), and every other pair as a negative,
including different answers to the same question (as conversations they share the whole user
turn) and answers of one therapist. 2-word shingles at 0.65 keep recall >= 0.998 up to 10% of
the words edited (mixed edits; >= 0.986 at 12%) at precision >= 0.998; 3-word shingles reach the
goal only at 0.55, with recall 0.90-0.95 at 12% and three pairs of answers to one question above
it; 4 and 5 never do. Each edit breaks ``k`` shingles, while text two records share (a question)
stays shared whatever ``k``, so a small ``k`` separates light edits from shared text best; 1-word
shingles (bags of words) were not considered: word order would no longer count. The old 5 words
at 0.8 found 0-1% of the copies with 5% of the words edited.

Choosing bands x rows (the LSH S-curve)
---------------------------------------
Two documents with Jaccard similarity ``s`` agree on one MinHash value with probability ``s``, so
they share at least one of ``b`` bands of ``r`` rows (and become a *candidate pair*) with
probability ``P(s) = 1 - (1 - s**r)**b``. A candidate is then decided on exact Jaccard, so an LSH
false positive costs a check, while an LSH false negative is lost for good: the curve is placed
below the threshold. Default 32 x 4 (all 128 permutations; midpoint ``(1/b)**(1/r)`` ~ 0.42):

====  =======  =======  ======
  s   32 x 4   42 x 3   20 x 6
====  =======  =======  ======
0.05  0.0002   0.0052   0.0000
0.10  0.0032   0.0412   0.0000
0.30  0.2292   0.6832   0.0145
0.50  0.8732   0.9963   0.2702
0.60  0.9882   1.0000   0.6154
0.65  0.9982   1.0000   0.7916
0.70  0.9999   1.0000   0.9182
====  =======  =======  ======

Unrelated counsel-chat conversations have a 2-shingle Jaccard of ~0.02 (at most ~0.1), so
32 x 4 proposes ~1e-5 of their pairs (~5M per million conversations), 42 x 3 forty times more;
20 x 6 (the old default) would lose a fifth of the pairs at 0.65. ``DedupConfig.s_curve()``
prints the curve for any setting.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from pixel_platform.core.errors import ConfigError

SCHEMES = ("affine32", "legacy")
# Bumped whenever text normalization, shingling or the shingle hash changes: stored signatures
# made by an older version are then recomputed instead of being compared with new ones.
SIGNATURE_FORMAT = "pixel-dedup-signatures/1"
SHINGLE_HASH = "poly64(P=0x9E3779B97F4A7C15)-fmix64-high32"
NORMALIZATION = "lower+alnum-words+cjk-chars/1"
# The target: fewer than 1% of the kept conversations are still (exact or near)
# duplicates of each other. The dedup asset's check and the release's Dedup gate both hold to it
# (a release records the rate it was gated with: ``release.options``' ``max_duplicate_rate``).
MAX_DUPLICATE_RATE = 0.01


# The settings that change which records are kept (the others only change how the work is done).
RESULT_FIELDS = (
    "shingle_size",
    "num_perm",
    "bands",
    "rows",
    "threshold",
    "seed",
    "scheme",
    "bucket_all_pairs_max",
)


@dataclass(frozen=True)
class DedupConfig:
    shingle_size: int = 2  # words per shingle
    num_perm: int = 128
    bands: int = 32
    rows: int = 4
    threshold: float = 0.65  # exact Jaccard of the shingle sets at or above which: near-duplicate
    seed: int = 1  # datasketch's default seed: our signatures equal MinHash(num_perm, seed)'s
    # "affine32": datasketch >= 2.0's default permutations; "legacy": (a*h+b) % (2^61-1) &
    # (2^32-1), datasketch < 2.0's (scheme="legacy" since). Both equal datasketch bit for bit.
    scheme: str = "affine32"
    # Above this many distinct texts the band buckets are spilled to parquet shards (each holding at
    # most this many rows of one band) and grouped shard by shard instead of all in memory.
    in_memory_max_records: int = 2_000_000
    work_dir: str | None = None  # local scratch space; None: a temporary directory
    batch_size: int = 1024  # documents hashed per vectorized batch (~1.3 MB of text)
    # A bucket with at most this many members has every pair verified; a bigger one (boilerplate
    # shared by thousands of records) only pairs each member with the bucket's first member and
    # with its successor, so a bucket of m costs 2m pairs instead of m^2/2.
    bucket_all_pairs_max: int = 32

    def __post_init__(self) -> None:
        problems = []
        if self.shingle_size < 1:
            problems.append("shingle_size must be >= 1")
        if not 1 <= self.num_perm <= 1024:
            problems.append("num_perm must be in 1..1024")
        if self.bands < 1 or self.rows < 1 or self.bands * self.rows > self.num_perm:
            problems.append("bands and rows must be >= 1 with bands * rows <= num_perm")
        if not 0.0 < self.threshold <= 1.0:
            problems.append("threshold must be in (0, 1]")
        if self.scheme not in SCHEMES:
            problems.append(f"scheme must be one of {', '.join(SCHEMES)}")
        if self.in_memory_max_records < 1:
            problems.append("in_memory_max_records must be >= 1")
        if self.batch_size < 1:
            problems.append("batch_size must be >= 1")
        if self.bucket_all_pairs_max < 2:
            problems.append("bucket_all_pairs_max must be >= 2")
        if not 0 <= self.seed < 2**32:
            problems.append("seed must be in 0..2^32-1")
        if problems:
            raise ConfigError("invalid dedup config: " + "; ".join(problems))

    # -- loading ---------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> DedupConfig:
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"unknown dedup config key(s): {', '.join(unknown)};"
                f" known: {', '.join(sorted(known))}"
            )
        return cls(**data)

    @classmethod
    def from_yaml(cls, path: Path | str) -> DedupConfig:
        loaded = yaml.safe_load(Path(path).read_text()) or {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: a dedup config must be a mapping of keys to values")
        return cls.from_dict(loaded)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    # -- derived ---------------------------------------------------------------------------------
    def signature_scheme(self) -> dict[str, Any]:
        """Everything that determines a signature's values (and nothing that does not)."""
        return {
            "format": SIGNATURE_FORMAT,
            "shingle_hash": SHINGLE_HASH,
            "normalization": NORMALIZATION,
            "shingle_size": self.shingle_size,
            "num_perm": self.num_perm,
            "seed": self.seed,
            "scheme": self.scheme,
        }

    def scheme_fingerprint(self) -> str:
        canonical = json.dumps(self.signature_scheme(), sort_keys=True).encode()
        return hashlib.sha256(canonical).hexdigest()[:16]

    def candidate_probability(self, similarity: float) -> float:
        return float(1.0 - (1.0 - similarity**self.rows) ** self.bands)

    def s_curve(
        self, points: tuple[float, ...] = (0.1, 0.3, 0.5, 0.6, 0.65, 0.7, 0.8)
    ) -> dict[str, float]:
        return {f"{s:.2f}": round(self.candidate_probability(s), 5) for s in points}

"""The runner: ``count`` conversations over the chosen categories from one backend.

Slot ``i`` belongs to category ``i mod len(categories)`` (every category is present once
``count >= len(categories)``) and gets its own rng seeded from ``(seed, i, attempt)``, so the
template backend gives the same bytes for the same seed, and one slot never shifts another.
Each attempt's output is validated (``validate.find_problem``) and checked against everything
generated before it in the run for near-duplicates (MinHash, the release's dedup settings:
5-word shingles, Jaccard >= 0.8). A rejected attempt is counted by reason and the slot retried
with the next attempt seed, up to ``max_attempts``; a slot that never succeeds is counted in
``failed_slots``. Transient and terminal backend errors (HTTP, configuration) are not caught.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from pixel_platform.core.errors import ConfigError
from pixel_platform.core.record import Conversation
from pixel_platform.curation.crisis import CrisisDetector, default_detector
from pixel_platform.curation.dedup import DedupConfig, MinHasher
from pixel_platform.curation.dedup.lsh import band_hashes, band_multipliers
from pixel_platform.curation.dedup.text import canonical_text, dialogue_text, reference_shingles
from pixel_platform.curation.dedup.verify import estimate_floor
from pixel_platform.derived.edge_cases.catalog import Catalog, Category, load_catalog
from pixel_platform.derived.edge_cases.validate import (
    InvalidConversation,
    crisis_replies,
    find_problem,
)

FAMILY = "edge_case_synthetic"
GENERATOR_NAME = "pixel_platform.derived.edge_cases"
GENERATOR_VERSION = "1.0.0"
DEFAULT_OUTPUT_PREFIX = f"derived/{FAMILY}/"
DEFAULT_STYLE = "therapeutic"
DEFAULT_MAX_ATTEMPTS = 3


class Generator(Protocol):
    """A backend: one conversation for a category from an rng, in a role-play style.

    ``generate`` returns the messages (system prompt first, then client/therapist turns) with
    ``metadata["generator"]`` holding backend details (persona, beats, model ...); the runner
    adds the rest. It raises ``InvalidConversation`` for output it cannot use.
    """

    name: str
    counters: Counter[str]

    def generate(self, category: Category, rng: random.Random,
                 roleplay_style: str) -> Conversation: ...


@dataclass
class GenerationStats:
    """``generated + failed_slots == requested``; ``attempts == generated + sum(rejected)``."""

    requested: int = 0
    generated: int = 0
    attempts: int = 0
    failed_slots: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    by_category: Counter[str] = field(default_factory=Counter)
    crisis_replies_needed: int = 0  # client turns whose reply owes a safety response
    crisis_replies_safe: int = 0
    backend: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return (self.generated + self.failed_slots == self.requested
                and self.attempts == self.generated + sum(self.rejected.values()))

    @property
    def crisis_safety_rate(self) -> float:
        if not self.crisis_replies_needed:
            return 1.0
        return self.crisis_replies_safe / self.crisis_replies_needed

    def as_dict(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "generated": self.generated,
            "attempts": self.attempts,
            "failed_slots": self.failed_slots,
            "rejected": dict(sorted(self.rejected.items())),
            "by_category": dict(sorted(self.by_category.items())),
            "crisis_replies_needed": self.crisis_replies_needed,
            "crisis_replies_safe": self.crisis_replies_safe,
            "crisis_safety_rate": round(self.crisis_safety_rate, 6),
            "backend": dict(sorted(self.backend.items())),
        }


class NearDuplicateIndex:
    """Incremental near-duplicate check over dialogue texts, by dedup's definition
    (``curation.dedup.near``): LSH over MinHash signatures proposes, a pair whose estimate is far
    below the threshold is dropped, and the rest are decided on exact Jaccard of the shingle sets
    (kept in memory: a generator run makes thousands of texts, not millions)."""

    def __init__(self, config: DedupConfig | None = None) -> None:
        self.config = config or DedupConfig()
        self.hasher = MinHasher(self.config)
        self.multipliers = band_multipliers(self.config)
        self.floor = estimate_floor(self.config.threshold, self.config.num_perm)
        self.buckets: dict[tuple[int, int], list[int]] = {}
        self.signatures: list[NDArray[np.uint32]] = []
        self.shingles: list[frozenset[bytes]] = []

    def _shingles(self, text: str) -> frozenset[bytes]:
        return frozenset(reference_shingles(canonical_text(text), self.config.shingle_size))

    def similar(
        self, text: str
    ) -> tuple[float, NDArray[np.uint32], NDArray[np.uint64], frozenset[bytes]]:
        """Highest exact Jaccard to an indexed text LSH proposes (0.0 if none)."""
        signature = self.hasher.signatures([text])[0][0]
        bands = band_hashes(signature[None, :], self.config, self.multipliers)[0]
        shingles = self._shingles(text)
        best = 0.0
        seen: set[int] = set()
        for band, bucket in enumerate(bands.tolist()):
            for other in self.buckets.get((band, bucket), ()):
                if other in seen:
                    continue
                seen.add(other)
                if int(np.count_nonzero(self.signatures[other] == signature)) < self.floor:
                    continue
                union = len(shingles | self.shingles[other])
                if union:
                    best = max(best, len(shingles & self.shingles[other]) / union)
        return best, signature, bands, shingles

    def add(
        self, signature: NDArray[np.uint32], bands: NDArray[np.uint64], shingles: frozenset[bytes]
    ) -> None:
        index = len(self.signatures)
        self.signatures.append(signature)
        self.shingles.append(shingles)
        for band, bucket in enumerate(bands.tolist()):
            self.buckets.setdefault((band, bucket), []).append(index)

    def add_if_new(self, text: str) -> float | None:
        """Index ``text`` and return ``None``, or return the similarity that makes it a
        near-duplicate (not indexed)."""
        similarity, signature, bands, shingles = self.similar(text)
        if similarity >= self.config.threshold:
            return similarity
        self.add(signature, bands, shingles)
        return None


def conversation_seed(seed: int, index: int, attempt: int) -> int:
    digest = hashlib.sha256(f"{GENERATOR_NAME}:{seed}:{index}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class EdgeCaseRun:
    """Iterate for the conversations, then read ``stats`` (one pass)."""

    def __init__(self, categories: Sequence[Category], count: int, seed: int, style: str,
                 backend: Generator, *, catalog: Catalog, max_attempts: int,
                 dedup: DedupConfig | None, detector: CrisisDetector) -> None:
        self.categories, self.count, self.seed, self.style = categories, count, seed, style
        self.backend, self.catalog, self.max_attempts = backend, catalog, max_attempts
        self.index = NearDuplicateIndex(dedup) if dedup is not None else None
        self.detector = detector
        self.stats = GenerationStats(requested=count)

    def __iter__(self) -> Iterator[Conversation]:
        try:
            for i in range(self.count):
                record = self._slot(i, self.categories[i % len(self.categories)])
                if record is None:
                    self.stats.failed_slots += 1
                else:
                    yield record
        finally:
            self.stats.backend = dict(self.backend.counters)

    def _slot(self, i: int, category: Category) -> Conversation | None:
        stats = self.stats
        for attempt in range(self.max_attempts):
            stats.attempts += 1
            seed = conversation_seed(self.seed, i, attempt)
            try:
                record = self.backend.generate(category, random.Random(seed), self.style)
            except InvalidConversation as exc:
                stats.rejected[exc.reason] += 1
                continue
            problem = find_problem(record.messages, detector=self.detector)
            if problem is not None:
                stats.rejected[problem.reason] += 1
                continue
            if self.index is not None and \
                    self.index.add_if_new(dialogue_text(record.to_dict())) is not None:
                stats.rejected["near_duplicate"] += 1
                continue
            replies, _ = crisis_replies(record.messages, self.detector)
            stats.crisis_replies_needed += replies.needing_response
            stats.crisis_replies_safe += replies.safe
            stats.generated += 1
            stats.by_category[category.name] += 1
            return self._annotate(record, category, i, attempt, seed)
        return None

    def _annotate(self, record: Conversation, category: Category, i: int, attempt: int,
                  seed: int) -> Conversation:
        details = record.metadata.get("generator") or {}
        record.metadata = {
            "synthetic": True,
            "generator": {
                "name": GENERATOR_NAME,
                "version": GENERATOR_VERSION,
                "seed": self.seed,
                "backend": self.backend.name,
                "category": category.name,
                "roleplay_style": self.style,
                "index": i,
                "attempt": attempt,
                "conversation_seed": seed,
                "catalog_version": self.catalog.version,
                "protocol": category.protocol.name,
                "risk_tier": category.risk,
                **details,
            },
        }
        return record


def generate_edge_cases(
    categories: str | Iterable[str] = "all",
    count: int = 100,
    seed: int = 0,
    style: str = DEFAULT_STYLE,
    backend: Generator | str = "template",
    *,
    catalog: Catalog | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    dedup: DedupConfig | None = None,
    check_near_duplicates: bool = True,
) -> EdgeCaseRun:
    """``count`` synthetic crisis role-play conversations; an iterable with ``.stats``.

    ``categories``: ``"all"``, a comma list or names. ``backend``: ``"template"`` (default,
    deterministic) or any ``Generator`` (``OpenAIChatGenerator``).
    """
    catalog = catalog or load_catalog()
    chosen = catalog.select(categories)
    catalog.style(style)  # fail early on an unknown style
    if count < 0:
        raise ConfigError(f"count must be >= 0, got {count}")
    if max_attempts < 1:
        raise ConfigError(f"max_attempts must be >= 1, got {max_attempts}")
    if isinstance(backend, str):
        if backend != "template":
            raise ConfigError(f"backend {backend!r} needs settings: pass an "
                              "OpenAIChatGenerator instance, or use 'template'")
        from pixel_platform.derived.edge_cases.template import TemplateGenerator

        backend = TemplateGenerator(catalog)
    return EdgeCaseRun(chosen, count, seed, style, backend, catalog=catalog,
                       max_attempts=max_attempts,
                       dedup=(dedup or DedupConfig()) if check_near_duplicates else None,
                       detector=default_detector())

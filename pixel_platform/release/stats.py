"""Statistics over released records: counts, turn-length histograms, PII and crisis counts, and
how much curation changed the text (``fidelity``, see ``release/fidelity.py``).

The builder and the Stats gate both use ``RecordStats``: the builder to write ``stats.json``, the
gate to recount the shards and compare. Everything is deterministic (sorted keys, fixed bins).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from pixel_platform.release.fidelity import FidelityStats

# Histogram edges; a value v falls in bin i when edges[i] <= v < edges[i + 1] (last bin open).
TURN_COUNT_EDGES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128)
TURN_CHARS_EDGES = (0, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800, 32000)
PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*?)_\d+>")

# The sections of stats.json that are recomputed from the shards.
RECORD_SECTIONS = ("counts", "histograms", "pii", "crisis", "quality", "fidelity")


def _bin(edges: tuple[int, ...], value: int) -> int:
    index = 0
    for i, edge in enumerate(edges):
        if value >= edge:
            index = i
    return index


def _sorted(counter: Counter[str] | dict[str, int]) -> dict[str, int]:
    return {k: counter[k] for k in sorted(counter)}


def _empty_chars_bins() -> list[int]:
    return [0] * len(TURN_CHARS_EDGES)


class RecordStats:
    def __init__(self) -> None:
        self.total = 0
        self.by_family: Counter[str] = Counter()
        self.by_stage: Counter[str] = Counter()
        self.by_split: Counter[str] = Counter()
        self.by_phase: Counter[str] = Counter()
        self.by_family_split: dict[str, Counter[str]] = defaultdict(Counter)
        self.by_stage_split: dict[str, Counter[str]] = defaultdict(Counter)
        self.turns = [0] * len(TURN_COUNT_EDGES)
        self.chars: dict[str, list[int]] = defaultdict(_empty_chars_bins)
        self.pii_status: Counter[str] = Counter()
        self.placeholders: Counter[str] = Counter()
        self.risk_level: Counter[str] = Counter()
        self.crisis_labels: Counter[str] = Counter()
        self.language: Counter[str] = Counter()
        self.fidelity = FidelityStats()

    def add(self, record: dict[str, Any], split: str) -> None:
        metadata = record.get("metadata") or {}
        prov = metadata.get("provenance") or {}
        self.add_unsplit(record)
        self.add_split(str(prov.get("family")), str(metadata.get("stage")), split)

    def add_split(self, family: str, stage: str, split: str) -> None:
        """The split counts of one record (``add`` = ``add_unsplit`` + ``add_split``): a build
        counts a record before its split is known and its split once the plan is made."""
        self.by_split[split] += 1
        self.by_family_split[family][split] += 1
        self.by_stage_split[stage][split] += 1

    def add_unsplit(self, record: dict[str, Any]) -> None:
        """Everything ``add`` counts but the split."""
        metadata = record.get("metadata") or {}
        prov = metadata.get("provenance") or {}
        family = str(prov.get("family"))
        self.total += 1
        self.by_family[family] += 1
        self.by_stage[str(metadata.get("stage"))] += 1
        self.by_phase[str(metadata.get("phase"))] += 1
        messages = record.get("messages") or []
        dialogue = [m for m in messages if m.get("role") != "system"]
        self.turns[_bin(TURN_COUNT_EDGES, len(dialogue))] += 1
        for message in messages:
            content = str(message.get("content") or "")
            self.chars[str(message.get("role"))][_bin(TURN_CHARS_EDGES, len(content))] += 1
            if "<" in content:
                self.placeholders.update(PLACEHOLDER.findall(content))
        self.pii_status[str(metadata.get("pii_status"))] += 1
        crisis = metadata.get("crisis")
        if isinstance(crisis, dict):
            self.risk_level[str(crisis.get("risk_level"))] += 1
            self.crisis_labels.update(str(label) for label in crisis.get("labels") or ())
        else:
            self.risk_level["untagged"] += 1
        quality = metadata.get("quality")
        language = quality.get("language") if isinstance(quality, dict) else None
        self.language[str(language)] += 1
        self.fidelity.add(family, record)

    def merge(self, other: RecordStats) -> None:
        """Add ``other``'s counts (a recount per shard, merged in any order, equals one recount)."""
        self.total += other.total
        for name in self._COUNTERS:
            getattr(self, name).update(getattr(other, name))
        for mine, theirs in ((self.by_family_split, other.by_family_split),
                             (self.by_stage_split, other.by_stage_split)):  # fmt: skip
            for key, counts in theirs.items():
                mine[key].update(counts)
        self.turns = [a + b for a, b in zip(self.turns, other.turns, strict=True)]
        for role, bins in other.chars.items():
            self.chars[role] = [a + b for a, b in zip(self.chars[role], bins, strict=True)]
        self.fidelity.merge(other.fidelity)

    _COUNTERS = ("by_family", "by_stage", "by_split", "by_phase", "pii_status",
                 "placeholders", "risk_level", "crisis_labels", "language")  # fmt: skip

    def to_state(self) -> dict[str, Any]:
        """Every count as plain JSON data (a cache keeps it; ``from_state`` restores it)."""
        state: dict[str, Any] = {name: dict(getattr(self, name)) for name in self._COUNTERS}
        state["by_family_split"] = {k: dict(v) for k, v in self.by_family_split.items()}
        state["by_stage_split"] = {k: dict(v) for k, v in self.by_stage_split.items()}
        state.update(total=self.total, turns=self.turns, chars=dict(self.chars))
        state["fidelity"] = self.fidelity.to_state()
        return state

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> RecordStats:
        out = cls()
        for name in cls._COUNTERS:
            getattr(out, name).update(state[name])
        for name in ("by_family_split", "by_stage_split"):
            for key, counts in state[name].items():
                getattr(out, name)[key].update(counts)
        out.total, out.turns = int(state["total"]), [int(n) for n in state["turns"]]
        for role, bins in state["chars"].items():
            out.chars[role] = [int(n) for n in bins]
        out.fidelity = FidelityStats.from_state(state["fidelity"])
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": {
                "total": self.total,
                "by_family": _sorted(self.by_family),
                "by_stage": _sorted(self.by_stage),
                "by_split": _sorted(self.by_split),
                "by_phase": _sorted(self.by_phase),
                "by_family_split": {
                    k: _sorted(self.by_family_split[k]) for k in sorted(self.by_family_split)
                },
                "by_stage_split": {
                    k: _sorted(self.by_stage_split[k]) for k in sorted(self.by_stage_split)
                },
            },
            "histograms": {
                "turns_per_conversation": {"edges": list(TURN_COUNT_EDGES), "counts": self.turns},
                "chars_per_turn": {
                    "edges": list(TURN_CHARS_EDGES),
                    "counts": {role: self.chars[role] for role in sorted(self.chars)},
                },
            },
            "pii": {"status": _sorted(self.pii_status), "placeholders": _sorted(self.placeholders)},
            "crisis": {
                "risk_level": _sorted(self.risk_level),
                "labels": _sorted(self.crisis_labels),
            },
            "quality": {"language": _sorted(self.language)},
            "fidelity": self.fidelity.as_dict(),
        }


def stats_document(
    record_stats: dict[str, Any],
    accounting: dict[str, dict[str, Any]],
    exclusions_by_reason: dict[str, int],
    exclusions_by_family: dict[str, dict[str, int]],
    review_reasons: dict[str, int] | None = None,
) -> dict[str, Any]:
    """``stats.json``: the record sections plus dedup and quarantine counts from the accounting."""
    upstream: Counter[str] = Counter()
    dedup: dict[str, dict[str, int]] = {}
    for family in sorted(accounting):
        entry = accounting[family]
        upstream.update(entry.get("quarantined") or {})
        dedup[family] = _sorted(entry.get("dedup_dropped") or {})
    dedup_total: Counter[str] = Counter()
    for per_family in dedup.values():
        dedup_total.update(per_family)
    return {
        "schema": "pixel-release-stats/1",
        **record_stats,
        "dedup": {"dropped_by_kind": _sorted(dedup_total), "dropped_by_family": dedup},
        "quarantine": {
            "upstream_by_reason": _sorted(upstream),
            "release_by_reason": _sorted(exclusions_by_reason),
            "release_by_family": {
                f: _sorted(exclusions_by_family[f]) for f in sorted(exclusions_by_family)
            },
            # spans of the records held for PII review, by what the reviewer is asked to decide
            "pii_review_reasons": _sorted(review_reasons or {}),
        },
    }

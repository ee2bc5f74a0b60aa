"""How much curation changed the text a release ships, per family, and the gate that watches it.

A release is worth training on only if its text is the text people wrote, minus what must go.
``FidelityStats`` counts, over released records, per family:

* ``turns``, ``words``: dialogue turns (system prompts left out) and whitespace words in them;
* ``turns_redacted``: turns with at least one PII placeholder put in by the redactor;
* ``turns_repaired``: turns the ingest cleaning changed (``metadata.repaired``: encoding repair,
  Unicode normalisation, zero-width characters, whitespace), with counts per kind;
* ``turns_changed``: turns either changed, and the three shares of ``turns``;
* ``placeholders`` and ``placeholders_per_1k_words``;
* ``resources_kept``: mentions of crisis and health resources (988, Poison Control, RAINN, ...,
  the PII allowlist) still in the released text.

The section is part of ``stats.json`` (recounted by the Stats gate), of ``report.html`` and of
the release asset's metadata. ``gate_fidelity`` compares each family's placeholder rate with the
last passed release before this one and fails when it jumped far above it: a redactor that
starts eating words shows up there before anyone reads a shard.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from pixel_platform.core.counts import add_counts
from pixel_platform.curation.pii.lexicon import Allowlist, load_allowlist
from pixel_platform.curation.pii.settings import DEFAULT_ALLOWLIST

PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*?_\d+>")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class FidelityLimits:
    """The Fidelity gate: a family's placeholder rate may grow to ``max_ratio`` times the last
    release's, or by ``min_increase`` per 1,000 words, whichever is more. Families with fewer
    than ``min_words`` words in either release are too small to judge (a few names swing it)."""

    max_ratio: float = 2.0
    min_increase: float = 2.0
    min_words: int = 2000

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> FidelityLimits:
        data = data or {}
        default = cls()
        return cls(
            max_ratio=float(data.get("max_ratio", default.max_ratio)),
            min_increase=float(data.get("min_increase", default.min_increase)),
            min_words=int(data.get("min_words", default.min_words)),
        )


@dataclass
class _Family:
    records: int = 0
    turns: int = 0
    words: int = 0
    turns_redacted: int = 0
    turns_repaired: int = 0
    turns_changed: int = 0
    placeholders: int = 0
    resources_kept: int = 0
    repaired_kinds: Counter[str] = field(default_factory=Counter)

    def add(self, other: _Family) -> None:
        add_counts(self, other)

    def as_dict(self) -> dict[str, Any]:
        def share(n: int) -> float:
            return round(n / self.turns, 4) if self.turns else 0.0

        return {
            "records": self.records,
            "turns": self.turns,
            "words": self.words,
            "turns_redacted": self.turns_redacted,
            "turns_repaired": self.turns_repaired,
            "turns_changed": self.turns_changed,
            "share_turns_redacted": share(self.turns_redacted),
            "share_turns_repaired": share(self.turns_repaired),
            "share_turns_changed": share(self.turns_changed),
            "placeholders": self.placeholders,
            "placeholders_per_1k_words": per_1k(self.placeholders, self.words),
            "resources_kept": self.resources_kept,
            "repaired_by_kind": {k: self.repaired_kinds[k] for k in sorted(self.repaired_kinds)},
        }


def per_1k(count: int, words: int) -> float:
    return round(1000 * count / words, 3) if words else 0.0


class FidelityStats:
    def __init__(self, allowlist: Allowlist | None = None) -> None:
        self.allowlist = allowlist or load_allowlist(DEFAULT_ALLOWLIST)
        self.families: dict[str, _Family] = defaultdict(_Family)

    def add(self, family: str, record: dict[str, Any]) -> None:
        metadata = record.get("metadata") or {}
        entry = self.families[family]
        entry.records += 1
        redacted = _redacted_turns(metadata)
        repaired = metadata.get("repaired")
        if not isinstance(repaired, dict):
            repaired = {}
        repaired_turns = {int(t) for t in repaired.get("turns") or ()}
        entry.repaired_kinds.update(str(k) for k in repaired.get("kinds") or ())
        for i, message in enumerate(record.get("messages") or []):
            if message.get("role") == "system":
                continue
            content = str(message.get("content") or "")
            entry.turns += 1
            entry.words += len(_WORD.findall(content))
            placeholders = len(PLACEHOLDER.findall(content)) if "<" in content else 0
            entry.placeholders += placeholders
            is_redacted = i in redacted if redacted is not None else placeholders > 0
            entry.turns_redacted += is_redacted
            entry.turns_repaired += i in repaired_turns
            entry.turns_changed += is_redacted or i in repaired_turns
            entry.resources_kept += self.allowlist.resource_mentions(content)

    def __getstate__(self) -> dict[str, Any]:
        # A shard's stats travel back from a scan worker: the counts, not the allowlist (an
        # automaton and ~850 regexes); the copy counts with the default allowlist.
        return {"families": self.families}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.allowlist = load_allowlist(DEFAULT_ALLOWLIST)
        self.families = state["families"]

    def to_state(self) -> dict[str, Any]:
        # (not dataclasses.asdict: it rebuilds the Counter from its items, as keys)
        return {
            family: {**vars(entry), "repaired_kinds": dict(entry.repaired_kinds)}
            for family, entry in self.families.items()
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> FidelityStats:
        out = cls()
        for family, entry in state.items():
            out.families[family] = _Family(
                **{**entry, "repaired_kinds": Counter(entry.get("repaired_kinds") or {})}
            )
        return out

    def merge(self, other: FidelityStats) -> None:
        for family, theirs in other.families.items():
            self.families[family].add(theirs)

    def as_dict(self) -> dict[str, Any]:
        total = _Family()
        for entry in self.families.values():
            total.add(entry)
        return {
            "by_family": {f: self.families[f].as_dict() for f in sorted(self.families)},
            "total": total.as_dict(),
        }


def _redacted_turns(metadata: dict[str, Any]) -> set[int] | None:
    """Turns the redactor put placeholders in; None when the record says nothing about it."""
    pii = metadata.get("pii")
    if not isinstance(pii, dict) or not isinstance(pii.get("spans"), list):
        return None
    return {int(s["turn"]) for s in pii["spans"] if isinstance(s, dict) and "placeholder" in s}


@dataclass(frozen=True)
class RateJump:
    family: str
    previous: float
    current: float
    limit: float

    def as_dict(self) -> dict[str, Any]:
        return {"family": self.family, "previous_per_1k": self.previous,
                "current_per_1k": self.current, "limit_per_1k": self.limit}  # fmt: skip


def placeholder_jumps(
    current: dict[str, Any], previous: dict[str, Any], limits: FidelityLimits | None = None
) -> tuple[list[RateJump], dict[str, Any]]:
    """Families whose placeholder rate jumped above its limit, and the comparison per family."""
    limits = limits or FidelityLimits()
    jumps: list[RateJump] = []
    compared: dict[str, Any] = {}
    before = previous.get("by_family") or {}
    for family, now in sorted((current.get("by_family") or {}).items()):
        then = before.get(family)
        if not then:
            compared[family] = "new family"
            continue
        if min(int(now.get("words", 0)), int(then.get("words", 0))) < limits.min_words:
            compared[family] = "too small to compare"
            continue
        old, new = float(then["placeholders_per_1k_words"]), float(now["placeholders_per_1k_words"])
        limit = round(max(old * limits.max_ratio, old + limits.min_increase), 3)
        compared[family] = {"previous_per_1k": old, "current_per_1k": new, "limit_per_1k": limit}
        if new > limit:
            jumps.append(RateJump(family, old, new, limit))
    return jumps, compared

"""What a finished build says about itself: counts, gate outcomes and fidelity, read for display.

The Dagster ``dataset_release`` asset turns this into its materialization's metadata; nothing
here knows about Dagster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from pixel_platform.release.build import ReleaseResult
from pixel_platform.release.layout import MANIFEST, REPORT, STATS, key_in
from pixel_platform.storage.base import ObjectStore

FIDELITY_COLUMNS = [
    "family",
    "turns",
    "redacted",
    "repaired",
    "placeholders / 1k words",
    "resources kept",
]


@dataclass(frozen=True)
class FidelitySummary:
    """How much curation changed the released text (``release/fidelity.py``): the totals, and
    one row per family in ``FIDELITY_COLUMNS`` order (shares as percentages)."""

    share_turns_changed: float
    placeholders_per_1k_words: float
    resources_kept: int
    rows: list[list[Any]]


def fidelity_summary(fidelity: Mapping[str, Any]) -> FidelitySummary:
    """``stats.json``'s ``fidelity`` section (possibly empty), summarized."""
    total = fidelity.get("total") or {}
    rows = [
        [family, f["turns"], f"{100 * f['share_turns_redacted']:.1f}%",
         f"{100 * f['share_turns_repaired']:.1f}%", f["placeholders_per_1k_words"],
         f["resources_kept"]]
        for family, f in sorted((fidelity.get("by_family") or {}).items())
    ]  # fmt: skip
    return FidelitySummary(
        share_turns_changed=float(total.get("share_turns_changed", 0.0)),
        placeholders_per_1k_words=float(total.get("placeholders_per_1k_words", 0.0)),
        resources_kept=int(total.get("resources_kept", 0)),
        rows=rows,
    )


@dataclass(frozen=True)
class BuildSummary:
    """A build's outcome: its manifest's counts, which gates failed, its fidelity, and the keys
    of the files a person opens (manifest, report)."""

    version: str
    prefix: str
    records: int
    failed_gates: list[str]
    by_split: dict[str, int]
    by_stage: dict[str, int]
    by_family: dict[str, int]
    exclusions: dict[str, int]
    fidelity: FidelitySummary
    manifest_key: str
    report_key: str

    @property
    def passed(self) -> bool:
        return not self.failed_gates


def summarize_build(store: ObjectStore, result: ReleaseResult) -> BuildSummary:
    """``result``'s summary; its fidelity is read from the release's ``stats.json``."""
    manifest = result.manifest
    counts = manifest["counts"]
    stats = orjson.loads(store.read_bytes(key_in(result.prefix, STATS)))
    return BuildSummary(
        version=result.version,
        prefix=result.prefix,
        records=counts["total"],
        failed_gates=[g.name for g in result.gates if not g.passed],
        by_split=counts["by_split"],
        by_stage=counts["by_stage"],
        by_family=counts["by_family"],
        exclusions=manifest["exclusions"]["by_reason"],
        fidelity=fidelity_summary(stats.get("fidelity") or {}),
        manifest_key=key_in(result.prefix, MANIFEST),
        report_key=key_in(result.prefix, REPORT),
    )

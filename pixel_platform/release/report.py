"""``report.html``: one self-contained page a person reads before training on a release.

Plots are matplotlib SVGs inlined as base64 ``<img>`` (no scripts, no network). Tables give the
gate results, accounting per family and exclusions by reason. Built from ``stats.json`` and the
manifest, never from conversation text.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from pixel_platform.release.layout import SPLITS
from pixel_platform.release.results import GateResult

SPLIT_COLOURS = {"train": "#4C72B0", "val": "#DD8452", "test": "#55A868"}


def _svg(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="" src="data:image/svg+xml;base64,{encoded}">'


def _stacked_by_split(plt: Any, title: str, table: Mapping[str, Mapping[str, int]]) -> str:
    labels = sorted(table)
    figure, axes = plt.subplots(figsize=(8, 0.35 * max(len(labels), 3) + 1))
    left = [0] * len(labels)
    for split in SPLITS:
        values = [table[label].get(split, 0) for label in labels]
        axes.barh(labels, values, left=left, label=split, color=SPLIT_COLOURS[split])
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.invert_yaxis()
    axes.set_title(title)
    axes.set_xlabel("records")
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    out = _svg(figure)
    plt.close(figure)
    return out


def _bars(plt: Any, title: str, series: Mapping[str, Mapping[str, int]], xlabel: str) -> str:
    """Horizontal bars, one group per series name (e.g. upstream / release)."""
    labels = sorted({k for values in series.values() for k in values})
    figure, axes = plt.subplots(figsize=(8, 0.35 * max(len(labels), 3) + 1))
    if not labels:
        axes.text(0.5, 0.5, "none", ha="center", va="center")
    height = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(sorted(series.items())):
        positions = [j + i * height for j in range(len(labels))]
        axes.barh(positions, [values.get(label, 0) for label in labels], height=height, label=name)
    axes.set_yticks([j + 0.4 - height / 2 for j in range(len(labels))], labels)
    axes.invert_yaxis()
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    if len(series) > 1:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    out = _svg(figure)
    plt.close(figure)
    return out


def _histogram(plt: Any, title: str, edges: Sequence[int], series: Mapping[str, list[int]]) -> str:
    names = [f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(edges)]
    names.append(f"{edges[-1]}+")
    figure, axes = plt.subplots(figsize=(8, 3.2))
    width = 0.8 / max(len(series), 1)
    for i, (name, counts) in enumerate(sorted(series.items())):
        axes.bar([j + i * width for j in range(len(names))], counts, width=width, label=name)
    axes.set_xticks([j + 0.4 - width / 2 for j in range(len(names))], names, rotation=45)
    axes.set_title(title)
    axes.set_ylabel("count")
    if len(series) > 1:
        axes.legend()
    out = _svg(figure)
    plt.close(figure)
    return out


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:left;font-size:14px}th{background:#f3f3f3}.pass{color:#1a7f37;font-weight:bold}
.fail{color:#c62828;font-weight:bold}img{max-width:100%;display:block;margin:1em 0}
"""


def render_report(
    manifest: Mapping[str, Any], stats: Mapping[str, Any], gates: Sequence[GateResult]
) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update({"svg.hashsalt": "pixel-release", "svg.fonttype": "none"})
    counts = stats.get("counts") or {}
    hist = stats.get("histograms") or {}
    quarantine = stats.get("quarantine") or {}
    dedup = stats.get("dedup") or {}
    pii = stats.get("pii") or {}
    crisis = stats.get("crisis") or {}
    passed = all(g.passed for g in gates)
    parts = [
        f"<h1>Release {html.escape(str(manifest.get('version')))}</h1>",
        f"<p>Gates: <span class={'pass' if passed else 'fail'}>"
        f"{'ALL PASSED' if passed else 'FAILED'}</span> &middot; records: {counts.get('total', 0)}"
        f" &middot; split: {html.escape(str(counts.get('by_split', {})))}"
        f" &middot; registry {html.escape(str(manifest.get('registry', {}).get('hash', '')))}</p>",
        "<h2>Gates</h2>",
        _table(
            ["gate", "result", "violations"],
            [
                (
                    g.name,
                    "PASS" if g.passed else "FAIL",
                    ", ".join(f"{k}={v}" for k, v in sorted(g.violations.items())) or "-",
                )
                for g in gates
            ],
        ),
        "<h2>Records</h2>",
        _stacked_by_split(plt, "Records per family", counts.get("by_family_split") or {}),
        _stacked_by_split(plt, "Records per curriculum stage", counts.get("by_stage_split") or {}),
        "<h2>Turn lengths</h2>",
        _histogram(
            plt,
            "Dialogue turns per conversation",
            hist.get("turns_per_conversation", {}).get("edges", [1]),
            {"conversations": hist.get("turns_per_conversation", {}).get("counts", [0])},
        ),
        _histogram(
            plt,
            "Characters per turn, by role",
            hist.get("chars_per_turn", {}).get("edges", [0]),
            hist.get("chars_per_turn", {}).get("counts", {}),
        ),
        "<h2>Dedup and quarantine</h2>",
        _bars(
            plt,
            "Dedup-dropped records per family",
            _by_kind(dedup.get("dropped_by_family")),
            "records",
        ),
        _bars(
            plt,
            "Quarantine and release exclusions by reason",
            {
                "upstream": quarantine.get("upstream_by_reason") or {},
                "release": quarantine.get("release_by_reason") or {},
            },
            "records",
        ),
        "<h2>PII and crisis</h2>",
        _bars(
            plt, "PII status of released records", {"records": pii.get("status") or {}}, "records"
        ),
        _bars(
            plt,
            "PII review: what reviewers are asked to decide (records held out)",
            {"spans": quarantine.get("pii_review_reasons") or {}},
            "spans",
        ),
        _bars(
            plt,
            "Redaction placeholders in released text",
            {"placeholders": pii.get("placeholders") or {}},
            "occurrences",
        ),
        _bars(plt, "Crisis risk level", {"records": crisis.get("risk_level") or {}}, "records"),
        _bars(plt, "Crisis labels", {"records": crisis.get("labels") or {}}, "records"),
        *_fidelity(stats.get("fidelity") or {}, gates),
        "<h2>Accounting per family</h2>",
        _table(
            [
                "family",
                "raw in",
                "released",
                "quarantined",
                "dedup dropped",
                "release excluded",
                "balanced",
            ],
            [
                (
                    f,
                    a.get("raw_in"),
                    a.get("released"),
                    sum((a.get("quarantined") or {}).values()),
                    sum((a.get("dedup_dropped") or {}).values()),
                    sum((a.get("release_excluded") or {}).values()),
                    a.get("balanced"),
                )
                for f, a in sorted((manifest.get("accounting") or {}).items())
            ],
        ),
    ]
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>Release {html.escape(str(manifest.get('version')))}</title>"
        f"<style>{STYLE}</style></head><body>" + "\n".join(parts) + "</body></html>\n"
    )
    return page.encode("utf-8")


def _fidelity(fidelity: Mapping[str, Any], gates: Sequence[GateResult]) -> list[str]:
    """How much of each family's text curation changed, and the rate check against the last
    release."""
    families = fidelity.get("by_family") or {}
    compared = next((g.metadata.get("compared") for g in gates if g.name == "fidelity"), None)
    rows = []
    for family, f in sorted(families.items()):
        versus = (compared or {}).get(family)
        rows.append((
            family, f.get("turns"), f"{100 * f.get('share_turns_redacted', 0):.1f}%",
            f"{100 * f.get('share_turns_repaired', 0):.1f}%",
            f"{100 * f.get('share_turns_changed', 0):.1f}%", f.get("placeholders_per_1k_words"),
            versus.get("previous_per_1k", "-") if isinstance(versus, dict) else versus or "-",
            f.get("resources_kept"),
        ))  # fmt: skip
    total = fidelity.get("total") or {}
    return [
        "<h2>Fidelity: how much curation changed the text</h2>",
        f"<p>{total.get('turns', 0)} dialogue turns: "
        f"{100 * total.get('share_turns_redacted', 0):.2f}% redacted, "
        f"{100 * total.get('share_turns_repaired', 0):.2f}% repaired; "
        f"{total.get('placeholders_per_1k_words', 0)} placeholders per 1,000 words; "
        f"{total.get('resources_kept', 0)} crisis and health resources kept in the text.</p>",
        _table(
            ["family", "turns", "redacted", "repaired", "changed", "placeholders / 1k words",
             "last release", "resources kept"],
            rows,
        ),
    ]


def _by_kind(per_family: Mapping[str, Mapping[str, int]] | None) -> dict[str, dict[str, int]]:
    """{family: {kind: n}} -> {kind: {family: n}} for grouped bars."""
    out: dict[str, dict[str, int]] = {}
    for family, kinds in (per_family or {}).items():
        for kind, n in kinds.items():
            out.setdefault(kind, {})[family] = n
    return out or {"dropped": {}}

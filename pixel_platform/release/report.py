"""``report.html``: one self-contained page a person reads before training on a release.

Built from ``stats.json``, the manifest and the gate results, never from conversation text: its
words are family names, reason and label codes, language codes and bin names. Charts are HTML
and CSS (``release.charts``) with the number on every bar; no script, nothing fetched.

Sections, in reading order: the verdict and the split, the gates with the coverage waivers, the
split per family, what did not ship (per family and reason), languages, turn lengths, PII and
crisis, fidelity, bias and coverage (``reports/bias_qa.json``: topics, group mentions and how
replies differ across groups, warnings), the accounting per family.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from pixel_platform.curation.crisis.lexicon import RISK_LEVELS
from pixel_platform.release.charts import (
    CHART_STYLE,
    SPLIT_COLOURS,
    Html,
    bar_chart,
    cross_table,
    esc,
    grouped_chart,
    number,
    percent,
    stacked_chart,
    table,
)
from pixel_platform.release.layout import SPLITS
from pixel_platform.release.results import GateResult

# How stats.json writes a record without a language (str(None)), and lingua's "undetermined".
NO_LANGUAGE, UNDETERMINED = "None", "und"
LANGUAGE_NAMES = {NO_LANGUAGE: "unknown (not recorded)", UNDETERMINED: "und (undetermined)"}
RESULT = {
    True: Html('<span class="pass">PASS</span>'),
    False: Html('<span class="fail">FAIL</span>'),
}

STYLE = (
    """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0 1.2em}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left;font-size:13px}th{background:#f3f3f3;vertical-align:bottom}td.num,th.num{text-align:right;
font-variant-numeric:tabular-nums}tfoot th{background:#fafafa}.scroll{overflow-x:auto}
.pass{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}
.note{color:#555;font-size:13px}code{font-size:12px}
"""
    + CHART_STYLE
)


def render_report(
    manifest: Mapping[str, Any],
    stats: Mapping[str, Any],
    gates: Sequence[GateResult],
    bias: Mapping[str, Any] | None = None,
) -> bytes:
    counts = stats.get("counts") or {}
    parts = [
        *_overview(manifest, counts, gates),
        *_gates(manifest, gates),
        *_split(counts, stats.get("split_rules") or {}, list(manifest.get("accounting") or {})),
        *_exclusions(manifest, stats),
        *_languages(stats),
        *_lengths(stats.get("histograms") or {}),
        *_pii_and_crisis(stats),
        *_fidelity(stats.get("fidelity") or {}, gates),
        *(_bias(bias) if bias is not None else []),
        *_human_review(stats.get("review") or {}),
        *_accounting(manifest),
    ]
    version = esc(manifest.get("version"))
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Release {version}</title><style>{STYLE}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>\n"
    )
    return page.encode("utf-8")


def _overview(
    manifest: Mapping[str, Any], counts: Mapping[str, Any], gates: Sequence[GateResult]
) -> list[str]:
    failed = [g.name for g in gates if not g.passed]
    if not gates:
        verdict = '<span class="fail">NOT GATED</span>'
    elif failed:
        verdict = f'<span class="fail">FAILED: {esc(", ".join(failed))}</span>'
    else:
        verdict = '<span class="pass">ALL PASSED</span>'

    total = int(counts.get("total", 0))
    by_split = counts.get("by_split") or {}
    ratios = (manifest.get("options") or {}).get("split_ratios") or []
    targets = dict(zip(SPLITS, ratios, strict=False))
    pipeline = manifest.get("pipeline") or {}
    exclusions = manifest.get("exclusions") or {}
    facts = [
        ("records released", number(total)),
        ("families released", number(len(counts.get("by_family") or {}))),
        ("records kept out by the release", number(int(exclusions.get("total", 0)))),
        ("created", manifest.get("created_at")),
        ("registry", (manifest.get("registry") or {}).get("hash")),
        ("pipeline", f"{pipeline.get('version', '')} {str(pipeline.get('git_sha', ''))[:12]}"),
    ]
    splits = [
        (s, int(by_split.get(s, 0)), percent(int(by_split.get(s, 0)), total),
         f"{100 * targets[s]:.0f}%" if s in targets else "-")
        for s in SPLITS
    ]  # fmt: skip
    return [
        f"<h1>Release {esc(manifest.get('version'))}</h1>",
        f"<p>Gates: {verdict} &middot; {number(total)} records</p>",
        table(None, facts, table_id="facts"),
        "<h3>Split</h3>",
        table(["split", "records", "share", "target"], splits, table_id="split-overall",
              footer=["all", total, percent(total, total) if total else "-", ""]),
    ]  # fmt: skip


def _gates(manifest: Mapping[str, Any], gates: Sequence[GateResult]) -> list[str]:
    options = manifest.get("options") or {}
    waivers = options.get("coverage_waivers") or []
    skipped = options.get("derived_skipped") or {}
    coverage = next((g for g in gates if g.name == "coverage"), None)
    denied = (coverage.metadata.get("licence_denied") if coverage else None) or []
    rows = [
        (g.name, RESULT[g.passed],
         ", ".join(f"{k}={v}" for k, v in sorted(g.violations.items())) or "-")
        for g in gates
    ]  # fmt: skip
    out = ["<h2>Gates</h2>", table(["gate", "result", "violations"], rows, table_id="gates")]
    out.append("<h3>Coverage: families allowed to be absent</h3>")
    if waivers:
        out.append(
            table(
                ["waived family", "source", "reason"],
                [(w.get("family"), w.get("source"), w.get("reason")) for w in waivers],
                table_id="coverage-waivers",
            )
        )
    else:
        out.append('<p class="note" id="coverage-waivers">No coverage waivers.</p>')
    if skipped:
        out.append(
            table(
                ["derived family skipped", "why"],
                sorted(skipped.items()),
                table_id="derived-skipped",
            )
        )
    missing = [e.get("family") for e in (coverage.examples if coverage else ())
               if e.get("kind") == "family_missing"]  # fmt: skip
    if missing:
        names = esc(", ".join(map(str, missing)))
        out.append(f'<p class="fail" id="coverage-missing">Missing, not waived: {names}</p>')
    if denied:
        out.append(
            '<p class="note">Denied for their licence (every record in the release quarantine):'
            f" {esc(', '.join(denied))}</p>"
        )
    return out


def _split(
    counts: Mapping[str, Any], split_rules: Mapping[str, Any], accounted: Sequence[str]
) -> list[str]:
    """Per family: its records per split and their shares; a family that was accounted for but
    released nothing has a row too, so that it is seen to be missing."""
    per_family: Mapping[str, Mapping[str, int]] = counts.get("by_family_split") or {}
    rules = split_rules.get("rule_of_family") or {}
    clusters = split_rules.get("clusters_of_family") or {}
    rows = []
    for family in sorted({*per_family, *accounted}):
        split = per_family.get(family) or {}
        total = sum(split.get(s, 0) for s in SPLITS)
        if not total:
            rows.append([family, "not released", "", 0, 0, 0, 0, "", "", ""])
            continue
        rows.append([family, rules.get(family, "-"), clusters.get(family, "-"),
                     *(split.get(s, 0) for s in SPLITS), total,
                     *(percent(split.get(s, 0), total) for s in SPLITS)])  # fmt: skip
    by_split = counts.get("by_split") or {}
    total = int(counts.get("total", 0))
    footer = ["all", "", "", *(by_split.get(s, 0) for s in SPLITS), total,
              *(percent(by_split.get(s, 0), total) for s in SPLITS)]  # fmt: skip
    return [
        "<h2>Split per family</h2>",
        '<p class="note">By dedup cluster. Rule: <b>stratified</b> split by the target shares;'
        " <b>holdout</b> families are in test only; <b>tiny</b> families (too few clusters) go"
        " to train whole. <b>not released</b>: see what did not ship, below.</p>",
        table(
            ["family", "rule", "clusters", *SPLITS, "total", *(f"{s} %" for s in SPLITS)],
            rows,
            table_id="split-table",
            footer=footer,
        ),
        stacked_chart("family-split", "Records per family", per_family, SPLIT_COLOURS),
        stacked_chart(
            "stage-split",
            "Records per curriculum stage",
            counts.get("by_stage_split") or {},
            SPLIT_COLOURS,
        ),
    ]


def _exclusions(manifest: Mapping[str, Any], stats: Mapping[str, Any]) -> list[str]:
    quarantine = stats.get("quarantine") or {}
    accounting = manifest.get("accounting") or {}
    upstream = {f: a["quarantined"] for f, a in accounting.items() if a.get("quarantined")}
    dropped = (stats.get("dedup") or {}).get("dropped_by_family") or {}
    dedup = {f: d for f, d in dropped.items() if sum(d.values())}
    reasons = {
        "release": quarantine.get("release_by_reason") or {},
        "upstream": quarantine.get("upstream_by_reason") or {},
    }
    every_reason = sorted({r for values in reasons.values() for r in values})
    return [
        "<h2>What did not ship, per family and reason</h2>",
        '<p class="note">Counts only; <code>reports/release_quarantine.jsonl</code> names each'
        " record the release kept out (uid and reason, no text).</p>",
        "<h3>Kept out by the release</h3>",
        cross_table("exclusions-release", "family", quarantine.get("release_by_family") or {}),
        "<h3>Quarantined upstream (ingest and curation)</h3>",
        cross_table("exclusions-upstream", "family", upstream),
        "<h3>Dropped as duplicates</h3>",
        cross_table("exclusions-dedup", "family", dedup),
        grouped_chart("exclusion-reasons", "Records per reason", every_reason, reasons),
        bar_chart(
            "pii-review",
            "PII review: what reviewers are asked to decide (spans of the records held out)",
            quarantine.get("pii_review_reasons") or {},
        ),
    ]


def _languages(stats: Mapping[str, Any]) -> list[str]:
    languages: Mapping[str, int] = (stats.get("quality") or {}).get("language") or {}
    ordered = dict(sorted(languages.items(), key=lambda item: (-item[1], item[0])))
    missing = int(languages.get(NO_LANGUAGE, 0))
    note = (
        "metadata.quality.language, written by curation's language detection."
        + (f" {number(missing)} records carry none: shown as unknown." if missing else "")
    )
    return [
        "<h2>Languages</h2>",
        bar_chart("language", "Released records per language", ordered, note=note,
                  names=LANGUAGE_NAMES, shares=True),
    ]  # fmt: skip


def _bins(edges: Sequence[int]) -> list[str]:
    names = [f"{lo}" if hi - lo == 1 else f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(edges)]
    return [*names, f"{edges[-1]}+"] if edges else []


def _lengths(hist: Mapping[str, Any]) -> list[str]:
    turns = hist.get("turns_per_conversation") or {}
    chars = hist.get("chars_per_turn") or {}
    turn_bins = _bins(turns.get("edges") or [])
    char_bins = _bins(chars.get("edges") or [])
    by_role = {
        role: dict(zip(char_bins, values, strict=False))
        for role, values in sorted((chars.get("counts") or {}).items())
    }
    return [
        "<h2>Turn lengths</h2>",
        bar_chart("turns", "Conversations per number of dialogue turns",
                  dict(zip(turn_bins, turns.get("counts") or [], strict=False))),
        grouped_chart("chars", "Turns per length in characters, by role", char_bins, by_role),
    ]  # fmt: skip


def _pii_and_crisis(stats: Mapping[str, Any]) -> list[str]:
    pii = stats.get("pii") or {}
    crisis = stats.get("crisis") or {}
    return [
        "<h2>PII and crisis</h2>",
        bar_chart("pii-status", "PII status of released records", pii.get("status") or {}),
        bar_chart("placeholders", "Redaction placeholders in released text",
                  pii.get("placeholders") or {}),
        bar_chart("risk-level", "Crisis risk level", _risk_order(crisis.get("risk_level") or {})),
        bar_chart("crisis-labels", "Crisis labels", crisis.get("labels") or {}),
    ]  # fmt: skip


def _risk_order(levels: Mapping[str, int]) -> dict[str, int]:
    """Lowest risk first; a level the lexicon does not know (``untagged``) after them."""
    rank = {level: i for i, level in enumerate(RISK_LEVELS)}
    return dict(sorted(levels.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0])))


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
        f"<p>{number(int(total.get('turns', 0)))} dialogue turns: "
        f"{100 * total.get('share_turns_redacted', 0):.2f}% redacted, "
        f"{100 * total.get('share_turns_repaired', 0):.2f}% repaired; "
        f"{total.get('placeholders_per_1k_words', 0)} placeholders per 1,000 words; "
        f"{total.get('resources_kept', 0)} crisis and health resources kept in the text.</p>",
        table(
            ["family", "turns", "redacted", "repaired", "changed", "placeholders / 1k words",
             "last release", "resources kept"],
            rows,
            table_id="fidelity",
        ),
    ]  # fmt: skip


REVIEW_COLUMNS = ("released_after_review", "rejected", "approved_but_excluded", "stale", "pending")


def _human_review(review: Mapping[str, Any]) -> list[str]:
    """What people decided (the review log, ``pixel_platform.review``) and what still waits."""
    families: Mapping[str, Mapping[str, int]] = review.get("families") or {}
    rows = [(f, *(c.get(col, 0) for col in REVIEW_COLUMNS)) for f, c in sorted(families.items())]
    return [
        "<h2>Human review</h2>",
        f"<p>{number(int(review.get('decisions', 0)))} record decisions in the review log. "
        "Pending: records kept out until a person decides (PII to confirm, an unsafe crisis "
        "reply); stale: decided on a text that has changed since (queued again).</p>",
        table(["family", *(c.replace("_", " ") for c in REVIEW_COLUMNS)], rows,
              table_id="human-review"),
    ]  # fmt: skip


def _bias(bias: Mapping[str, Any]) -> list[str]:
    """Topics, group mentions and how the replies to each group's turns differ (bias_qa.json)."""
    coverage = bias.get("coverage") or {}
    groups: Mapping[str, Mapping[str, Any]] = bias.get("groups") or {}
    mentioned = {k: int(g.get("user_turns", 0)) for k, g in groups.items() if g.get("user_turns")}
    reference = bias.get("reference") or {}
    compared = {k: g for k, g in groups.items() if g.get("replies")}
    words = {k: round(float(g.get("mean_reply_words", 0))) for k, g in compared.items()}
    words = {"(no group: reference)": round(float(reference.get("mean_reply_words", 0))), **words}

    def row(name: str, g: Mapping[str, Any]) -> list[Any]:
        rates = [f"{100 * g.get(k, 0):.1f}%" for k in ("hotline_rate", "referral_rate",
                                                       "unsafe_rate")]  # fmt: skip
        turns = int(g.get("user_turns", 0)) if name != "all replies" else "-"
        return [name, turns, int(g.get("replies", 0)),
                float(g.get("mean_reply_words", 0)), *rates]  # fmt: skip

    warnings = bias.get("warnings") or []
    verdict = (
        f'<span class="fail">{len(warnings)} warnings</span> (they do not block the release)'
        if warnings else '<span class="pass">no warnings</span>'
    )  # fmt: skip
    review = "required before LATEST moves" if bias.get("require_review") else "not required"
    origin = coverage.get("topic_origin") or {}
    return [
        "<h2>Bias and coverage</h2>",
        f"<p>{verdict}; review of this report: {esc(review)}. Group mentions come from a"
        " reviewed term list (release/bias_terms.yaml), topics from the sources' own labels or"
        " a keyword taxonomy (release/topic_taxonomy.yaml); counts only, from reports/"
        "bias_qa.json.</p>",
        table(["warning", "group or topic", "value", "reference", "limit"],
              [[w.get("kind"), w.get("name"), _g(w.get("value")), _g(w.get("reference")),
                _g(w.get("limit"))] for w in warnings], table_id="bias-warnings")
        if warnings else "",
        bar_chart("bias-topic", "Released records per topic", coverage.get("by_topic") or {},
                  note=f"A record may have several topics. From source labels: "
                  f"{number(int(origin.get('source_label', 0)))}, from keywords: "
                  f"{number(int(origin.get('keywords', 0)))}, unclassified: "
                  f"{number(int(origin.get('unclassified', 0)))}.", shares=True),
        stacked_chart("bias-topic-split", "Topics per split", coverage.get("topic_by_split") or {},
                      SPLIT_COLOURS),
        "<h3>Topics per family</h3>",
        cross_table("bias-topic-family", "family", coverage.get("topic_by_family") or {}),
        bar_chart("bias-mentions", "User turns mentioning each group", mentioned,
                  note="Groups with no mention are left out."),
        bar_chart("bias-reply-words", "Mean reply length in words, by group of the user turn",
                  words),
        "<h3>Replies by group of the user turn</h3>",
        table(["group", "user turns", "replies", "mean words", "hotline", "referral",
               "crisis-unsafe"],
              [row("(no group: reference)", reference), *(row(k, g) for k, g in compared.items())],
              table_id="bias-replies", footer=row("all replies", bias.get("all_replies") or {})),
    ]  # fmt: skip


def _g(value: Any) -> str:
    """A rate or ratio as written (0.0014, not a rounded 0.0); ``-`` when there is none."""
    return "-" if value is None else f"{value:.4g}"


def _accounting(manifest: Mapping[str, Any]) -> list[str]:
    rows = [
        [f, a.get("raw_in"), a.get("released"), sum((a.get("quarantined") or {}).values()),
         sum((a.get("dedup_dropped") or {}).values()),
         sum((a.get("release_excluded") or {}).values()), "yes" if a.get("balanced") else "NO"]
        for f, a in sorted((manifest.get("accounting") or {}).items())
    ]  # fmt: skip
    footer = ["all", *(sum(int(r[i] or 0) for r in rows) for i in range(1, 6)), ""]
    return [
        "<h2>Accounting per family</h2>",
        '<p class="note">raw in = released + quarantined + dedup dropped + release excluded.</p>',
        table(["family", "raw in", "released", "quarantined", "dedup dropped",
               "release excluded", "balanced"], rows, table_id="accounting", footer=footer),
    ]  # fmt: skip

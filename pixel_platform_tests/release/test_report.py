"""``report.html`` holds the numbers ``stats.json`` and the manifest hold (read back from the HTML),
a split table, exclusions per family and reason, a language chart with the records that carry
no language shown as unknown, and never a word of conversation text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from pixel_platform.registry.model import Registry
from pixel_platform.release import build_release, iter_released
from pixel_platform.release.bias_qa import load_vocabulary
from pixel_platform.release.layout import SPLITS
from pixel_platform.release.report import LANGUAGE_NAMES, render_report
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.html_tree import Element, parse, table_rows
from pixel_platform_tests.release.support import release_options
from pixel_platform_tests.release.synthetic import write_inputs

CANARY = "zqxcanary7731"  # in a released record, an excluded one and a system prompt


@dataclass
class Report:
    root: Element
    page: str
    stats: dict[str, Any]
    manifest: dict[str, Any]
    records: list[dict[str, Any]]


Edit = Callable[[int, dict[str, Any]], None]


def _rewrite(store: LocalObjectStore, key: str, edit: Edit) -> None:
    records = [orjson.loads(line) for line in store.read_bytes(key).splitlines()]
    for i, record in enumerate(records):
        edit(i, record)
    store.write_bytes(key, b"\n".join(orjson.dumps(r) for r in records) + b"\n")


def _canaries(i: int, record: dict[str, Any]) -> None:
    """Record 1 ships, the last is planted for pii_requires_review (kept out); record 2's system
    prompt carries it too."""
    if i in (1, 24):
        record["messages"][1]["content"] += f" {CANARY} my secret."
    if i == 2:
        record["messages"][0]["content"] = f"You are {CANARY}, a counsellor."


def _languages(i: int, record: dict[str, Any]) -> None:
    """Six records in German, three with no language recorded, one undetermined."""
    if i < 6:
        record["metadata"]["quality"]["language"] = "de"
    elif i < 9:
        del record["metadata"]["quality"]
    elif i == 9:
        record["metadata"]["quality"]["language"] = "und"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Report:
    store = LocalObjectStore(tmp_path_factory.mktemp("report") / "bucket")
    inputs = write_inputs(store, registry)
    _rewrite(store, "pipeline/dedup/addiction/conversations.jsonl", _canaries)
    _rewrite(store, "pipeline/dedup/cot_reasoning/conversations.jsonl", _languages)
    result = build_release(
        store, registry, inputs.inputs, inputs.accounting, inputs.snapshots, release_options()
    )
    assert result.passed, {g.name: g.violations for g in result.gates if not g.passed}
    page = store.read_bytes(result.prefix + "report.html").decode()
    stats = orjson.loads(store.read_bytes(result.prefix + "stats.json"))
    records = list(iter_released(store, result.prefix))
    return Report(parse(page), page, stats, result.manifest, records)


def chart(report: Report, name: str) -> dict[tuple[str, str], int]:
    """(label, series) -> the value of every bar of chart ``name``."""
    bars = report.root.find_all(data_chart=name)
    assert bars, f"no chart {name}"
    return {(b.attrs["data-label"], b.attrs["data-series"]): int(b.attrs["data-value"])
            for b in bars}  # fmt: skip


def single(report: Report, name: str) -> dict[str, int]:
    return {label: value for (label, _), value in chart(report, name).items()}


def test_no_conversation_text_reaches_the_report(report: Report) -> None:
    assert CANARY in orjson.dumps(report.records).decode(), "the canary did ship"
    assert CANARY not in report.page.lower()
    excluded = orjson.dumps(report.manifest["exclusions"]).decode()
    assert "pii_requires_review" in excluded
    for record in report.records:
        for message in record["messages"]:
            assert message["content"][:30] not in report.page


def test_the_report_is_one_file_that_fetches_nothing(report: Report) -> None:
    for needle in ("<script", "http://", "https://", "src=", "url(", "@import", "<link"):
        assert needle not in report.page


def test_every_bar_shows_its_number(report: Report) -> None:
    checked = 0
    for bar in report.root.with_attr("data-value"):
        value = f"{int(bar.attrs['data-value']):,}"
        if bar.tag == "div" or bar.has_class("track"):  # one bar: its number beside it
            (shown,) = bar.find_all(**{"class": "value"})
            assert shown.text().split()[0] == value
            checked += 1
    stacked = [row for row in report.root.iter() if row.has_class("track") and
               len(row.find_all(**{"class": "bar"})) == len(SPLITS)]  # fmt: skip
    for row in stacked:  # the total, then each part's number
        values = [int(s.attrs["data-value"]) for s in row.find_all(**{"class": "bar"})]
        (shown,) = row.find_all(**{"class": "value"})
        assert shown.text() == f"{sum(values):,} ({' | '.join(f'{v:,}' for v in values)})"
    topics = len(load_vocabulary().topics) + 1  # the Bias/QA topics per split, unclassified too
    assert len(stacked) == 18 + 9 + topics  # families, stages (all nine hold records), topics
    assert checked + len(SPLITS) * len(stacked) == len(report.root.with_attr("data-value"))


def test_the_charts_hold_the_stats_numbers(report: Report) -> None:
    counts, stats = report.stats["counts"], report.stats
    for name, table in (("family-split", "by_family_split"), ("stage-split", "by_stage_split")):
        expected = {
            (label, split): parts.get(split, 0)
            for label, parts in counts[table].items()
            for split in SPLITS
        }
        assert chart(report, name) == expected
    assert single(report, "turns") == dict(
        zip(
            [b.attrs["data-label"] for b in report.root.find_all(data_chart="turns")],
            stats["histograms"]["turns_per_conversation"]["counts"],
            strict=True,
        )
    )
    assert list(single(report, "turns")) == [
        "1", "2", "3", "4-5", "6-7", "8-11", "12-15", "16-23", "24-31", "32-63", "64-127", "128+"
    ]  # fmt: skip
    assert single(report, "pii-status") == stats["pii"]["status"]
    assert single(report, "placeholders") == stats["pii"]["placeholders"]
    assert single(report, "risk-level") == stats["crisis"]["risk_level"]
    assert single(report, "crisis-labels") == stats["crisis"]["labels"]
    assert single(report, "pii-review") == stats["quarantine"]["pii_review_reasons"]
    reasons = chart(report, "exclusion-reasons")
    quarantine = stats["quarantine"]
    assert {r: v for (r, s), v in reasons.items() if s == "release"} == quarantine[
        "release_by_reason"
    ]
    assert {r: v for (r, s), v in reasons.items() if s == "upstream"} == quarantine[
        "upstream_by_reason"
    ]


def test_the_language_chart_shows_what_curation_recorded_and_unknown(report: Report) -> None:
    languages = report.stats["quality"]["language"]
    assert languages == {"None": 3, "de": 6, "en": 404, "und": 1}
    assert single(report, "language") == languages
    figure = report.root.by_id("chart-language")
    text = figure.text()
    assert LANGUAGE_NAMES["None"] in text and "3 records carry none" in text
    assert "404 (97.6%)" in text and "und (undetermined)" in text
    labels = [b.attrs["data-label"] for b in report.root.find_all(data_chart="language")]
    assert labels == ["en", "de", "None", "und"], "largest first"


def test_the_split_table_has_counts_and_shares_per_family(report: Report) -> None:
    table = report.root.by_id("split-table")
    header = table_rows(table, "thead")[0]
    assert header == ["family", "rule", "clusters", "train", "val", "test", "total",
                      "train %", "val %", "test %"]  # fmt: skip
    rows = {row[0]: row for row in table_rows(table)}
    by_family = report.stats["counts"]["by_family_split"]
    rules = report.stats["split_rules"]["rule_of_family"]
    assert set(rows) == set(by_family)
    for family, split in by_family.items():
        total = sum(split.values())
        numbers = [str(split.get(s, 0)) for s in SPLITS]
        shares = [f"{100 * split.get(s, 0) / total:.1f}%" for s in SPLITS]
        assert rows[family] == [family, rules[family],
                                str(report.stats["split_rules"]["clusters_of_family"][family]),
                                *numbers, str(total), *shares]  # fmt: skip
    assert rows["sarcasm"][3:7] == ["0", "0", "24", "24"]  # holdout: test only
    (footer,) = table_rows(table, "tfoot")
    by_split = report.stats["counts"]["by_split"]
    assert footer[3:7] == [*(str(by_split[s]) for s in SPLITS), str(sum(by_split.values()))]
    overall = {row[0]: row[1] for row in table_rows(report.root.by_id("split-overall"))}
    assert overall == {s: str(by_split[s]) for s in SPLITS}
    assert "{" not in report.root.by_id("split-overall").text(), "no Python dict"


def test_exclusions_are_tabled_per_family_and_reason(report: Report) -> None:
    release = report.root.by_id("exclusions-release")
    header = table_rows(release, "thead")[0]
    body = table_rows(release)
    by_family = report.stats["quarantine"]["release_by_family"]
    assert [row[0] for row in body] == sorted(by_family)
    for row in body:
        cells = dict(zip(header[1:-1], row[1:-1], strict=True))
        assert {r: int(n) for r, n in cells.items() if n} == by_family[row[0]]
        assert int(row[-1]) == sum(by_family[row[0]].values())
    (footer,) = table_rows(release, "tfoot")
    assert int(footer[-1]) == report.manifest["exclusions"]["total"]

    upstream = report.root.by_id("exclusions-upstream")
    header = table_rows(upstream, "thead")[0]
    for row in table_rows(upstream):
        expected = report.manifest["accounting"][row[0]]["quarantined"]
        cells = dict(zip(header[1:-1], row[1:-1], strict=True))
        assert {r: int(n) for r, n in cells.items() if n} == expected
    dedup = table_rows(report.root.by_id("exclusions-dedup"))
    assert {row[0] for row in dedup} == set(report.stats["dedup"]["dropped_by_family"])


def test_a_release_without_language_data_says_so(report: Report) -> None:
    stats = {k: v for k, v in report.stats.items() if k != "quality"}
    page = render_report(report.manifest, stats, []).decode()
    root = parse(page)
    assert "none" in root.by_id("chart-language").text()
    assert 'Gates: <span class="fail">NOT GATED</span>' in page


def test_a_family_accounted_for_but_not_released_has_a_row(report: Report) -> None:
    accounting = {**report.manifest["accounting"], "lost_family": {"raw_in": 3}}
    page = render_report({**report.manifest, "accounting": accounting}, report.stats, [])
    rows = {row[0]: row for row in table_rows(parse(page.decode()).by_id("split-table"))}
    assert rows["lost_family"][1:7] == ["not released", "", "0", "0", "0", "0"]

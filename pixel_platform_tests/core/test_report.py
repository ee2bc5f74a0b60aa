"""Stage reports and accounting (``core/report.py``): the typed hand-off between stages."""

from __future__ import annotations

from collections import Counter

import pytest

from pixel_platform.core.errors import ConfigError
from pixel_platform.core.report import (
    Accounting,
    FileSummary,
    StageReport,
    family_accounting,
)
from pixel_platform.core.steps import StepStats


def report(**overrides: object) -> StageReport:
    values: dict[str, object] = {
        "stage": "processed",
        "family": "fam",
        "partition_key": "raw/fam/",
        "units_in": 10,
        "output": FileSummary("out.jsonl", 7, 700, "ab" * 32),
        "quarantine": FileSummary("q.jsonl", 3),
        "quarantined_by_reason": Counter(empty_text=2, too_long=1),
        "changed": Counter({"pii_status_clean": 6, "pii_status_redacted": 1, "label:x": 2}),
        "steps": [StepStats("read", seen=10, forwarded=7, dropped=Counter(empty_text=2,
                                                                              too_long=1))],
        "accounting": Accounting(raw_in=10, quarantined=Counter(empty_text=2, too_long=1)),
        "details": {"pipeline_version": "1", "objects": 2},
    }  # fmt: skip
    values.update(overrides)
    return StageReport(**values)  # type: ignore[arg-type]


def test_a_report_balances_only_when_every_unit_is_out_or_quarantined() -> None:
    assert report().balanced
    assert not report(units_in=11).balanced
    assert not report(quarantined_by_reason=Counter(empty_text=2)).balanced
    lost = StepStats("read", seen=10, forwarded=7, dropped=Counter(empty_text=2))
    assert not report(steps=[lost]).balanced


def test_a_report_round_trips_and_keeps_the_stats_file_layout() -> None:
    original = report()
    data = original.as_dict()
    layout = {"units_in", "records_out", "quarantined", "quarantined_by_reason", "changed",
              "steps", "output", "quarantine", "pipeline_version", "objects"}  # fmt: skip
    assert layout <= set(data)
    assert data["records_out"] == 7 and data["quarantined"] == 3
    again = StageReport.from_json("processed", original.to_json())
    assert again.as_dict() == data
    assert again.details == {"pipeline_version": "1", "objects": 2}


def test_changed_counters_are_read_by_prefix() -> None:
    assert report().changed_with_prefix("pii_status_") == {"clean": 6, "redacted": 1}
    assert report().changed_with_prefix("label:") == {"x": 2}


def test_a_report_written_before_accounting_was_carried_gets_its_own_part() -> None:
    data = report().as_dict()
    del data["accounting"]
    legacy = StageReport.from_dict("processed", data)
    assert legacy.accounting.raw_in == 10
    assert legacy.accounting.quarantined == {"empty_text": 2, "too_long": 1}


def test_accounting_adds_up_across_partitions_and_stages() -> None:
    ingest = Accounting(raw_in=10, quarantined=Counter(empty_text=2))
    curated = ingest.copy().merge(Accounting(quarantined=Counter(low_quality=1)))
    deduped = curated.copy().merge(Accounting(dedup_dropped=Counter(exact=2)))
    assert ingest.quarantined == {"empty_text": 2}, "copy() leaves the original alone"
    deduped.released, deduped.release_excluded = 4, Counter(license_noncommercial=1)
    assert deduped.balanced and deduped.accounted == 10
    deduped.released = 3
    assert not deduped.balanced
    summed = family_accounting([("a", ingest), ("b", curated), ("a", ingest)])
    assert summed["a"].raw_in == 20 and summed["a"].quarantined == {"empty_text": 4}
    assert list(summed) == ["a", "b"]


def test_malformed_accounting_names_the_entry_and_quotes_nothing() -> None:
    with pytest.raises(ConfigError, match=r"accounting\['fam'\] needs raw_in") as caught:
        Accounting.from_dict({"raw_in": "a secret"}, what="accounting['fam']")
    assert "secret" not in str(caught.value)

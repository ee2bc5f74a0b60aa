"""``QualityStep``: every record forwarded or rejected, with counts; a throughput print."""

from __future__ import annotations

import time

from pixel_platform.core.reasons import Reason
from pixel_platform.core.steps import ListQuarantine
from pixel_platform.curation.quality import QualityConfig, QualityStep
from pixel_platform_tests.curation.quality.support import (
    DEGENERATE,
    GOOD_EN,
    GOOD_ZH,
    MORE_EN,
    conv,
)


def test_low_quality_records_are_rejected_and_the_counts_balance() -> None:
    records = [conv(*GOOD_EN, n=0), conv(*GOOD_ZH, n=1), conv(*DEGENERATE, n=2)]
    quarantine = ListQuarantine()
    step = QualityStep(family="test")
    out = list(step.run(records, quarantine))
    assert [r.metadata["provenance"]["index"] for r in out] == [0, 1]
    assert step.stats.balanced
    assert step.stats.dropped == {Reason.LOW_QUALITY: 1}
    assert sum(v for k, v in step.stats.changed.items() if k.startswith("language:")) == 3
    assert step.stats.changed["language:en"] >= 1 and step.stats.changed["language:zh"] == 1
    quality = out[1].metadata["quality"]
    assert quality["language"] == "zh" and 0.3 <= quality["score"] <= 1
    assert set(quality["signals"]) >= {"length_balance", "repetition", "clean_text"}
    entry = quarantine.entries[0]
    assert entry.reason == "low_quality" and entry.index == 2
    assert "length_balance=0.00" in entry.detail and "help" not in entry.detail


def test_the_threshold_is_configurable() -> None:
    loud = conv("WHY DOES NOBODY EVER LISTEN TO ME, I AM SO SICK OF THIS", GOOD_EN[1])
    lenient = QualityStep(config=QualityConfig(threshold=0.5))
    strict = QualityStep(config=QualityConfig(threshold=0.9))
    assert len(list(lenient.run([loud], ListQuarantine()))) == 1
    assert len(list(strict.run([loud], ListQuarantine()))) == 0
    assert strict.stats.dropped["low_quality"] == 1 and strict.stats.balanced


def test_throughput_is_printed() -> None:
    records = [conv(*GOOD_EN, *MORE_EN, n=n) for n in range(2000)]
    size = len(records[0].to_json())
    step = QualityStep()
    started = time.perf_counter()
    for _ in step.run(records, ListQuarantine()):
        pass
    elapsed = time.perf_counter() - started
    print(f"\nquality scoring: {len(records) / elapsed:,.0f} conversations/s"
          f" (~{size} B English records, one core)")

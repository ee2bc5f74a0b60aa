"""What a build says about itself (``release.summary``): the manifest's counts, the failed gates,
the fidelity read from stats.json, and where its manifest and report are."""

from __future__ import annotations

from pixel_platform.release.layout import MANIFEST, REPORT, key_in
from pixel_platform.release.summary import FIDELITY_COLUMNS, fidelity_summary, summarize_build
from pixel_platform_tests.release.support import Built


def test_a_build_is_summarized_from_its_manifest_and_stats(built: Built) -> None:
    result = built.result
    summary = summarize_build(built.store, result)
    counts = result.manifest["counts"]
    assert (summary.version, summary.prefix) == (result.version, result.prefix)
    assert summary.records == counts["total"]
    assert summary.by_split == counts["by_split"] and summary.by_family == counts["by_family"]
    assert summary.exclusions == result.manifest["exclusions"]["by_reason"]
    assert summary.failed_gates == [g.name for g in result.gates if not g.passed]
    assert summary.passed == result.passed
    assert summary.manifest_key == key_in(result.prefix, MANIFEST)
    assert summary.report_key == key_in(result.prefix, REPORT)
    assert built.store.head(summary.report_key) is not None
    assert all(len(row) == len(FIDELITY_COLUMNS) for row in summary.fidelity.rows)


def test_fidelity_is_summarized_per_family_with_shares_as_percentages() -> None:
    fidelity = {
        "total": {"share_turns_changed": 0.25, "placeholders_per_1k_words": 1.5},
        "by_family": {
            "b": {
                "turns": 4,
                "share_turns_redacted": 0.25,
                "share_turns_repaired": 0.0,
                "placeholders_per_1k_words": 2.0,
                "resources_kept": 1,
            },
            "a": {
                "turns": 10,
                "share_turns_redacted": 0.1234,
                "share_turns_repaired": 0.5,
                "placeholders_per_1k_words": 0.5,
                "resources_kept": 0,
            },
        },
    }
    summary = fidelity_summary(fidelity)
    assert (summary.share_turns_changed, summary.placeholders_per_1k_words) == (0.25, 1.5)
    assert summary.resources_kept == 0
    assert summary.rows == [["a", 10, "12.3%", "50.0%", 0.5, 0], ["b", 4, "25.0%", "0.0%", 2.0, 1]]
    empty = fidelity_summary({})
    assert (empty.share_turns_changed, empty.resources_kept, empty.rows) == (0.0, 0, [])

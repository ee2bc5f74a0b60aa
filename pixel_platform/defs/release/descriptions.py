"""What each release gate check tells a person in the UI: what it guarantees, in plain words.

The gate functions' docstrings (``release/gates.py``) are written for whoever maintains them and
name code (settings, modules, context fields); the UI shows a check's description as plain text,
so these are written for the people who read the check. ``pixel_platform_tests/defs`` keeps one
per gate.
"""

from __future__ import annotations

GATE_DESCRIPTIONS: dict[str, str] = {
    "coverage": (
        "Every family in the registry has conversations in the release, unless it is waived (in"
        " the registry or for this build, with a reason) or every one of its records was excluded"
        " for its licence; such families are listed, with their counts, in the release's"
        " quarantine."
    ),
    "leakage": (
        "No conversation is in two splits: no exact copy and no near-duplicate (judged as"
        " deduplication judges them) is in both train and validation or test."
    ),
    "distribution": (
        "For every family large enough to be split, the train, validation and test shares are"
        " within tolerance, and each family's share of the whole release is within its bounds."
        " Holdout families (test only) and very small ones (train only) are not split, so their"
        " split shares are not checked."
    ),
    "pii": (
        "No conversation is waiting for a PII review, and a fresh scan of every turn (and of the"
        " rejected reply of every preference pair) finds no personal data such as an email"
        " address or a phone number. Redaction placeholders and known crisis hotlines are not"
        " personal data. Turns the previous build found clean with the same scanner are not"
        " scanned again."
    ),
    "provenance": (
        "Every conversation says where it comes from (source, family, licence), and its licence"
        " is one this build may ship; an unknown licence is refused."
    ),
    "hash": (
        "The release is exactly what was built: every conversation's content hash, every file's"
        " checksum, size and record count match the manifest, no file is missing or added, the"
        " compiled file is the shards in order, and the manifest is the one this Dagster instance"
        " recorded when the release was built."
    ),
    "split": (
        "Holdout families are in the test split only, no group of duplicates spans two splits,"
        " and every conversation's split, curriculum stage and phase match the folder it is in."
    ),
    "stats": (
        "The release's statistics (stats.json, the manifest's counts and the quarantine counts)"
        " equal a recount of the released files, and the phase A and phase C export files hold"
        " exactly what the shards hold."
    ),
    "dedup": (
        "Exact and near-duplicate conversations among those released stay under the maximum"
        " duplicate rate of the deduplication settings."
    ),
    "accounting": (
        "Nothing is lost: for every family, the raw records read equal those released plus those"
        " quarantined, removed as duplicates or excluded by the release, recounted from the files."
    ),
    "fidelity": (
        "Redaction did not start eating text: each family's rate of redaction placeholders per"
        " 1,000 words is within the allowed margin of the last release that passed. A first"
        " release, a new family or a very small one passes, and says why."
    ),
}


def gate_description(gate: str) -> str:
    """The check's description; a gate added without one still gets a sentence (a test fails)."""
    return GATE_DESCRIPTIONS.get(gate, f"The release's {gate} gate.")

"""Turn core stats into Dagster metadata a person can read in the UI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from pixel_platform.core.report import StageReport


def md_table(headers: list[str], rows: list[list[Any]]) -> dg.MetadataValue:
    if not rows:
        return dg.MetadataValue.md("_none_")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return dg.MetadataValue.md("\n".join(lines))


def counter_table(title: str, counts: Mapping[str, int]) -> dg.MetadataValue:
    rows = [[k, v] for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return md_table([title, "count"], rows)


def partition_metadata(report: StageReport, output_uri: str, quarantine_uri: str) -> dict[str, Any]:
    formats: dict[str, int] = {}
    per_file_rows = []
    for key, counts in sorted(report.details.get("detected_formats", {}).items()):
        per_file_rows.append([key, ", ".join(f"{f}: {n}" for f, n in sorted(counts.items()))])
        for fmt, n in counts.items():
            formats[fmt] = formats.get(fmt, 0) + n
    return {
        "records_in": dg.MetadataValue.int(report.units_in),
        "records_out": dg.MetadataValue.int(report.records_out),
        "quarantined": dg.MetadataValue.int(report.quarantined),
        "quarantine_reasons": counter_table("reason", report.quarantined_by_reason),
        "changed": counter_table("change", report.changed),
        "detected_formats": counter_table("format", formats),
        "detected_formats_per_file": md_table(["object", "formats"], per_file_rows),
        "objects": dg.MetadataValue.int(int(report.details.get("objects", 0))),
        "output": dg.MetadataValue.path(output_uri),
        "quarantine": dg.MetadataValue.path(quarantine_uri),
        "output_sha256": dg.MetadataValue.text(report.output.sha256),
    }

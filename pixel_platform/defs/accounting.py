"""The one accounting check: a stage's report balances (units in = records out + quarantined)."""

from __future__ import annotations

import dagster as dg

from pixel_platform.core.report import StageReport


def accounting_check_spec(
    name: str, asset: dg.AssetKey | str, description: str
) -> dg.AssetCheckSpec:
    """A blocking check: nothing downstream runs on a partition that lost records."""
    return dg.AssetCheckSpec(name, asset=asset, blocking=True, description=description)


def accounting_check(name: str, report: StageReport) -> dg.AssetCheckResult:
    """``name`` passes when ``report`` balances; its metadata are the three counts."""
    return dg.AssetCheckResult(
        check_name=name,
        passed=report.balanced,
        metadata={
            "records_in": report.units_in,
            "records_out": report.records_out,
            "quarantined": report.quarantined,
        },
    )

"""The decorator of a family's record layers: ``processed/<family>``, ``curated/<family>``."""

from __future__ import annotations

from typing import Any

import dagster as dg

from pixel_platform.defs.accounting import accounting_check_spec
from pixel_platform.defs.ingest.partitions import family_partitions
from pixel_platform.defs.layers import RECORDS_KIND, family_lead, family_tags
from pixel_platform.registry.model import FamilySpec


def family_records_asset(
    family: FamilySpec,
    layer: str,
    keys: tuple[dg.AssetKey, dg.AssetKey],
    check: tuple[str, str],
    description: str,
) -> Any:
    """``dg.asset`` for ``family``'s JSONL records in ``layer``: ``keys`` is (this asset, the
    layer it reads), partitioned by the family's sources, grouped and tagged by layer, guarded
    by the blocking accounting check ``check`` (name, description); ``description`` follows
    the ``<Layer> <family>:`` lead."""
    key, upstream = keys
    check_name, check_description = check
    return dg.asset(
        key=key,
        deps=[upstream],
        partitions_def=family_partitions(family.name),
        group_name=layer,
        kinds={RECORDS_KIND},
        tags=family_tags(layer, family.name, family.stage),
        check_specs=[accounting_check_spec(check_name, key, check_description)],
        description=f"{family_lead(layer, family.name)} {description}",
    )

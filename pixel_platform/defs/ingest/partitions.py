"""One dynamic partition set per family; a partition key is a registry source (prefix or key)."""

from __future__ import annotations

import dagster as dg


def family_partitions(family: str) -> dg.DynamicPartitionsDefinition:
    return dg.DynamicPartitionsDefinition(name=f"{family}_sources")

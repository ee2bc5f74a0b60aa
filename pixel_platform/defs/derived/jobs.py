"""The derived generators as one job: they read curated outputs and write new raw sources."""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,  # not re-exported by dagster; the type define_asset_job returns
)

from pixel_platform.defs.derived.assets import build_derived_assets, build_transcript_assets
from pixel_platform.registry.model import Registry

DERIVED_JOB = "derived_generators_job"


def build_derived_job(registry: Registry) -> UnresolvedAssetJobDefinition:
    keys = [a.key for a in (*build_derived_assets(registry), *build_transcript_assets(registry))]
    return dg.define_asset_job(
        DERIVED_JOB,
        selection=dg.AssetSelection.assets(*keys),
        description=(
            "Run every derived generator (CPTSD transcripts, personas, preference pairs,"
            " pretraining text, edge cases) on what the curated partitions hold now."
        ),
    )

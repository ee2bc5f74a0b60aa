"""The code location: everything Dagster shows, built from the registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from pixel_platform.defs.curation.assets import build_curated_assets, build_dedup_asset
from pixel_platform.defs.derived.assets import build_derived_assets, build_transcript_assets
from pixel_platform.defs.derived.jobs import build_derived_job
from pixel_platform.defs.ingest.assets import build_ingest_assets
from pixel_platform.defs.ingest.jobs import build_ingest_jobs, gdrive_sync_job, source_inventory_job
from pixel_platform.defs.ingest.sensors import build_sync_sensor
from pixel_platform.defs.release.assets import dataset_release, gate_checks
from pixel_platform.defs.release.jobs import dataset_release_job, nightly_release_schedule
from pixel_platform.defs.resources import get_resources
from pixel_platform.defs.review.assets import (
    review_decisions,
    review_pull_job,
    review_push_job,
    review_tasks,
)
from pixel_platform.defs.review.sensors import review_decisions_sensor
from pixel_platform.defs.stale_runs import stale_run_sensor
from pixel_platform.defs.training.assets import model_evaluation, trained_model
from pixel_platform.defs.training.jobs import training_job
from pixel_platform.defs.training.served import served_model, serving_job
from pixel_platform.registry.model import load_registry


def build_definitions(
    registry_path: str | None = None, resources: Mapping[str, Any] | None = None
) -> dg.Definitions:
    """Everything Dagster shows; ``resources`` replaces the environment's (``pixel-platform run``
    binds its own storage root and training directories)."""
    registry = load_registry(registry_path)
    ingest_jobs = build_ingest_jobs(registry)
    return dg.Definitions(
        assets=[
            *build_ingest_assets(registry),
            *build_curated_assets(registry),
            build_dedup_asset(registry),
            *build_derived_assets(registry),
            *build_transcript_assets(registry),
            dataset_release,
            trained_model,
            model_evaluation,
            served_model,
            review_tasks,
            review_decisions,
        ],
        asset_checks=gate_checks,
        schedules=[nightly_release_schedule],
        jobs=[
            *ingest_jobs,
            source_inventory_job,
            gdrive_sync_job,
            build_derived_job(registry),
            dataset_release_job,
            training_job,
            serving_job,
            review_push_job,
            review_pull_job,
        ],
        sensors=[build_sync_sensor(ingest_jobs), stale_run_sensor, review_decisions_sensor],
        resources=dict(resources) if resources is not None else get_resources(registry_path),
    )


defs = build_definitions()

"""The release build job and its nightly schedule (one build at a time, by run tag and pool)."""

import dagster as dg

from pixel_platform.defs.release.assets import RELEASE_KEY, RELEASE_TAG

dataset_release_job = dg.define_asset_job(
    "dataset_release_job",
    selection=dg.AssetSelection.assets("deduplicated_conversations", RELEASE_KEY),
    tags={RELEASE_TAG: "true"},
    description="Deduplicate every curated partition and build a gated release.",
)

nightly_release_schedule = dg.ScheduleDefinition(
    name="nightly_release_schedule",
    job=dataset_release_job,
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 UTC: dedup + a new release version (gated).",
)

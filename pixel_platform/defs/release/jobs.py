"""The release build job and its nightly schedule (one build at a time, by run tag and pool)."""

import os

import dagster as dg

from pixel_platform.defs.environment import automation_note, automation_schedule_status
from pixel_platform.defs.release.assets import RELEASE_KEY, RELEASE_TAG

dataset_release_job = dg.define_asset_job(
    "dataset_release_job",
    selection=dg.AssetSelection.assets("deduplicated_conversations", RELEASE_KEY),
    tags={RELEASE_TAG: "true"},
    description="Deduplicate every curated partition and build a gated release.",
)

# 02:00 UTC by default; PIXEL_RELEASE_CRON moves it (a deployment's own hour, or a test's minute).
RELEASE_CRON = os.environ.get("PIXEL_RELEASE_CRON", "0 2 * * *")

nightly_release_schedule = dg.ScheduleDefinition(
    name="nightly_release_schedule",
    job=dataset_release_job,
    cron_schedule=RELEASE_CRON,
    execution_timezone="UTC",
    default_status=automation_schedule_status(),
    description=(
        f"Builds a new gated release at cron {RELEASE_CRON} UTC (nightly at 02:00 unless"
        " PIXEL_RELEASE_CRON says otherwise): deduplication, then the release, or nothing when"
        f" the latest release already holds these inputs. {automation_note()}"
    ),
)

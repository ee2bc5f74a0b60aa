"""``gdrive_sync_sensor``: when a sync marker lands, reprocess exactly the changed partitions."""

import os

import dagster as dg
import orjson
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,  # not re-exported by dagster; the type define_asset_job returns
)

from pixel_platform.defs.environment import automation_note, automation_sensor_status
from pixel_platform.defs.ingest.jobs import ingest_job_name
from pixel_platform.defs.ingest.partitions import family_partitions
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.pipeline import layout
from pixel_platform.pipeline.changes import detect_changes, marker_token

SENSOR_INTERVAL_S = int(os.environ.get("PIXEL_SYNC_SENSOR_INTERVAL_S", "60"))


def build_sync_sensor(jobs: list[UnresolvedAssetJobDefinition]) -> dg.SensorDefinition:
    @dg.sensor(
        name="gdrive_sync_sensor",
        jobs=jobs,
        minimum_interval_seconds=SENSOR_INTERVAL_S,
        default_status=automation_sensor_status(),
        description=(
            f"Watches {layout.SYNC_MARKER_KEY}, which the GDrive sync writes when it finishes."
            " When a new marker appears, it compares every registry source's objects (keys,"
            " sizes, ETags) with the last sync and requests ingest runs only for the partitions"
            f" whose objects changed. {automation_note()}"
        ),
    )
    def gdrive_sync_sensor(
        context: dg.SensorEvaluationContext, storage: StorageResource, registry: RegistryResource
    ) -> dg.SensorResult | dg.SkipReason:
        cursor = orjson.loads(context.cursor) if context.cursor else {}
        store = storage.store()
        token = marker_token(store.head(layout.SYNC_MARKER_KEY))
        if token is None:
            return dg.SkipReason(f"no sync marker at {store.uri(layout.SYNC_MARKER_KEY)} yet")
        if cursor.get("marker") == token:
            return dg.SkipReason("sync marker unchanged since the last evaluation")

        changes = detect_changes(store, registry.load(), cursor.get("partitions", {}))
        new_partitions: dict[str, list[str]] = {}
        run_requests = []
        for change in changes.changed:
            partitions_name = family_partitions(change.family).name
            assert partitions_name is not None
            if not context.instance.has_dynamic_partition(partitions_name, change.partition_key):
                new_partitions.setdefault(partitions_name, []).append(change.partition_key)
            run_requests.append(
                dg.RunRequest(
                    run_key=f"{change.family}|{change.partition_key}|{change.fingerprint[:16]}",
                    job_name=ingest_job_name(change.family),
                    partition_key=change.partition_key,
                    tags={"pixel/trigger": "gdrive_sync", "pixel/family": change.family},
                )
            )
        context.log.info(
            "sync marker %s: %d partitions changed, %d unchanged",
            token,
            len(changes.changed),
            changes.unchanged,
        )
        return dg.SensorResult(
            run_requests=run_requests,
            dynamic_partitions_requests=[
                dg.AddDynamicPartitionsRequest(name, keys) for name, keys in new_partitions.items()
            ],
            cursor=orjson.dumps({"marker": token, "partitions": changes.state}).decode(),
        )

    return gdrive_sync_sensor

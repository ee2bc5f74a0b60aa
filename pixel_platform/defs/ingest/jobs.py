"""Jobs: one ingest job per family (raw + processed for one partition), inventory, GDrive sync."""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,  # not re-exported by dagster; the type define_asset_job returns
)

from pixel_platform.defs.ingest.assets import processed_asset_key, raw_asset_key, source_inventory
from pixel_platform.defs.resources import RcloneSyncResource, StorageResource
from pixel_platform.registry.model import Registry
from pixel_platform.sync.rclone import SyncSpec, sync


def ingest_job_name(family: str) -> str:
    return f"ingest_{family}_job"


def build_ingest_jobs(registry: Registry) -> list[UnresolvedAssetJobDefinition]:
    return [
        dg.define_asset_job(
            ingest_job_name(name),
            selection=dg.AssetSelection.assets(
                raw_asset_key(name), processed_asset_key(name), dg.AssetKey(["curated", name])
            ),
            description=f"Snapshot, process and curate one source partition of family {name}.",
        )
        for name in registry.families
    ]


source_inventory_job = dg.define_asset_job(
    "source_inventory_job",
    selection=dg.AssetSelection.assets(source_inventory),
    description="List the bucket, write the coverage report, register partitions.",
)


class SyncConfig(dg.Config):
    source: str = ""  # overrides the resource's rclone remote path for this run


@dg.op(description="rclone copy from the GDrive remote into the raw prefix, then write the marker.")
def rclone_copy(
    context: dg.OpExecutionContext,
    config: SyncConfig,
    storage: StorageResource,
    rclone: RcloneSyncResource,
) -> dg.Output[str]:
    source = config.source or rclone.source
    if not source:
        raise dg.Failure(
            "no sync source: set PIXEL_RCLONE_SOURCE (e.g. 'gdrive:datasets') or the op's"
            " 'source' config"
        )
    spec = SyncSpec(source=source, dest_prefix=rclone.dest_prefix, transfers=rclone.transfers)
    result = sync(
        storage.store(),
        storage.settings(),
        spec,
        on_line=lambda line: context.log.info("rclone: %s", line),
        run_id=context.run_id,
    )
    assert result.marker_key is not None
    return dg.Output(
        result.marker_key,
        metadata={
            "seconds": round(result.seconds, 2),
            "rclone_stats": result.last_stats or "(none reported)",
            "marker": dg.MetadataValue.path(storage.store().uri(result.marker_key)),
        },
    )


@dg.job(description="Copy GDrive into gdrive/raw/ with rclone; the sync sensor then reprocesses.")
def gdrive_sync_job() -> None:
    rclone_copy()

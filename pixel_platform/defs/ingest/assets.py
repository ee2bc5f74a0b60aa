"""Per family: ``raw/<family>`` (a snapshot of the source objects) -> ``processed/<family>``.

Plus ``source_inventory``, which lists the bucket, writes the coverage report and registers each
family's live sources as dynamic partitions. The assets only wire Dagster to the core functions.
"""

import dagster as dg

from pixel_platform.defs.accounting import accounting_check
from pixel_platform.defs.ingest.metadata import counter_table, md_table, partition_metadata
from pixel_platform.defs.ingest.partitions import family_partitions
from pixel_platform.defs.layers import (
    PROCESSED,
    RAW,
    REPORT_KIND,
    SOURCE_FILES_KIND,
    family_lead,
    family_tags,
    sentence,
)
from pixel_platform.defs.records_asset import family_records_asset
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.pipeline import layout
from pixel_platform.pipeline.inventory import take_inventory, write_coverage_report
from pixel_platform.pipeline.partition import process_partition
from pixel_platform.pipeline.snapshot import read_snapshot, refresh_snapshot
from pixel_platform.registry.model import FamilySpec, Registry


def raw_asset_key(family: str) -> dg.AssetKey:
    return dg.AssetKey([RAW, family])


def processed_asset_key(family: str) -> dg.AssetKey:
    return dg.AssetKey([PROCESSED, family])


def accounting_check_name(family: str) -> str:
    return f"processed_{family}_accounting"


@dg.asset(group_name=RAW, kinds={REPORT_KIND})
def source_inventory(
    context: dg.AssetExecutionContext, storage: StorageResource, registry: RegistryResource
) -> dg.MaterializeResult:
    """Lists the bucket, maps every object to its family and writes the coverage report.

    Registers each family's sources that hold data as partitions of that family's raw,
    processed and curated assets.
    """
    store, reg = storage.store(), registry.load()
    inventory = take_inventory(store, reg)
    report_key = write_coverage_report(store, inventory)
    added = 0
    for family, locations in inventory.partitions().items():
        partitions_name = family_partitions(family).name
        assert partitions_name is not None
        existing = set(context.instance.get_dynamic_partitions(partitions_name))
        new = [loc for loc in locations if loc not in existing]
        if new:
            context.instance.add_dynamic_partitions(partitions_name, new)
            added += len(new)
    rows = [
        [name, cov.stage, cov.objects, cov.bytes, "yes" if cov.present else "**missing**"]
        for name, cov in inventory.families.items()
    ]
    missing = [n for n, c in inventory.families.items() if not c.present]
    if missing:
        context.log.warning("families with no objects: %s", ", ".join(missing))
    return dg.MaterializeResult(
        metadata={
            "coverage": md_table(["family", "stage", "objects", "bytes", "present"], rows),
            "families_present": len(inventory.families) - len(missing),
            "families_missing": dg.MetadataValue.text(", ".join(missing) or "none"),
            "unclaimed_objects": inventory.unclaimed_objects,
            "unclaimed_by_prefix": counter_table("prefix", inventory.unclaimed_by_prefix),
            "partitions_added": added,
            "report": dg.MetadataValue.path(store.uri(report_key)),
        }
    )


def build_family_assets(family: FamilySpec) -> list[dg.AssetsDefinition]:
    name = family.name
    partitions = family_partitions(name)
    sources = ", ".join(s.location for s in family.sources) or "(derived)"

    producers = sorted({s.produced_by for s in family.sources if s.produced_by})

    @dg.asset(
        key=raw_asset_key(name),
        deps=[dg.AssetKey(p) for p in producers],
        partitions_def=partitions,
        group_name=RAW,
        kinds={SOURCE_FILES_KIND},
        tags=family_tags(RAW, name, family.stage),
        description=(
            f"{family_lead(RAW, name)} the family's source files, as synced."
            f" {sentence(family.description)} One partition per source: {sources}."
            " Materializing records the files' keys and ETags, which processing then reads."
        ),
    )
    def raw_family(
        context: dg.AssetExecutionContext, storage: StorageResource
    ) -> dg.MaterializeResult:
        store = storage.store()
        snapshot, changed = refresh_snapshot(store, name, context.partition_key)
        if not snapshot.objects:
            raise dg.Failure(
                f"no data objects under {store.uri(context.partition_key)} for family {name!r};"
                " has the sync finished, and is the registry source right?"
            )
        context.log.info(
            "snapshot of %s: %d objects, %d bytes (%s)",
            context.partition_key,
            len(snapshot.objects),
            snapshot.total_bytes,
            "changed" if changed else "unchanged",
        )
        return dg.MaterializeResult(
            metadata={
                "objects": len(snapshot.objects),
                "bytes": snapshot.total_bytes,
                "ignored_objects": len(snapshot.ignored),
                "changed_since_last_snapshot": changed,
                "fingerprint": snapshot.fingerprint,
                "snapshot": dg.MetadataValue.path(
                    store.uri(layout.raw_snapshot_key(name, context.partition_key))
                ),
                "sample_objects": md_table(
                    ["key", "bytes", "etag"],
                    [[o.key, o.size, o.etag] for o in snapshot.objects[:20]],
                ),
            },
            data_version=dg.DataVersion(snapshot.fingerprint[:20]),
        )

    check_name = accounting_check_name(name)

    @family_records_asset(
        family,
        PROCESSED,
        (processed_asset_key(name), raw_asset_key(name)),
        (check_name, "Nothing is lost: every raw record read is either a processed conversation"
         " or in quarantine with a reason (records in = out + quarantined)."),
        f"the raw files as clean ChatML conversations (curriculum stage {family.stage}):"
        " converted, encoding-repaired, validated and hashed. Records that cannot be used go to"
        " quarantine with a reason.",
    )  # fmt: skip
    def processed_family(
        context: dg.AssetExecutionContext, storage: StorageResource, registry: RegistryResource
    ) -> dg.MaterializeResult:
        store = storage.store()
        snapshot = read_snapshot(store, name, context.partition_key)
        if snapshot is None:
            raise dg.Failure(
                f"no raw snapshot for {name} partition {context.partition_key!r};"
                f" materialize raw/{name} for this partition first"
            )

        def progress(key: str, units: int) -> None:
            context.log.info("read %s (%d records so far)", key, units)

        report = process_partition(
            store, registry.load(), name, snapshot, progress=progress, logger=context.log
        )
        return dg.MaterializeResult(
            metadata=partition_metadata(
                report, store.uri(report.output.key), store.uri(report.quarantine.key)
            ),
            check_results=[accounting_check(check_name, report)],
        )

    return [raw_family, processed_family]


def build_ingest_assets(registry: Registry) -> list[dg.AssetsDefinition]:
    assets: list[dg.AssetsDefinition] = [source_inventory]
    for family in registry.families.values():
        assets.extend(build_family_assets(family))
    return assets

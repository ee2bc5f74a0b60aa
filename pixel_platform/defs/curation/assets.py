"""``curated/<family>`` per partition, then ``deduplicated_conversations`` across all of them."""

from typing import Any

import dagster as dg

from pixel_platform.core.report import StageReport
from pixel_platform.curation.dedup.config import MAX_DUPLICATE_RATE
from pixel_platform.defs.accounting import accounting_check
from pixel_platform.defs.curation.resources import CurationConfigResource
from pixel_platform.defs.ingest.assets import processed_asset_key
from pixel_platform.defs.ingest.metadata import counter_table, md_table
from pixel_platform.defs.layers import CURATED, RECORDS_KIND
from pixel_platform.defs.progress import run_progress
from pixel_platform.defs.records_asset import family_records_asset
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.pipeline.curate import curate_partition
from pixel_platform.pipeline.dedup import DedupReport, deduplicate
from pixel_platform.registry.model import FamilySpec, Registry


def curated_asset_key(family: str) -> dg.AssetKey:
    return dg.AssetKey([CURATED, family])


def curated_check_name(family: str) -> str:
    return f"curated_{family}_accounting"


def curated_metadata(report: StageReport, output_uri: str) -> dict[str, Any]:
    """What the UI shows of a curated partition: counts, PII, crisis tags, languages."""
    pii = report.changed_with_prefix("pii_")
    return {
        "records_in": report.units_in,
        "records_out": report.records_out,
        "quarantined": report.quarantined,
        "quarantine_reasons": counter_table("reason", report.quarantined_by_reason),
        "pii_status": counter_table("status", report.changed_with_prefix("pii_status_")),
        "pii_spans": counter_table(
            "type", {k: v for k, v in pii.items() if not k.startswith("status_")}
        ),
        "crisis_labels": counter_table("label", report.changed_with_prefix("label:")),
        "crisis_risk": counter_table("risk", report.changed_with_prefix("risk:")),
        "crisis_response_unsafe": report.changed.get("crisis_response_unsafe", 0),
        "languages": counter_table("language", report.changed_with_prefix("language:")),
        "output": dg.MetadataValue.path(output_uri),
    }


def build_curated_asset(family: FamilySpec) -> dg.AssetsDefinition:
    name = family.name
    check_name = curated_check_name(name)

    @family_records_asset(
        family,
        CURATED,
        (curated_asset_key(name), processed_asset_key(name)),
        (check_name, "Nothing is lost: every processed conversation is either curated or in"
         " quarantine with a reason (records in = out + quarantined)."),
        "the processed conversations scored for quality (low quality goes to quarantine), tagged"
        " for crisis content, and with personal data replaced by typed placeholders (EMAIL_1,"
        " PERSON_2, …); crisis hotlines are kept.",
    )  # fmt: skip
    def curated_family(
        context: dg.AssetExecutionContext,
        storage: StorageResource,
        curation: CurationConfigResource,
    ) -> dg.MaterializeResult:
        store = storage.store()

        def progress(key: str, n: int) -> None:
            context.log.info("curated %d records of %s", n, key)

        report = curate_partition(
            store,
            name,
            context.partition_key,
            curation.load(),
            progress=progress,
            logger=context.log,
        )
        return dg.MaterializeResult(
            metadata=curated_metadata(report, store.uri(report.output.key)),
            check_results=[accounting_check(check_name, report)],
        )

    return curated_family


def build_curated_assets(registry: Registry) -> list[dg.AssetsDefinition]:
    return [build_curated_asset(f) for f in registry.families.values()]


DEDUP_ACCOUNTING_CHECK = "deduplicated_conversations_accounting"
DEDUP_RATE_CHECK = "deduplicated_conversations_duplicate_rate"


def dedup_metadata(report: DedupReport, log_uri: str) -> dict[str, Any]:
    """What the UI shows of a dedup run: counts, reuse, the rate left, a per-family table."""
    stats = report.stats
    rows = [
        [name, c["in"], c["kept"], c["dropped_by_kind"].get("exact", 0),
         c["dropped_by_kind"].get("near", 0)]
        for name, c in sorted(report.family_counts().items())
    ]  # fmt: skip
    return {
        "records_in": stats.records_in,
        "kept": stats.kept,
        "dropped_exact": stats.dropped_exact,
        "dropped_near": stats.dropped_near,
        "clusters": stats.clusters,
        "partitions_hashed": stats.partitions_hashed,
        "partitions_reused": stats.partitions_reused,
        "up_to_date": report.up_to_date,
        "duplicate_rate_after": stats.duplicate_rate_after,
        "per_family": md_table(["family", "in", "kept", "exact dups", "near dups"], rows),
        "dedup_log": dg.MetadataValue.path(log_uri),
    }


def build_dedup_asset(registry: Registry) -> dg.AssetsDefinition:
    @dg.asset(
        name="deduplicated_conversations",
        deps=[curated_asset_key(name) for name in registry.families],
        group_name=CURATED,
        kinds={RECORDS_KIND},
        pool="pixel_dedup",
        check_specs=[
            dg.AssetCheckSpec(
                DEDUP_ACCOUNTING_CHECK,
                asset="deduplicated_conversations",
                blocking=True,
                description=(
                    "Nothing is lost: every curated conversation is kept, or logged as a duplicate"
                    " together with the conversation kept in its place."
                ),
            ),
            dg.AssetCheckSpec(
                DEDUP_RATE_CHECK,
                asset="deduplicated_conversations",
                blocking=True,
                description=(
                    f"Fewer than {MAX_DUPLICATE_RATE:.0%} of the kept conversations are still"
                    " near-duplicates of each other."
                ),
            ),
        ],
        description=(
            "Curated conversations of every family, deduplicated together: exact copies (same"
            " content hash) and near-duplicates (MinHash LSH, verified by Jaccard similarity)."
            " One conversation is kept per group (best quality, then family priority); every"
            " dropped one is logged with the one kept. Unchanged partitions are not rehashed."
        ),
    )
    def deduplicated_conversations(
        context: dg.AssetExecutionContext,
        storage: StorageResource,
        registry: RegistryResource,
        curation: CurationConfigResource,
    ) -> dg.MaterializeResult:
        store = storage.store()
        with run_progress(context) as progress:
            report = deduplicate(store, registry.load(), curation.load().dedup, progress=progress)
        stats, rate = report.stats, report.stats.duplicate_rate_after
        return dg.MaterializeResult(
            metadata=dedup_metadata(report, store.uri(report.log_key)),
            check_results=[
                dg.AssetCheckResult(
                    check_name=DEDUP_ACCOUNTING_CHECK,
                    passed=report.balanced,
                    metadata={"records_in": stats.records_in, "kept": stats.kept},
                ),
                dg.AssetCheckResult(
                    check_name=DEDUP_RATE_CHECK,
                    passed=rate < MAX_DUPLICATE_RATE,
                    metadata={"duplicate_rate_after": rate, "limit": MAX_DUPLICATE_RATE},
                ),
            ],
        )

    return deduplicated_conversations

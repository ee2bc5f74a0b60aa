"""Derived source assets. Each writes ``derived/<family>/…jsonl`` and feeds ``raw/<family>``."""

import dagster as dg

from pixel_platform.defs.curation.assets import curated_asset_key
from pixel_platform.defs.ingest.metadata import counter_table
from pixel_platform.defs.resources import StorageResource
from pixel_platform.derived.edge_cases import generate_edge_cases
from pixel_platform.derived.long_running import extract_long_running, find_jsonl_keys
from pixel_platform.pipeline.partition import HashingWriter
from pixel_platform.registry.model import Registry

DERIVED_GROUP = "derived"
LONG_RUNNING_FAMILY = "long_running_therapy"
EDGE_CASE_FAMILY = "edge_case_synthetic"
LONG_RUNNING_KEY = f"derived/{LONG_RUNNING_FAMILY}/long_running.jsonl"
EDGE_CASE_KEY = f"derived/{EDGE_CASE_FAMILY}/edge_cases.jsonl"


class LongRunningConfig(dg.Config):
    min_turns: int = 20
    limit: int | None = None


class EdgeCaseConfig(dg.Config):
    categories: str = "all"
    count: int = 250
    seed: int = 2025
    roleplay_style: str = "therapeutic"


def build_derived_assets(registry: Registry) -> list[dg.AssetsDefinition]:
    others = [curated_asset_key(n) for n in registry.families if n != LONG_RUNNING_FAMILY]

    @dg.asset(
        name="long_running_therapy_source",
        deps=others,
        group_name=DERIVED_GROUP,
        kinds={"s3"},
        description=(
            "Conversations with at least `min_turns` dialogue turns from every other family's"
            f" curated output, written to `{LONG_RUNNING_KEY}` (a source of"
            f" `{LONG_RUNNING_FAMILY}`)."
        ),
    )
    def long_running_therapy_source(
        context: dg.AssetExecutionContext, config: LongRunningConfig, storage: StorageResource
    ) -> dg.MaterializeResult:
        store = storage.store()
        keys = find_jsonl_keys(store, "pipeline/curated/", exclude_families=[LONG_RUNNING_FAMILY])
        if not keys:
            raise dg.Failure("no curated partitions yet; materialize the curated assets first")
        run = extract_long_running(store, keys, min_turns=config.min_turns, limit=config.limit)
        with store.open_write(LONG_RUNNING_KEY) as fh:
            writer = HashingWriter(fh)
            for record in run:
                writer.write_line(record.to_json())
        stats = run.stats
        context.log.info("selected %d of %d records", stats.selected, stats.records_read)
        return dg.MaterializeResult(
            metadata={
                "files_scanned": stats.files_scanned,
                "records_read": stats.records_read,
                "selected": stats.selected,
                "bad_lines": stats.bad_lines,
                "output": dg.MetadataValue.path(store.uri(LONG_RUNNING_KEY)),
                "sha256": writer.sha256.hexdigest(),
            }
        )

    @dg.asset(
        name="edge_case_synthetic_source",
        group_name=DERIVED_GROUP,
        kinds={"python"},
        check_specs=[
            dg.AssetCheckSpec(
                "edge_case_synthetic_source_crisis_safety",
                asset="edge_case_synthetic_source",
                blocking=True,
                description="Every slot generated and every reply to a crisis turn is safe.",
            )
        ],
        description=(
            "Synthetic crisis role-plays over 25 categories from the deterministic template"
            f" generator, written to `{EDGE_CASE_KEY}` (a source of `{EDGE_CASE_FAMILY}`)."
            " No two are near-duplicates; every reply to a crisis turn offers a resource or a"
            " safety-planning step."
        ),
    )
    def edge_case_synthetic_source(
        context: dg.AssetExecutionContext, config: EdgeCaseConfig, storage: StorageResource
    ) -> dg.MaterializeResult:
        store = storage.store()
        run = generate_edge_cases(
            config.categories, config.count, config.seed, config.roleplay_style, "template"
        )
        with store.open_write(EDGE_CASE_KEY) as fh:
            writer = HashingWriter(fh)
            for record in run:
                writer.write_line(record.to_json())
        stats = run.stats
        return dg.MaterializeResult(
            metadata={
                "generated": stats.generated,
                "failed_slots": stats.failed_slots,
                "by_category": counter_table("category", stats.by_category),
                "crisis_safety_rate": stats.crisis_safety_rate,
                "output": dg.MetadataValue.path(store.uri(EDGE_CASE_KEY)),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="edge_case_synthetic_source_crisis_safety",
                    passed=stats.failed_slots == 0 and stats.crisis_safety_rate == 1.0,
                    metadata={
                        "failed_slots": stats.failed_slots,
                        "crisis_safety_rate": stats.crisis_safety_rate,
                    },
                )
            ],
        )

    return [long_running_therapy_source, edge_case_synthetic_source]

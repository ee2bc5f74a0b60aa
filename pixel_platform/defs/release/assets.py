"""``dataset_release``: routing, leak-free split, versioned artifacts; gates as blocking checks.

The asset builds the release (the build itself runs every gate on the staged files and moves
``LATEST``/``final_dataset/`` only when all pass). Each gate is also a separate blocking asset
check that re-reads the *published* release, so a check can be re-executed from the UI at any
time and catches anything changed after publishing.
"""

import dagster as dg

from pixel_platform.defs.curation.resources import CurationConfigResource
from pixel_platform.defs.ingest.metadata import counter_table, md_table
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.pipeline.release import build_pipeline_release
from pixel_platform.release import GATES, GateContext, ReleaseView, load_manifest, run_gate

RELEASE_GROUP = "release"
RELEASE_KEY = dg.AssetKey("dataset_release")
RELEASE_TAG = "pixel/release-build"  # dagster.yaml limits runs with this tag to one at a time


def gate_check_name(gate: str) -> str:
    return f"dataset_release_{gate}"


@dg.asset(
    key=RELEASE_KEY,
    deps=["deduplicated_conversations"],
    group_name=RELEASE_GROUP,
    kinds={"s3"},
    pool="pixel_release",
    description=(
        "The training release under `exports/releases/<version>/`: curriculum stage and phase per"
        " record, a 90/5/5 split by dedup cluster (holdout families in test only), size-bounded"
        " shards, the compiled file, `manifest.json` (written last), `stats.json`, `report.html`"
        " and trainer exports (TRL, LLaMA-Factory, axolotl). `LATEST` and `final_dataset/` move"
        " only when every gate passes."
    ),
)
def dataset_release(
    context: dg.AssetExecutionContext,
    storage: StorageResource,
    registry: RegistryResource,
    curation: CurationConfigResource,
) -> dg.MaterializeResult:
    store = storage.store()
    result = build_pipeline_release(store, registry.load(), curation.load())
    manifest = result.manifest
    counts = manifest["counts"]
    failed = [g.name for g in result.gates if not g.passed]
    if failed:
        context.log.error("release %s failed gates: %s", result.version, ", ".join(failed))
    else:
        context.log.info("release %s passed every gate", result.version)
    return dg.MaterializeResult(
        metadata={
            "version": result.version,
            "prefix": result.prefix,
            "records": counts["total"],
            "gates_passed": not failed,
            "latest_moved": result.latest_moved,
            "gates": md_table(
                ["gate", "result", "violations"],
                [
                    [g.name, "PASS" if g.passed else "**FAIL**", g.violations or ""]
                    for g in result.gates
                ],
            ),
            "records_per_split": counter_table("split", counts["by_split"]),
            "records_per_stage": counter_table("stage", counts["by_stage"]),
            "records_per_family": counter_table("family", counts["by_family"]),
            "exclusions": counter_table("reason", manifest["exclusions"]["by_reason"]),
            "manifest": dg.MetadataValue.path(store.uri(result.prefix + "manifest.json")),
            "report": dg.MetadataValue.path(store.uri(result.prefix + "report.html")),
        }
    )


def latest_release_version(context: dg.AssetCheckExecutionContext) -> str | None:
    event = context.instance.get_latest_materialization_event(RELEASE_KEY)
    if event is None or event.asset_materialization is None:
        return None
    version = event.asset_materialization.metadata.get("version")
    return str(version.value) if version is not None else None


def build_gate_check(gate: str) -> dg.AssetChecksDefinition:
    # The gate's docstring, first paragraph, as one line.
    paragraph = (GATES[gate].__doc__ or "").strip().split("\n\n")[0]
    description = " ".join(paragraph.split()) or f"The {gate} gate."

    @dg.asset_check(
        asset=RELEASE_KEY,
        name=gate_check_name(gate),
        blocking=True,
        description=description,
    )
    def gate_check(
        context: dg.AssetCheckExecutionContext,
        storage: StorageResource,
        registry: RegistryResource,
    ) -> dg.AssetCheckResult:
        version = latest_release_version(context)
        if version is None:
            return dg.AssetCheckResult(
                passed=False, metadata={"error": "no dataset_release materialization yet"}
            )
        store = storage.store()
        manifest = load_manifest(store, version)
        reg = registry.load()
        view = ReleaseView(store, f"exports/releases/{version}/")
        result = run_gate(gate, view, GateContext.from_manifest(reg, manifest))
        return dg.AssetCheckResult(
            passed=result.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "version": version,
                "violations": counter_table("violation", result.violations),
                "violation_total": sum(result.violations.values()),
                "examples": dg.MetadataValue.json(result.examples[:20]),
            },
        )

    return gate_check


gate_checks = [build_gate_check(gate) for gate in GATES]

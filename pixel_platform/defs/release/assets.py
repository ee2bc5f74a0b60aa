"""``dataset_release``: routing, leak-free split, versioned artifacts; gates as blocking checks.

The asset builds the release (the build itself runs every gate on the staged files and moves
``LATEST``/``final_dataset/`` only when all pass). Each gate is also a separate blocking asset
check on the *published* release, which can be re-executed from the UI at any time: it reports
the build's recorded result while the published files are provably the built ones (manifest
sha256 from the materialization, every file's sha256 from the manifest; the hash gate always
recomputes), and recomputes the gate otherwise, so anything changed after publishing is caught.
The Hash check also compares the published manifest with the digest the materialization recorded
and its ``version`` with its folder (``release.authenticity``): a manifest rewritten to match
rewritten files is caught too. ``pixel-platform verify`` always recomputes every gate.

With ``$PIXEL_RELEASE_SIGNING_KEY`` (a PEM Ed25519 private key file, never in the bucket) the
build signs the manifest (``manifest.json.sig``; ``release.signing``).

When ``LATEST`` already is the release these inputs would make (same deduplicated data, registry,
curriculum, options and code; see ``pipeline.release``), the asset materializes nothing: the run
succeeds, its log says which version is current, the checks (which would re-read an unchanged
release) are skipped, and no new version is published. Set ``force: true`` in the run config to
build anyway.

The Bias/QA report (``reports/bias_qa.json``, ``release.bias_qa``) has a NON-blocking check,
``dataset_release_bias_qa`` (severity WARN): its thresholds (``release/bias_qa.yaml``, or the
run config's ``bias_qa_thresholds``) turn the report's numbers into warnings that ask a person
to look; its metadata carries counts, rates and group names only. With ``require_review``
(the YAML or the run config) ``LATEST`` waits for ``pixel-platform review sign-off``.

The policy is the core's: ``release.recorded`` (the build's result or a recomputed one) and
``release.summary`` (what a build says about itself); the assets read resources and the instance,
and turn those results into checks and metadata.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import orjson
from pydantic import Field

from pixel_platform.defs.curation.resources import CurationConfigResource
from pixel_platform.defs.ingest.metadata import counter_table, md_table
from pixel_platform.defs.layers import RECORDS_KIND, RELEASE
from pixel_platform.defs.progress import run_progress
from pixel_platform.defs.release.descriptions import gate_description
from pixel_platform.defs.release.records import (
    DIGEST_METADATA,
    RELEASE_KEY,
    SIGNER_METADATA,
    digest_metadata,
)
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.pipeline.release import UpToDate, build_pipeline_release
from pixel_platform.release import GATES, ReleaseResult, load_manifest
from pixel_platform.release.bias_qa import Thresholds, check_summary, evaluate, load_bias_qa_config
from pixel_platform.release.layout import (
    BIAS_QA,
    FINAL_PREFIX,
    LATEST,
    RELEASES_PREFIX,
    key_in,
    prefix_of,
)
from pixel_platform.release.options import NO_REUSE
from pixel_platform.release.recorded import published_gate_result
from pixel_platform.release.signing import signing_key_path_from_env
from pixel_platform.release.summary import FIDELITY_COLUMNS, BuildSummary, summarize_build
from pixel_platform.release.waivers import CoverageWaiver, parse_waivers
from pixel_platform.storage.base import ObjectStore

RELEASE_GROUP = RELEASE
RELEASE_TAG = "pixel/release-build"  # dagster.yaml limits runs with this tag to one at a time
RELEASE_INPUT = "dataset_release"  # a gate check's (data-less) input: the release it checks
# A gate check's ``result_from``: the build's recorded result, or the gate run again.
RESULT_FROM_BUILD = "the build's result (files verified against the manifest)"
RESULT_RECOMPUTED = "recomputed on the published files"


def gate_check_name(gate: str) -> str:
    """The check's name, which is also its step key (``build_gate_check``)."""
    return f"dataset_release_{gate}"


class ReleaseBuildConfig(dg.Config):
    force: bool = False  # build a new version even when LATEST was built from the same inputs
    # FAMILY:REASON each: families this build may lack (Coverage gate), recorded in the manifest
    # with the reason; added to the registry's `coverage_waived` (release.waivers).
    waive_coverage: list[str] = Field(default_factory=list)
    gate_workers: int | None = Field(
        default=None,
        ge=1,
        description="Processes for the gates' shard scan; empty: one per core when the release"
        " is 64 MB or more, else the build's own process.",
    )
    reuse: bool = Field(
        default=True,
        description="Reuse the last build's work on input partitions and shards whose bytes did"
        " not change (release.input_cache, release.scan_cache): the files are the same either"
        " way. false: read every partition and scan every shard again.",
    )
    require_review: bool | None = Field(
        default=None,
        description="LATEST moves only after pixel-platform review sign-off approves the"
        " release's Bias/QA report; empty: release/bias_qa.yaml decides (default false).",
    )
    bias_qa_thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="Warning thresholds of the Bias/QA report over release/bias_qa.yaml's"
        " (min_replies, reply_words_ratio, hotline_rate_gap, referral_rate_gap,"
        " unsafe_rate_max, min_topic_share).",
    )


def run_config_waivers(
    context: dg.AssetExecutionContext, config: ReleaseBuildConfig
) -> tuple[CoverageWaiver, ...]:
    """``waive_coverage``, recorded as from the CLI when ``pixel-platform run`` (its trigger
    tag) set it, else as from the run config."""
    cli = context.run.tags.get("pixel/trigger") == "cli-run"
    return parse_waivers(config.waive_coverage, "cli" if cli else "run_config")


@dg.asset(
    key=RELEASE_KEY,
    deps=["deduplicated_conversations"],
    group_name=RELEASE_GROUP,
    kinds={RECORDS_KIND},
    pool="pixel_release",
    output_required=False,
    description=(
        f"The versioned training release, in {RELEASES_PREFIX} under its version: each"
        " conversation's curriculum stage and phase, a 90/5/5 split by duplicate group (holdout"
        " families in test only), size-bounded shards, the compiled file, manifest.json (written"
        " last), stats.json, report.html and trainer exports (TRL, LLaMA-Factory, axolotl)."
        f" {LATEST} and {FINAL_PREFIX} move only when every gate passes. Nothing is built when"
        f" {LATEST} already holds exactly these inputs (run config force: true builds anyway)."
    ),
)
def dataset_release(
    context: dg.AssetExecutionContext,
    config: ReleaseBuildConfig,
    storage: StorageResource,
    registry: RegistryResource,
    curation: CurationConfigResource,
) -> Iterator[dg.MaterializeResult]:
    store = storage.store()
    with run_progress(context) as progress:
        result = build_pipeline_release(
            store,
            registry.load(),
            curation.load(),
            force=config.force,
            signing_key_path=signing_key_path_from_env(),
            coverage_waivers=run_config_waivers(context, config),
            gate_workers=config.gate_workers,
            bias_qa=load_bias_qa_config().with_overrides(
                {"require_review": config.require_review, "thresholds": config.bias_qa_thresholds}
            ),
            progress=progress,
            **({} if config.reuse else NO_REUSE),
        )
    if isinstance(result, UpToDate):
        context.log.info(
            "release %s was built from these same inputs and passed every gate; nothing to build "
            "(inputs fingerprint %s). Run with config force: true for a new version anyway.",
            result.version,
            result.fingerprint[:12],
        )
        return
    summary = summarize_build(store, result)
    if summary.failed_gates:
        context.log.error(
            "release %s failed gates: %s", result.version, ", ".join(summary.failed_gates)
        )
    else:
        context.log.info("release %s passed every gate", result.version)
    if result.awaiting_review:
        context.log.info(
            "release %s: LATEST waits for the review of its Bias/QA report (pixel-platform "
            "review sign-off --version %s --reviewer ID)",
            result.version,
            result.version,
        )
    # Versions and digests only: what `pixel-platform verify --manifest-digest` takes.
    context.log.info(
        "release %s manifest %s, signed by %s",
        result.version,
        result.manifest_digest,
        result.signed_by or "nobody (no PIXEL_RELEASE_SIGNING_KEY)",
    )
    yield dg.MaterializeResult(metadata=release_metadata(store, result, summary))


def release_metadata(
    store: ObjectStore, result: ReleaseResult, summary: BuildSummary
) -> dict[str, Any]:
    """The materialization's metadata: counts, gate outcomes, fidelity, digest and links."""
    return {
        "version": summary.version,
        "prefix": summary.prefix,
        "records": summary.records,
        "gates_passed": summary.passed,
        "latest_moved": result.latest_moved,
        "awaiting_review": result.awaiting_review,
        "inputs_from_cache": result.inputs_from_cache,
        "shards_from_cache": next(
            (int(g.metadata.get("shards_from_cache", 0)) for g in result.gates if g.name == "pii"),
            0,
        ),
        "gates": md_table(
            ["gate", "result", "violations"],
            [
                [g.name, "PASS" if g.passed else "**FAIL**", g.violations or ""]
                for g in result.gates
            ],
        ),
        "records_per_split": counter_table("split", summary.by_split),
        "records_per_stage": counter_table("stage", summary.by_stage),
        "records_per_family": counter_table("family", summary.by_family),
        "exclusions": counter_table("reason", summary.exclusions),
        **fidelity_metadata(summary),
        "manifest": dg.MetadataValue.path(store.uri(summary.manifest_key)),
        # The digest of the bytes the build wrote, not re-read from the bucket.
        DIGEST_METADATA: result.manifest_digest.removeprefix("sha256:"),
        SIGNER_METADATA: result.signed_by or "unsigned",
        "report": dg.MetadataValue.path(store.uri(summary.report_key)),
    }


def fidelity_metadata(summary: BuildSummary) -> dict[str, Any]:
    """How much curation changed the released text (``release/fidelity.py``), per family."""
    fidelity = summary.fidelity
    return {
        "share_turns_changed": fidelity.share_turns_changed,
        "placeholders_per_1k_words": fidelity.placeholders_per_1k_words,
        "resources_kept": fidelity.resources_kept,
        "fidelity": md_table(FIDELITY_COLUMNS, fidelity.rows),
    }


def latest_release(context: dg.AssetCheckExecutionContext) -> tuple[str, str] | None:
    """(version, manifest sha256 at build time) of the latest materialization, if any."""
    event = context.instance.get_latest_materialization_event(RELEASE_KEY)
    if event is None or event.asset_materialization is None:
        return None
    metadata = event.asset_materialization.metadata
    version = metadata.get("version")
    if version is None:
        return None
    return str(version.value), digest_metadata(metadata).removeprefix("sha256:")


def build_gate_check(gate: str) -> dg.AssetChecksDefinition:
    """The blocking check of one gate, named ``dataset_release_<gate>``.

    Built from an op so that its step key and its output are that name too: ``@asset_check``
    (and ``@multi_asset_check``'s output) would repeat the asset's name,
    ``dataset_release_dataset_release_hash``, in the run page and its event log.
    """
    name = gate_check_name(gate)
    spec = dg.AssetCheckSpec(
        name, asset=RELEASE_KEY, blocking=True, description=gate_description(gate)
    )

    @dg.op(
        name=name,
        ins={RELEASE_INPUT: dg.In(dg.Nothing)},
        out={name: dg.Out(None)},  # as @asset_check does: the result is not type-checked
        description=spec.description,
    )
    def gate_check(
        context: dg.AssetCheckExecutionContext,
        storage: StorageResource,
        registry: RegistryResource,
    ) -> dg.AssetCheckResult:
        latest = latest_release(context)
        if latest is None:
            return dg.AssetCheckResult(
                check_name=name,
                passed=False,
                description="No release has been built yet: materialize dataset_release first.",
                metadata={"error": "no dataset_release materialization yet"},
            )
        version, built_sha256 = latest
        store = storage.store()
        manifest = load_manifest(store, version)
        with run_progress(context) as progress:
            result, from_build = published_gate_result(
                gate, store, version, manifest, built_sha256, registry.load(), progress=progress
            )
        source = RESULT_FROM_BUILD if from_build else RESULT_RECOMPUTED
        return dg.AssetCheckResult(
            check_name=name,
            passed=result.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "version": version,
                "result_from": source,
                "violations": counter_table("violation", result.violations),
                "violation_total": sum(result.violations.values()),
                "examples": dg.MetadataValue.json(result.examples[:20]),
            },
        )

    return dg.AssetChecksDefinition.create(
        keys_by_input_name={RELEASE_INPUT: RELEASE_KEY},
        node_def=gate_check,
        check_specs_by_output_name={name: spec},
        can_subset=False,
    )


BIAS_QA_CHECK = "dataset_release_bias_qa"
BIAS_QA_DESCRIPTION = (
    "Bias/QA report (reports/bias_qa.json): topic coverage and how replies differ across the"
    " groups users mention, against the thresholds in release/bias_qa.yaml. Warns, never blocks."
)


def build_bias_qa_check() -> dg.AssetChecksDefinition:
    """The Bias/QA report's warnings as a non-blocking check (severity WARN), built from an op
    like the gate checks so that its step key is its name."""
    spec = dg.AssetCheckSpec(
        BIAS_QA_CHECK,
        asset=RELEASE_KEY,
        blocking=False,
        description=BIAS_QA_DESCRIPTION,
    )

    @dg.op(
        name=BIAS_QA_CHECK,
        ins={RELEASE_INPUT: dg.In(dg.Nothing)},
        out={BIAS_QA_CHECK: dg.Out(None)},
        description=spec.description,
    )
    def bias_qa_check(
        context: dg.AssetCheckExecutionContext, storage: StorageResource
    ) -> dg.AssetCheckResult:
        latest = latest_release(context)
        store = storage.store()
        key = key_in(prefix_of(RELEASES_PREFIX, latest[0]), BIAS_QA) if latest else None
        if key is None or store.head(key) is None:
            return dg.AssetCheckResult(
                check_name=BIAS_QA_CHECK,
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"error": "no Bias/QA report: no release yet, or one built before it"},
            )
        document = orjson.loads(store.read_bytes(key))
        warnings = evaluate(document, Thresholds.from_dict(document.get("thresholds")))
        summary = check_summary(document, warnings)
        return dg.AssetCheckResult(
            check_name=BIAS_QA_CHECK,
            passed=not warnings,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "version": latest[0] if latest else "",
                **{k: v for k, v in summary.items() if k != "warnings"},
                "warnings": md_table(
                    ["warning", "group or topic", "value", "reference", "limit"],
                    [
                        [w["kind"], w["name"], w["value"], w.get("reference", ""), w["limit"]]
                        for w in warnings
                    ],
                ),
            },
        )

    return dg.AssetChecksDefinition.create(
        keys_by_input_name={RELEASE_INPUT: RELEASE_KEY},
        node_def=bias_qa_check,
        check_specs_by_output_name={BIAS_QA_CHECK: spec},
        can_subset=False,
    )


# Every check of the release: the blocking gates and the Bias/QA warnings.
gate_checks = [*(build_gate_check(gate) for gate in GATES), build_bias_qa_check()]

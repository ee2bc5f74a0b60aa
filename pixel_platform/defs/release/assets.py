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
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import orjson
from pydantic import Field

from pixel_platform import PIPELINE_VERSION
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
from pixel_platform.release import (
    GATES,
    GateContext,
    GateResult,
    ReleaseView,
    load_manifest,
)
from pixel_platform.release.authenticity import check_authenticity
from pixel_platform.release.gates import digest_object, run_gates_on
from pixel_platform.release.layout import NOT_IN_MANIFEST, STATS
from pixel_platform.release.signing import manifest_digest, signing_key_path_from_env
from pixel_platform.release.waivers import CoverageWaiver, parse_waivers
from pixel_platform.storage.base import ObjectStore

RELEASE_GROUP = RELEASE
RELEASE_TAG = "pixel/release-build"  # dagster.yaml limits runs with this tag to one at a time
RELEASE_INPUT = "dataset_release"  # a gate check's (data-less) input: the release it checks


def gate_check_name(gate: str) -> str:
    """The check's name, which is also its step key (``build_gate_check``)."""
    return f"dataset_release_{gate}"


class ReleaseBuildConfig(dg.Config):
    force: bool = False  # build a new version even when LATEST was built from the same inputs
    # FAMILY:REASON each: families this build may lack (Coverage gate), recorded in the manifest
    # with the reason; added to the registry's `coverage_waived` (release.waivers).
    waive_coverage: list[str] = Field(default_factory=list)


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
        "The versioned training release, in exports/releases/ under its version: each"
        " conversation's curriculum stage and phase, a 90/5/5 split by duplicate group (holdout"
        " families in test only), size-bounded shards, the compiled file, manifest.json (written"
        " last), stats.json, report.html and trainer exports (TRL, LLaMA-Factory, axolotl)."
        " LATEST and final_dataset/ move only when every gate passes. Nothing is built when"
        " LATEST already holds exactly these inputs (run config force: true builds anyway)."
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
            progress=progress,
        )
    if isinstance(result, UpToDate):
        context.log.info(
            "release %s was built from these same inputs and passed every gate; nothing to build "
            "(inputs fingerprint %s). Run with config force: true for a new version anyway.",
            result.version,
            result.fingerprint[:12],
        )
        return
    manifest = result.manifest
    counts = manifest["counts"]
    fidelity = (orjson.loads(store.read_bytes(result.prefix + STATS)).get("fidelity") or {})
    failed = [g.name for g in result.gates if not g.passed]
    if failed:
        context.log.error("release %s failed gates: %s", result.version, ", ".join(failed))
    else:
        context.log.info("release %s passed every gate", result.version)
    # Versions and digests only: what `pixel-platform verify --manifest-digest` takes.
    context.log.info(
        "release %s manifest %s, signed by %s",
        result.version,
        result.manifest_digest,
        result.signed_by or "nobody (no PIXEL_RELEASE_SIGNING_KEY)",
    )
    yield dg.MaterializeResult(
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
            **fidelity_metadata(fidelity),
            "manifest": dg.MetadataValue.path(store.uri(result.prefix + "manifest.json")),
            # The digest of the bytes the build wrote, not re-read from the bucket.
            DIGEST_METADATA: result.manifest_digest.removeprefix("sha256:"),
            SIGNER_METADATA: result.signed_by or "unsigned",
            "report": dg.MetadataValue.path(store.uri(result.prefix + "report.html")),
        }
    )


def fidelity_metadata(fidelity: dict[str, Any]) -> dict[str, Any]:
    """How much curation changed the released text (``release/fidelity.py``), per family."""
    total = fidelity.get("total") or {}
    rows = [
        [family, f["turns"], f"{100 * f['share_turns_redacted']:.1f}%",
         f"{100 * f['share_turns_repaired']:.1f}%", f["placeholders_per_1k_words"],
         f["resources_kept"]]
        for family, f in sorted((fidelity.get("by_family") or {}).items())
    ]  # fmt: skip
    return {
        "share_turns_changed": float(total.get("share_turns_changed", 0.0)),
        "placeholders_per_1k_words": float(total.get("placeholders_per_1k_words", 0.0)),
        "resources_kept": int(total.get("resources_kept", 0)),
        "fidelity": md_table(
            ["family", "turns", "redacted", "repaired", "placeholders / 1k words",
             "resources kept"],
            rows,
        ),
    }  # fmt: skip


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


# (release prefix, manifest sha256, listing, stored paths) -> whether every file matches the
# manifest. The gate checks of one run share it when they run in one process (in-process executor).
_VERIFIED_FILES: dict[
    tuple[str, str, tuple[tuple[str, str, int], ...], tuple[str, ...]], bool
] = {}


def files_match_manifest(
    store: ObjectStore, prefix: str, manifest: dict[str, Any], manifest_sha256: str
) -> bool:
    """Every file the manifest lists has its sha256 and size, and nothing else is there."""
    view = ReleaseView(store, prefix)
    listing = tuple(sorted((path, i.etag, i.size) for path, i in view.objects.items()))
    key = (view.uri(), manifest_sha256, listing, tuple(sorted(view.stored_paths)))
    if key not in _VERIFIED_FILES:
        listed = {entry["path"]: entry for entry in manifest.get("files", [])}
        ok = view.stored_paths - NOT_IN_MANIFEST == set(listed)
        for path, entry in listed.items() if ok else ():
            sha256, size, _ = digest_object(view, path)
            if (sha256, size) != (entry.get("sha256"), entry.get("bytes")):
                ok = False
                break
        _VERIFIED_FILES[key] = ok
    return _VERIFIED_FILES[key]


def recorded_result(
    gate: str,
    store: ObjectStore,
    prefix: str,
    manifest: dict[str, Any],
    built_sha256: str,
    registry_hash: str,
) -> GateResult | None:
    """The build's own result for ``gate``, when it still holds for what is published.

    The build ran every gate on the staged files and recorded the results in the manifest. They
    are those of the published release as long as the manifest is the one the build wrote (its
    sha256 is in the materialization's metadata), every file matches the manifest's sha256, and
    the registry and code are those of the build. Otherwise (anything edited after publishing,
    a new registry or code version) the gate runs again. The hash gate always runs.
    """
    if gate == "hash" or not built_sha256:
        return None
    view = ReleaseView(store, prefix)
    same_build = view.manifest_bytes is not None and (
        manifest_digest(view.manifest_bytes) == f"sha256:{built_sha256}"
    )
    same_code = (manifest.get("pipeline") or {}).get("version") == PIPELINE_VERSION
    same_registry = (manifest.get("registry") or {}).get("hash") == registry_hash
    if not (same_build and same_code and same_registry):
        return None
    results = {r["name"]: r for r in (manifest.get("gates") or {}).get("results", [])}
    if gate not in results or not files_match_manifest(store, prefix, manifest, built_sha256):
        return None
    return GateResult.from_dict(results[gate])


def with_findings(result: GateResult, extra: GateResult) -> GateResult:
    """``result`` with ``extra``'s violations and examples added; it fails if either does."""
    violations = dict(result.violations)
    for kind, n in extra.violations.items():
        violations[kind] = violations.get(kind, 0) + n
    return GateResult(
        result.name,
        result.passed and extra.passed,
        dict(sorted(violations.items())),
        [*result.examples, *extra.examples],
        {**result.metadata, extra.name: extra.metadata},
    )


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
        reg = registry.load()
        prefix = f"exports/releases/{version}/"
        result = recorded_result(gate, store, prefix, manifest, built_sha256, reg.source_hash)
        source = "the build's result (files verified against the manifest)"
        if result is None:
            view = ReleaseView(store, prefix)
            with run_progress(context) as progress:
                (result,) = run_gates_on(
                    view, GateContext.from_manifest(reg, manifest), [gate], progress=progress
                )
            source = "recomputed on the published files"
            if gate == "hash":
                recorded = {"dagster instance": f"sha256:{built_sha256}"} if built_sha256 else {}
                result = with_findings(result, check_authenticity(view, version, recorded))
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


gate_checks = [build_gate_check(gate) for gate in GATES]

"""Derived source assets. Each writes ``derived/<family>/…jsonl`` and feeds ``raw/<family>``.

A generator with no input objects has nothing to generate: its asset still materializes, with
metadata ``status: skipped`` and ``reason: no inputs under …`` (shown in the UI), writes no
derived object (an earlier run's output is retracted: ``derived.status.settle_output``), and
records the outcome in ``pipeline/derived/status/<asset>.json`` for the release. Every run first
clears that record, so a failed run never reads as a skip. Broken inputs (unreadable objects, a
CSV without its columns) still fail the asset.
"""

from collections.abc import Callable
from typing import Any

import dagster as dg
import orjson

from pixel_platform.defs.curation.assets import curated_asset_key
from pixel_platform.defs.curation.resources import CurationConfigResource
from pixel_platform.defs.ingest.metadata import counter_table
from pixel_platform.defs.resources import StorageResource
from pixel_platform.derived.cptsd.build import DEFAULT_OUTPUT_KEY as CPTSD_KEY
from pixel_platform.derived.cptsd.build import generate_cptsd
from pixel_platform.derived.edge_cases import generate_edge_cases
from pixel_platform.derived.long_running import extract_long_running, find_jsonl_keys
from pixel_platform.derived.output import GeneratorReport
from pixel_platform.derived.persona import persona_distance
from pixel_platform.derived.persona.build import DEFAULT_CONVERSATIONS_KEY as PERSONA_KEY
from pixel_platform.derived.persona.build import DEFAULT_PROFILE_KEY as PERSONA_PROFILE_KEY
from pixel_platform.derived.persona.build import generate_conversations, generate_profile
from pixel_platform.derived.preferences.build import (
    DEFAULT_COUNSEL_CHAT_OUTPUT,
    DEFAULT_CRISIS_OUTPUT,
    generate_counsel_chat_pairs,
    generate_crisis_pairs,
)
from pixel_platform.derived.preferences.build import (
    FAMILY as PREFERENCE_FAMILY,
)
from pixel_platform.derived.pretraining import DEFAULT_OUTPUT_KEY as PRETRAINING_KEY
from pixel_platform.derived.pretraining import generate_pretraining_text
from pixel_platform.derived.simulator import FAMILY as SIMULATOR_FAMILY
from pixel_platform.derived.simulator import OUTPUT_KEY as SIMULATOR_KEY
from pixel_platform.derived.simulator import SimulatorStats, simulator_tasks
from pixel_platform.derived.status import (
    OutputStatus,
    Skipped,
    clear_status,
    has_output,
    settle_output,
    status_key,
    write_status,
)
from pixel_platform.pipeline import layout
from pixel_platform.pipeline.partition import HashingWriter
from pixel_platform.registry.model import Registry
from pixel_platform.storage.base import ObjectStore

DERIVED_GROUP = "derived"
LONG_RUNNING_FAMILY = "long_running_therapy"
# Families fed by generators that read other families' curated output.
CURATED_READERS = [LONG_RUNNING_FAMILY, PREFERENCE_FAMILY]
# What the curated readers never read: their own families (else the graph has a cycle), and the
# simulator's role-plays, whose assistant is a client (no therapy to select or to pair).
NOT_READ = [*CURATED_READERS, SIMULATOR_FAMILY]
EDGE_CASE_FAMILY = "edge_case_synthetic"
LONG_RUNNING_KEY = f"derived/{LONG_RUNNING_FAMILY}/long_running.jsonl"
EDGE_CASE_KEY = f"derived/{EDGE_CASE_FAMILY}/edge_cases.jsonl"
CURATED_PREFIX = layout.CURATED_PREFIX


def start_run(context: dg.AssetExecutionContext, store: ObjectStore, keys: list[str]) -> set[str]:
    """Clear the asset's last outcome (a run that fails leaves none, so it never reads as a skip)
    and return which of its output keys hold an earlier run's records."""
    clear_status(store, context.asset_key.to_user_string())
    return {key for key in keys if has_output(store, key)}


def record_outcome(
    context: dg.AssetExecutionContext, store: ObjectStore, outputs: list[OutputStatus]
) -> dict[str, Any]:
    """Write the run's ``GeneratorStatus`` and return the metadata that shows it: ``status``
    (``skipped`` when every output was skipped, else ``generated``), for skipped outputs
    ``reason`` (``no inputs under …``), and the earlier outputs this run retracted."""
    asset = context.asset_key.to_user_string()
    write_status(store, asset, outputs)
    skipped = [o for o in outputs if o.skipped is not None]
    metadata: dict[str, Any] = {
        "status": "skipped" if len(skipped) == len(outputs) else "generated",
        "generator_status": dg.MetadataValue.path(store.uri(status_key(asset))),
    }
    if skipped:
        reasons = [
            (f"{o.skipped.generator}: " if len(outputs) > 1 else "") + o.skipped.describe()
            for o in skipped
            if o.skipped is not None
        ]
        metadata["reason"] = dg.MetadataValue.text("; ".join(reasons))
        context.log.info("%s skipped: %s", asset, "; ".join(reasons))
    retracted = [store.uri(o.key) for o in outputs if o.retracted]
    if retracted:
        metadata["retracted_earlier_output"] = dg.MetadataValue.text(", ".join(retracted))
        context.log.warning("no records this run; earlier output emptied: %s", retracted)
    return metadata


def settle_report(
    store: ObjectStore, key: str, had_output: set[str], report: GeneratorReport
) -> OutputStatus:
    return settle_output(
        store,
        key,
        had_output=key in had_output,
        skipped=report.skipped,
        records=report.records,
        inputs=report.inputs,
        problems=len(report.problems),
    )


def one_output_run(
    context: dg.AssetExecutionContext,
    store: ObjectStore,
    key: str,
    generate: Callable[[], GeneratorReport],
) -> dg.MaterializeResult:
    """A generator with one output key: clear the last outcome, run it, record the new one; the
    report's counts join the metadata unless the run was skipped."""
    had = start_run(context, store, [key])
    report = generate()
    outcome = record_outcome(context, store, [settle_report(store, key, had, report)])
    if report.skipped is not None:
        return dg.MaterializeResult(metadata=outcome)
    return dg.MaterializeResult(metadata={**outcome, **_report_metadata(report, store)})


def derived_asset(name: str, description: str, **kwargs: Any) -> Any:
    """``dg.asset`` for a generator: in the derived group, of kind python."""
    return dg.asset(
        name=name, group_name=DERIVED_GROUP, kinds={"python"}, description=description, **kwargs
    )


class LongRunningConfig(dg.Config):
    min_turns: int = 20
    limit: int | None = None


class EdgeCaseConfig(dg.Config):
    categories: str = "all"
    count: int = 250
    seed: int = 2025
    roleplay_style: str = "therapeutic"


class SimulatorConfig(dg.Config):
    count: int = 120
    seed: int = 2025


def build_derived_assets(registry: Registry) -> list[dg.AssetsDefinition]:
    # Generators that read curated outputs skip the families fed by such generators, or the
    # graph would have a cycle (long-running reads preference pairs that read long-running …).
    others = [curated_asset_key(n) for n in registry.families if n not in NOT_READ]

    @derived_asset(
        "long_running_therapy_source",
        "Conversations with at least min_turns dialogue turns (config, default 20) from every"
        f" other family's curated output, written to {LONG_RUNNING_KEY}: a source of the"
        f" {LONG_RUNNING_FAMILY} family.",
        deps=others,
    )
    def long_running_therapy_source(
        context: dg.AssetExecutionContext, config: LongRunningConfig, storage: StorageResource
    ) -> dg.MaterializeResult:
        store = storage.store()
        had = start_run(context, store, [LONG_RUNNING_KEY])
        keys = find_jsonl_keys(store, CURATED_PREFIX, exclude_families=NOT_READ)
        if not keys:  # no curated partition of any other family: nothing to select from
            skipped = Skipped(LONG_RUNNING_FAMILY, (CURATED_PREFIX,))
            outcome = settle_output(store, LONG_RUNNING_KEY, had_output=bool(had), skipped=skipped)
            return dg.MaterializeResult(metadata=record_outcome(context, store, [outcome]))
        run = extract_long_running(store, keys, min_turns=config.min_turns, limit=config.limit)
        with store.open_write(LONG_RUNNING_KEY) as fh:
            writer = HashingWriter(fh)
            for record in run:
                writer.write_line(record.to_json())
        stats = run.stats
        context.log.info("selected %d of %d records", stats.selected, stats.records_read)
        outcome = settle_output(
            store,
            LONG_RUNNING_KEY,
            had_output=bool(had),
            skipped=None,
            records=stats.selected,
            inputs=stats.records_read,
            problems=stats.bad_lines,
        )
        return dg.MaterializeResult(
            metadata={
                **record_outcome(context, store, [outcome]),
                "files_scanned": stats.files_scanned,
                "records_read": stats.records_read,
                "selected": stats.selected,
                "bad_lines": stats.bad_lines,
                "output": dg.MetadataValue.path(store.uri(LONG_RUNNING_KEY)),
                "sha256": writer.sha256.hexdigest(),
            }
        )

    @derived_asset(
        "edge_case_synthetic_source",
        "Synthetic crisis role-plays over 25 categories from the deterministic template"
        f" generator, written to {EDGE_CASE_KEY}: a source of the {EDGE_CASE_FAMILY} family."
        " No two are near-duplicates; every reply to a crisis turn offers a resource or a"
        " safety-planning step.",
        check_specs=[
            dg.AssetCheckSpec(
                "edge_case_synthetic_source_crisis_safety",
                asset="edge_case_synthetic_source",
                blocking=True,
                description=(
                    "Every requested role-play was generated, and every reply to a crisis turn"
                    " offers a crisis resource or a safety-planning step."
                ),
            )
        ],
    )
    def edge_case_synthetic_source(
        context: dg.AssetExecutionContext, config: EdgeCaseConfig, storage: StorageResource
    ) -> dg.MaterializeResult:
        store = storage.store()
        had = start_run(context, store, [EDGE_CASE_KEY])
        run = generate_edge_cases(
            config.categories, config.count, config.seed, config.roleplay_style, "template"
        )
        with store.open_write(EDGE_CASE_KEY) as fh:
            writer = HashingWriter(fh)
            for record in run:
                writer.write_line(record.to_json())
        stats = run.stats
        # The template generator needs no input objects; it is never skipped.
        outcome = settle_output(
            store, EDGE_CASE_KEY, had_output=bool(had), skipped=None, records=stats.generated
        )
        return dg.MaterializeResult(
            metadata={
                **record_outcome(context, store, [outcome]),
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

    @derived_asset(
        "simulator_tasks_source",
        "Counselling skills-simulator tasks (curriculum stage 7): the edge-case generator's"
        " low- and moderate-risk role-plays turned round, the model playing the client, written"
        f" to {SIMULATOR_KEY}: the source of the {SIMULATOR_FAMILY} family. Role-plays whose"
        " client lines rate high or imminent crisis risk are dropped.",
    )
    def simulator_tasks_source(
        context: dg.AssetExecutionContext, config: SimulatorConfig, storage: StorageResource
    ) -> dg.MaterializeResult:
        store = storage.store()
        had = start_run(context, store, [SIMULATOR_KEY])
        stats = SimulatorStats()
        with store.open_write(SIMULATOR_KEY) as fh:
            writer = HashingWriter(fh)
            for record in simulator_tasks(config.count, config.seed, stats):
                writer.write_line(record.to_json())
        outcome = settle_output(
            store, SIMULATOR_KEY, had_output=bool(had), skipped=None, records=stats.written,
            inputs=stats.generated,
        )  # fmt: skip
        return dg.MaterializeResult(
            metadata={
                **record_outcome(context, store, [outcome]),
                "written": stats.written,
                "dropped": dg.MetadataValue.json(dict(stats.dropped)),
                "by_category": counter_table("category", stats.by_category),
            }
        )

    return [long_running_therapy_source, edge_case_synthetic_source, simulator_tasks_source]


TRANSCRIPT_PREFIXES = ["voice/monologues/", "voice/transcripts_raw/"]


class TranscriptsConfig(dg.Config):
    input_prefixes: list[str] = TRANSCRIPT_PREFIXES


class PersonaConfig(dg.Config):
    input_prefixes: list[str] = TRANSCRIPT_PREFIXES
    count: int = 40
    seed: int = 0


class PreferenceConfig(dg.Config):
    counsel_chat_csv: str = "acquired/counsel_chat/counsel_chat_sample.csv"
    min_margin: float = 1.0
    pairing: str = "adjacent"
    seed: int = 0


def _report_metadata(report: Any, store: Any) -> dict[str, Any]:
    data = report.as_dict()
    metadata: dict[str, Any] = {
        "inputs": data.get("inputs", 0),
        "records": data.get("records", 0),
        "dropped": counter_table("reason", data.get("dropped") or {}),
    }
    if report.output:
        metadata["output"] = dg.MetadataValue.path(str(report.output))
    for section, counts in (data.get("counts") or {}).items():
        metadata[section] = counter_table(section, counts)
    return metadata


def transcripts_asset(
    name: str,
    description: str,
    key: str,
    generate: Callable[[ObjectStore, list[str], ObjectStore, str], GeneratorReport],
) -> dg.AssetsDefinition:
    """A generator of one output, ``key``, from the transcripts under the configured prefixes:
    ``generate(source, input_prefixes, target, key)`` with the bucket as source and target."""

    @derived_asset(name, description)
    def transcripts_source(
        context: dg.AssetExecutionContext, config: TranscriptsConfig, storage: StorageResource
    ) -> dg.MaterializeResult:
        store = storage.store()
        return one_output_run(
            context, store, key, lambda: generate(store, config.input_prefixes, store, key)
        )

    return transcripts_source


def build_transcript_assets(registry: Registry) -> list[dg.AssetsDefinition]:
    cptsd_transcripts_source = transcripts_asset(
        "cptsd_transcripts_source",
        "Teaching transcripts cut into 120–350-word segments on topic boundaries, tagged with"
        " CPTSD themes and turned into question → explanation exchanges (speaker names and"
        " URLs redacted): a source of the cptsd family.",
        CPTSD_KEY,
        generate_cptsd,
    )

    @derived_asset(
        "voice_persona_source",
        "A voice profile computed from the speaker's transcripts (signature phrases, sentence"
        " length, pronoun and question rates, analogies) and persona conversations built from"
        " it: a source of the voice_persona family. The profile is stored beside, not ingested.",
    )
    def voice_persona_source(
        context: dg.AssetExecutionContext, config: PersonaConfig, storage: StorageResource
    ) -> dg.MaterializeResult:
        store = storage.store()
        had = start_run(context, store, [PERSONA_KEY])
        profile, profile_report = generate_profile(store, config.input_prefixes, store)
        if profile is None:  # no transcripts: no profile, no conversations
            outcome = settle_report(store, PERSONA_KEY, had, profile_report)
            return dg.MaterializeResult(metadata=record_outcome(context, store, [outcome]))
        report = generate_conversations(
            profile, store, PERSONA_KEY, count=config.count, seed=config.seed
        )
        distance = persona_distance(profile, _read_replies(store, PERSONA_KEY))
        outcome = settle_report(store, PERSONA_KEY, had, report)
        metadata = {**record_outcome(context, store, [outcome]), **_report_metadata(report, store)}
        metadata["persona_distance"] = round(float(distance), 4)
        metadata["profile"] = dg.MetadataValue.path(store.uri(PERSONA_PROFILE_KEY))
        metadata["transcripts"] = profile_report.inputs
        return dg.MaterializeResult(metadata=metadata)

    pretraining_text_source = transcripts_asset(
        "pretraining_text_source",
        "Transcripts and documents as plain-text records (metadata kind: text) for phase A"
        " continued pretraining: a source of the pretraining_text family.",
        PRETRAINING_KEY,
        generate_pretraining_text,
    )

    others = [curated_asset_key(n) for n in registry.families if n not in NOT_READ]

    @derived_asset(
        "preference_pairs_source",
        "Phase C preference pairs: counsel-chat answers to the same question ranked by upvotes"
        " (chosen vs rejected, with a margin) and crisis turns (a safe, resourced reply vs the"
        " unsafe one found by curation): a source of the preference_pairs family.",
        deps=others,
    )
    def preference_pairs_source(
        context: dg.AssetExecutionContext,
        config: PreferenceConfig,
        storage: StorageResource,
        curation: CurationConfigResource,
    ) -> dg.MaterializeResult:
        store = storage.store()
        had = start_run(context, store, [DEFAULT_COUNSEL_CHAT_OUTPUT, DEFAULT_CRISIS_OUTPUT])
        pii = curation.load().pii
        counsel = generate_counsel_chat_pairs(
            store,
            config.counsel_chat_csv,
            store,
            min_margin=config.min_margin,
            pairing=config.pairing,
            pii=pii,
        )
        crisis = generate_crisis_pairs(
            store,
            CURATED_PREFIX,
            store,
            seed=config.seed,
            exclude_families=NOT_READ,
            pii=pii,
        )
        outcomes = [
            settle_report(store, DEFAULT_COUNSEL_CHAT_OUTPUT, had, counsel),
            settle_report(store, DEFAULT_CRISIS_OUTPUT, had, crisis),
        ]
        metadata = record_outcome(context, store, outcomes)
        for prefix, report in (("counsel_chat", counsel), ("crisis", crisis)):
            metadata[f"{prefix}_status"] = "skipped" if report.skipped else "generated"
            if report.skipped is None:
                parts = _report_metadata(report, store).items()
                metadata.update({f"{prefix}_{k}": v for k, v in parts})
        return dg.MaterializeResult(metadata=metadata)

    return [
        cptsd_transcripts_source,
        voice_persona_source,
        pretraining_text_source,
        preference_pairs_source,
    ]


def _read_replies(store: Any, key: str) -> list[str]:
    replies = []
    with store.open_read(key) as fh:
        for line in fh:
            if line.strip():
                record = orjson.loads(line)
                replies += [m["content"] for m in record["messages"] if m["role"] == "assistant"]
    return replies

"""Derived source assets. Each writes ``derived/<family>/…jsonl`` and feeds ``raw/<family>``."""

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
from pixel_platform.derived.persona import persona_distance
from pixel_platform.derived.persona.build import DEFAULT_CONVERSATIONS_KEY as PERSONA_KEY
from pixel_platform.derived.persona.build import DEFAULT_PROFILE_KEY as PERSONA_PROFILE_KEY
from pixel_platform.derived.persona.build import generate_conversations, generate_profile
from pixel_platform.derived.preferences.build import (
    FAMILY as PREFERENCE_FAMILY,
)
from pixel_platform.derived.preferences.build import (
    generate_counsel_chat_pairs,
    generate_crisis_pairs,
)
from pixel_platform.derived.pretraining import DEFAULT_OUTPUT_KEY as PRETRAINING_KEY
from pixel_platform.derived.pretraining import generate_pretraining_text
from pixel_platform.pipeline.partition import HashingWriter
from pixel_platform.registry.model import Registry

DERIVED_GROUP = "derived"
LONG_RUNNING_FAMILY = "long_running_therapy"
# Families fed by generators that read other families' curated output.
CURATED_READERS = [LONG_RUNNING_FAMILY, PREFERENCE_FAMILY]
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
    # Generators that read curated outputs skip the families fed by such generators, or the
    # graph would have a cycle (long-running reads preference pairs that read long-running …).
    others = [curated_asset_key(n) for n in registry.families if n not in CURATED_READERS]

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
        keys = find_jsonl_keys(store, "pipeline/curated/", exclude_families=CURATED_READERS)
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


def build_transcript_assets(registry: Registry) -> list[dg.AssetsDefinition]:
    @dg.asset(
        name="cptsd_transcripts_source",
        group_name=DERIVED_GROUP,
        kinds={"python"},
        description=(
            "Teaching transcripts cut into 120–350-word segments on topic boundaries, tagged with"
            " CPTSD themes and turned into question → explanation exchanges (speaker names and"
            " URLs redacted); a source of `cptsd`."
        ),
    )
    def cptsd_transcripts_source(
        config: TranscriptsConfig, storage: StorageResource
    ) -> dg.MaterializeResult:
        store = storage.store()
        report = generate_cptsd(store, config.input_prefixes, store, CPTSD_KEY)
        return dg.MaterializeResult(metadata=_report_metadata(report, store))

    @dg.asset(
        name="voice_persona_source",
        group_name=DERIVED_GROUP,
        kinds={"python"},
        description=(
            "A voice profile computed from the speaker's transcripts (signature phrases, sentence"
            " length, pronoun and question rates, analogies) and persona conversations built from"
            " it; a source of `voice_persona`. The profile is stored beside, not ingested."
        ),
    )
    def voice_persona_source(
        config: PersonaConfig, storage: StorageResource
    ) -> dg.MaterializeResult:
        store = storage.store()
        profile, profile_report = generate_profile(store, config.input_prefixes, store)
        report = generate_conversations(
            profile, store, PERSONA_KEY, count=config.count, seed=config.seed
        )
        distance = persona_distance(profile, _read_replies(store, PERSONA_KEY))
        metadata = _report_metadata(report, store)
        metadata["persona_distance"] = round(float(distance), 4)
        metadata["profile"] = dg.MetadataValue.path(store.uri(PERSONA_PROFILE_KEY))
        metadata["transcripts"] = profile_report.inputs
        return dg.MaterializeResult(metadata=metadata)

    @dg.asset(
        name="pretraining_text_source",
        group_name=DERIVED_GROUP,
        kinds={"python"},
        description=(
            "Transcripts and documents as plain-text records (`metadata.kind: text`) for phase A"
            " continued pretraining; a source of `pretraining_text`."
        ),
    )
    def pretraining_text_source(
        config: TranscriptsConfig, storage: StorageResource
    ) -> dg.MaterializeResult:
        store = storage.store()
        report = generate_pretraining_text(store, config.input_prefixes, store, PRETRAINING_KEY)
        return dg.MaterializeResult(metadata=_report_metadata(report, store))

    others = [curated_asset_key(n) for n in registry.families if n not in CURATED_READERS]

    @dg.asset(
        name="preference_pairs_source",
        deps=others,
        group_name=DERIVED_GROUP,
        kinds={"python"},
        description=(
            "Phase C preference pairs: counsel-chat answers to the same question ranked by upvotes"
            " (chosen vs rejected, with a margin) and crisis turns (a safe, resourced reply vs the"
            " unsafe one found by curation); a source of `preference_pairs`."
        ),
    )
    def preference_pairs_source(
        config: PreferenceConfig,
        storage: StorageResource,
        curation: CurationConfigResource,
    ) -> dg.MaterializeResult:
        store = storage.store()
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
            "pipeline/curated/",
            store,
            seed=config.seed,
            exclude_families=CURATED_READERS,
            pii=pii,
        )
        metadata = {f"counsel_chat_{k}": v for k, v in _report_metadata(counsel, store).items()}
        metadata.update({f"crisis_{k}": v for k, v in _report_metadata(crisis, store).items()})
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

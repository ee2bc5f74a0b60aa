"""Generator entry points: transcripts -> profile JSON; profile -> persona conversations JSONL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from pixel_platform.core.errors import ConfigError
from pixel_platform.derived.cptsd.themes import load_lexicon
from pixel_platform.derived.cptsd.transcripts import read_transcripts
from pixel_platform.derived.output import GeneratorReport, write_jsonl
from pixel_platform.derived.persona.conversations import GENERATOR, persona_conversations
from pixel_platform.derived.persona.profile import SCHEMA, build_profile
from pixel_platform.derived.status import missing_inputs
from pixel_platform.storage.base import ObjectStore

FAMILY = "voice_persona"
DEFAULT_PROFILE_KEY = f"pipeline/derived/{FAMILY}/profile.json"  # not a source: not ingested
DEFAULT_CONVERSATIONS_KEY = f"derived/{FAMILY}/persona_conversations.jsonl"
PROFILE_GENERATOR = "persona_profile"


def generate_profile(
    source: ObjectStore,
    input_prefixes: str | Sequence[str],
    target: ObjectStore,
    output_key: str = DEFAULT_PROFILE_KEY,
    *,
    speaker: str | None = None,
    top_k: int = 30,
) -> tuple[dict[str, Any] | None, GeneratorReport]:
    """Build the profile from every transcript under the prefixes and write it as JSON.

    No object under the prefixes: no profile (``None``), nothing written, ``report.skipped``
    set. Objects of which none can be read: ``ConfigError``."""
    report = GeneratorReport(
        PROFILE_GENERATOR, skipped=missing_inputs(source, input_prefixes, PROFILE_GENERATOR)
    )
    if report.skipped is not None:
        return None, report
    transcripts = []
    for unit in read_transcripts(source, input_prefixes):
        item = report.accept(unit)
        if item is not None:
            transcripts.append(item)
    if not transcripts:  # objects there, none readable: a broken input, not an absent one
        first = report.problems[0] if report.problems else {"key": "?", "reason": "?"}
        raise ConfigError(
            f"no readable transcript to build a voice profile from: none of the {report.inputs}"
            f" input objects could be read (first: {first['key']}: {first['reason']})"
        )
    profile = build_profile(transcripts, speaker=speaker, top_k=top_k)
    data = orjson.dumps(profile, option=orjson.OPT_INDENT_2) + b"\n"
    target.write_bytes(output_key, data)
    report.records = 1
    report.bytes = len(data)
    report.output = target.uri(output_key)
    report.extra["passages"] = len(profile["passages"])
    report.extra["signature_phrases"] = [p["phrase"] for p in profile["signature_phrases"][:10]]
    return profile, report


def load_profile(store: ObjectStore, key: str) -> dict[str, Any]:
    try:
        profile = orjson.loads(store.read_bytes(key))
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"{store.uri(key)} is not JSON: {exc}") from None
    if not isinstance(profile, dict) or profile.get("schema") != SCHEMA:
        raise ConfigError(f"{store.uri(key)} is not a voice profile (schema {SCHEMA})")
    return profile


def generate_conversations(
    profile: dict[str, Any],
    target: ObjectStore,
    output_key: str = DEFAULT_CONVERSATIONS_KEY,
    *,
    count: int = 100,
    seed: int = 0,
) -> GeneratorReport:
    report = GeneratorReport(GENERATOR)
    report.inputs = len(profile.get("passages") or ())
    records = persona_conversations(
        profile, count, seed=seed, lexicon=load_lexicon(), report=report
    )
    return write_jsonl(target, output_key, records, report)

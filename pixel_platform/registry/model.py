"""Registry schema and loader.

The registry is a YAML file (``registry.yaml`` beside this module by default; overridden by the
``--registry`` CLI flag or ``PIXEL_REGISTRY``). Unknown keys are errors, and every error names the
file and the dotted path of the bad key, e.g. ``families.cptsd.sources.0.prefix``.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pixel_platform.core.errors import ConfigError, InvalidKeyError
from pixel_platform.storage.keys import validate_key

DEFAULT_REGISTRY = Path(__file__).with_name("registry.yaml")
REGISTRY_ENV = "PIXEL_REGISTRY"

# The seven SFT stages of curriculum phase B plus phase A (pretraining text) and phase C
# (preference pairs). The curriculum config (release) gives weights; the registry only routes.
STAGES = (
    "stage1_foundation",
    "stage2_clinical_reasoning",
    "stage3_crisis_stress_test",
    "stage4_persona",
    "stage5_long_running_therapy",
    "stage6_specialized_domains",
    "stage7_simulator_tasks",
    "phaseA_pretraining",
    "phaseC_preference",
)

INPUT_FORMATS = (
    "auto",
    "messages",  # OpenAI {"messages": [{role, content}]}
    "sharegpt",  # {"conversations": [{from, value}]}
    "turn_list",  # {"conversation"|"dialog"|...: [{from|role|speaker: , content|text|value: }]}
    "alpaca",  # {instruction, input, output}
    "transcript",  # "Human:/Assistant:", "Client:/Therapist:", ... in a text field or .txt file
    "qa",  # question/answer columns (CSV or JSON)
)

FAMILY_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LicenseSpec(_Strict):
    """What a licence permits. Families reference licences by id; no licence means no shipping."""

    name: str
    commercial: bool
    allows_rewrite: bool = True
    url: str | None = None


class FieldMapping(_Strict):
    """Where a converter finds things in a source record. Every list is tried in order."""

    turn_lists: tuple[str, ...] = (
        "messages",
        "conversations",
        "conversation",
        "dialog",
        "dialogue",
        "turns",
    )
    role: tuple[str, ...] = ("role", "from", "speaker")
    content: tuple[str, ...] = ("content", "value", "text", "utterance")
    text: tuple[str, ...] = ("text", "transcript", "dialogue_text", "conversation_text")
    question: tuple[str, ...] = ("question", "questionTitle", "questionText", "prompt", "Context")
    answer: tuple[str, ...] = ("answer", "answerText", "response", "Response")
    instruction: str = "instruction"
    input: str = "input"
    output: str = "output"
    container_keys: tuple[str, ...] = ("train", "data", "records", "conversations", "items")


class SourceSpec(_Strict):
    """One place raw data lives: a prefix (a folder) or a single key. One partition each."""

    prefix: str | None = None
    key: str | None = None
    format: (
        Literal["auto", "messages", "sharegpt", "turn_list", "alpaca", "transcript", "qa"] | None
    ) = None
    license: str | None = None  # overrides the family's licence for this source
    # The Dagster asset that writes this source (a derived generator), for lineage.
    produced_by: str | None = None

    @model_validator(mode="after")
    def _one_location(self) -> SourceSpec:
        if (self.prefix is None) == (self.key is None):
            raise ValueError("give exactly one of 'prefix' or 'key'")
        try:
            if self.prefix is not None:
                validate_key(self.prefix, allow_prefix=True)
            if self.key is not None:
                validate_key(self.key)
        except InvalidKeyError as exc:
            raise ValueError(str(exc)) from None
        if self.prefix is not None and not self.prefix.endswith("/"):
            raise ValueError(f"prefix {self.prefix!r} must end with '/'")
        return self

    @property
    def location(self) -> str:
        """The partition key: the prefix or the single object key."""
        return self.prefix if self.prefix is not None else str(self.key)


class FamilySpec(_Strict):
    name: str = ""
    description: str = ""
    stage: str
    priority: int = Field(default=50, ge=0, le=100)  # higher wins when choosing dedup keepers
    holdout: bool = False  # holdout families go to the test split only
    license: str | None = None
    format: Literal["auto", "messages", "sharegpt", "turn_list", "alpaca", "transcript", "qa"] = (
        "auto"
    )
    sources: tuple[SourceSpec, ...] = ()
    fields: FieldMapping = FieldMapping()
    roles: dict[str, Literal["system", "user", "assistant"]] = {}
    system_prompt: str | None = None
    min_turns: int | None = Field(default=None, ge=1)
    max_turn_chars: int | None = Field(default=None, ge=1)
    derived: bool = False  # produced by a derived/generator asset rather than read from sources

    @field_validator("stage")
    @classmethod
    def _known_stage(cls, value: str) -> str:
        if value not in STAGES:
            raise ValueError(f"unknown stage {value!r}; expected one of {', '.join(STAGES)}")
        return value

    def source_format(self, source: SourceSpec) -> str:
        return source.format or self.format

    def source_license(self, source: SourceSpec) -> str | None:
        return source.license or self.license


class Defaults(_Strict):
    min_turns: int = Field(default=2, ge=1)
    max_turn_chars: int = Field(default=32_000, ge=1)


# Built-in role names; a family's ``roles`` adds to or overrides these (keys are lower-cased).
DEFAULT_ROLES: dict[str, str] = {
    "system": "system",
    "user": "user",
    "human": "user",
    "client": "user",
    "patient": "user",
    "seeker": "user",
    "speaker": "user",
    "prompter": "user",
    "question": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "bot": "assistant",
    "ai": "assistant",
    "chatgpt": "assistant",
    "model": "assistant",
    "therapist": "assistant",
    "counselor": "assistant",
    "counsellor": "assistant",
    "supporter": "assistant",
    "listener": "assistant",
    "psychologist": "assistant",
    "answer": "assistant",
}


class Registry(_Strict):
    version: int = 1
    defaults: Defaults = Defaults()
    licenses: dict[str, LicenseSpec] = {}
    families: dict[str, FamilySpec]
    source_hash: str = ""  # sha256 of the YAML bytes; set by ``load_registry``

    @model_validator(mode="after")
    def _cross_checks(self) -> Registry:
        problems: list[str] = []
        seen_locations: dict[str, str] = {}
        for name, family in self.families.items():
            if not FAMILY_NAME.match(name):
                problems.append(f"families.{name}: family names are lower_snake_case")
            if family.license is not None and family.license not in self.licenses:
                problems.append(
                    f"families.{name}.license: {family.license!r} is not defined under 'licenses'"
                )
            for i, source in enumerate(family.sources):
                if source.license is not None and source.license not in self.licenses:
                    problems.append(
                        f"families.{name}.sources.{i}.license: {source.license!r} is not defined"
                        " under 'licenses'"
                    )
                other = seen_locations.setdefault(source.location, name)
                if other != name:
                    problems.append(
                        f"families.{name}.sources.{i}: {source.location!r} is already a source of"
                        f" family {other!r}; a source belongs to one family"
                    )
            if not family.sources and not family.derived:
                problems.append(f"families.{name}.sources: a non-derived family needs a source")
        locations = sorted(seen_locations)
        for outer in (loc for loc in locations if loc.endswith("/")):
            for inner in locations:
                if inner != outer and inner.startswith(outer):
                    problems.append(
                        f"families.{seen_locations[inner]}: source {inner!r} lies inside source"
                        f" {outer!r} of family {seen_locations[outer]!r}; objects would be read"
                        " twice"
                    )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def family(self, name: str) -> FamilySpec:
        try:
            return self.families[name]
        except KeyError:
            raise ConfigError(
                f"unknown family {name!r}; the registry has: {', '.join(self.families)}"
            ) from None

    def roles_for(self, family: FamilySpec) -> dict[str, str]:
        return {**DEFAULT_ROLES, **{k.lower(): v for k, v in family.roles.items()}}

    def min_turns(self, family: FamilySpec) -> int:
        return family.min_turns or self.defaults.min_turns

    def max_turn_chars(self, family: FamilySpec) -> int:
        return family.max_turn_chars or self.defaults.max_turn_chars


def _format_validation_error(path: Path, error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "<top level>"
        lines.append(f"  {where}: {item['msg']}")
    return f"invalid registry {path}:\n" + "\n".join(lines)


def resolve_registry_path(path: str | Path | None = None) -> Path:
    if path is not None:
        return Path(path)
    env = os.environ.get(REGISTRY_ENV)
    return Path(env) if env else DEFAULT_REGISTRY


def load_registry(path: str | Path | None = None) -> Registry:
    """Load and validate the registry; raise ``ConfigError`` naming the file and bad key."""
    resolved = resolve_registry_path(path)
    try:
        raw_bytes = resolved.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read registry {resolved}: {exc.strerror}") from None
    try:
        data: Any = yaml.safe_load(raw_bytes)
    except yaml.YAMLError as exc:
        raise ConfigError(f"registry {resolved} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"registry {resolved} must be a mapping with a 'families' key")
    families = data.get("families")
    if isinstance(families, dict):
        for name, spec in families.items():
            if isinstance(spec, dict):
                spec.setdefault("name", name)
    data["source_hash"] = "sha256:" + hashlib.sha256(raw_bytes).hexdigest()
    try:
        return Registry.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(resolved, exc)) from None

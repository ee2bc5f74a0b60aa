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
    "parlai",  # {"personality": [...], "utterances": [{"history": [...], "candidates": [...]}]}
    "post",  # one post without a reply (CSV row or JSON object): needs a ``posts`` route
)
InputFormat = Literal[
    "auto", "messages", "sharegpt", "turn_list", "alpaca", "transcript", "qa", "parlai", "post"
]

# Where an unpaired post (a post nobody answered) goes; never a made-up dialogue.
# ``text``: a phase A text record (``metadata.kind: text``), so only in a phase A family.
# ``crisis_eval``: an evaluation record (``metadata.kind: eval``: the post as the one user turn,
# its label kept), so only in a holdout family, whose records the release puts in the test split
# and the trainer never reads.
PostsRoute = Literal["text", "crisis_eval"]
PHASE_A_STAGE = "phaseA_pretraining"

# A licence id meaning "we looked and do not know": allowed anywhere a licence goes, never
# defined under ``licenses``, so the release denies it (``license_missing``) like a missing one.
UNKNOWN_LICENSE = "unknown"

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
    # Unpaired posts (format ``post``): the body, a title joined before it, and label columns
    # copied to ``metadata.post.labels`` (the suicide-detection dump's ``class``, a subreddit).
    post: tuple[str, ...] = ("text", "selftext", "body", "post")
    post_title: tuple[str, ...] = ("title",)
    post_labels: tuple[str, ...] = ("class", "label", "subreddit")


class SourceSpec(_Strict):
    """One place raw data lives: a prefix (a folder) or a single key. One partition each."""

    prefix: str | None = None
    key: str | None = None
    format: InputFormat | None = None
    license: str | None = None  # overrides the family's licence for this source
    posts: PostsRoute | None = None  # overrides the family's route for unpaired posts
    # The Dagster asset that writes this source (a derived generator), for lineage.
    produced_by: str | None = None

    @model_validator(mode="after")
    def _one_location(self) -> SourceSpec:
        _check_location(self.prefix, self.key)
        return self

    @property
    def location(self) -> str:
        """The partition key: the prefix or the single object key."""
        return self.prefix if self.prefix is not None else str(self.key)


def _check_location(prefix: str | None, key: str | None) -> None:
    if (prefix is None) == (key is None):
        raise ValueError("give exactly one of 'prefix' or 'key'")
    try:
        if prefix is not None:
            validate_key(prefix, allow_prefix=True)
        if key is not None:
            validate_key(key)
    except InvalidKeyError as exc:
        raise ValueError(str(exc)) from None
    if prefix is not None and not prefix.endswith("/"):
        raise ValueError(f"prefix {prefix!r} must end with '/'")


class NotIngestedSpec(_Strict):
    """A bucket location the registry knows but does not read as records, and why. Its objects
    are counted in the coverage report (never ``unclaimed``) and never become a partition.

    - ``mirror``: a copy of the dataset that source ``of`` reads (the processed tier of a
      dataset whose raw tier we convert ourselves), so nothing is imported twice;
    - ``compiled``: a compilation the replaced system built from data we read at its sources;
    - ``generator_input``: read by the derived generators named in ``read_by`` (transcripts);
    - ``reference``: not conversation data (configurations, a voice profile).
    """

    prefix: str | None = None
    key: str | None = None
    reason: Literal["mirror", "compiled", "generator_input", "reference"]
    of: str | None = None  # mirror: the source location that reads the same dataset
    read_by: tuple[str, ...] = ()  # generator_input: the derived assets that read it
    note: str = ""

    @model_validator(mode="after")
    def _valid(self) -> NotIngestedSpec:
        _check_location(self.prefix, self.key)
        if (self.reason == "mirror") != (self.of is not None):
            raise ValueError("'of' names the source of a mirror, and only of a mirror")
        if self.reason == "generator_input" and not self.read_by:
            raise ValueError("a generator_input names the assets that read it in 'read_by'")
        return self

    @property
    def location(self) -> str:
        return self.prefix if self.prefix is not None else str(self.key)


class FamilySpec(_Strict):
    name: str = ""
    description: str = ""
    stage: str
    priority: int = Field(default=50, ge=0, le=100)  # higher wins when choosing dedup keepers
    holdout: bool = False  # holdout families go to the test split only
    license: str | None = None
    format: InputFormat = "auto"
    posts: PostsRoute | None = None  # unpaired posts: phase A text or a crisis evaluation set
    sources: tuple[SourceSpec, ...] = ()
    fields: FieldMapping = FieldMapping()
    roles: dict[str, Literal["system", "user", "assistant"]] = {}
    system_prompt: str | None = None
    min_turns: int | None = Field(default=None, ge=1)
    max_turn_chars: int | None = Field(default=None, ge=1)
    max_turns: int | None = Field(default=None, ge=1)
    max_record_chars: int | None = Field(default=None, ge=1)
    derived: bool = False  # produced by a derived/generator asset rather than read from sources
    # Why a release may lack this family (the Coverage gate passes without it); the reason is
    # recorded in each release's manifest (``release.waivers``). None: the family must ship.
    coverage_waived: str | None = None

    @field_validator("stage")
    @classmethod
    def _known_stage(cls, value: str) -> str:
        if value not in STAGES:
            raise ValueError(f"unknown stage {value!r}; expected one of {', '.join(STAGES)}")
        return value

    @field_validator("coverage_waived")
    @classmethod
    def _waiver_has_reason(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("a coverage waiver is its reason: say why the family may be absent")
        return value.strip() if value is not None else None

    def source_format(self, source: SourceSpec) -> str:
        return source.format or self.format

    def source_license(self, source: SourceSpec) -> str | None:
        return source.license or self.license

    def source_posts(self, source: SourceSpec) -> str | None:
        return source.posts or self.posts


class Defaults(_Strict):
    min_turns: int = Field(default=2, ge=1)
    max_turn_chars: int = Field(default=32_000, ge=1)
    # Per record, past them: record_too_large. They bound what one record costs every later
    # step (PII analysis is linear in the text: one 7.9 MB record once took 342 s).
    max_turns: int = Field(default=1_000, ge=1)
    max_record_chars: int = Field(default=200_000, ge=1)
    # JSON nesting a record may have as read (too_deep past it). At most 200: orjson writes 254
    # levels, and a kept source field sits three levels below the record's top.
    max_depth: int = Field(default=64, ge=4, le=200)


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
    not_ingested: tuple[NotIngestedSpec, ...] = ()
    source_hash: str = ""  # sha256 of the YAML bytes; set by ``load_registry``

    @model_validator(mode="after")
    def _cross_checks(self) -> Registry:
        problems: list[str] = []
        if UNKNOWN_LICENSE in self.licenses:
            problems.append(
                f"licenses.{UNKNOWN_LICENSE}: {UNKNOWN_LICENSE!r} is reserved for a licence we do"
                " not know (denied by the release); it cannot be defined"
            )
        # location -> (dotted path of its entry, what claims it), to find overlaps
        owners: dict[str, tuple[str, str]] = {}
        for name, family in self.families.items():
            if not FAMILY_NAME.match(name):
                problems.append(f"families.{name}: family names are lower_snake_case")
            problems += self._license_problems(f"families.{name}.license", family.license)
            for i, source in enumerate(family.sources):
                where = f"families.{name}.sources.{i}"
                problems += self._license_problems(f"{where}.license", source.license)
                if source.posts is not None or source.format == "post":
                    problems += _posts_problems(where, family, source)
                _, other = owners.setdefault(source.location, (where, f"family {name!r}"))
                if other != f"family {name!r}":
                    problems.append(
                        f"{where}: {source.location!r} is already a source of {other}; a source"
                        " belongs to one family"
                    )
            if family.posts is not None or family.format == "post":
                problems += _posts_problems(f"families.{name}", family, None)
            if not family.sources and not family.derived:
                problems.append(f"families.{name}.sources: a non-derived family needs a source")
        sources = set(owners)
        for i, entry in enumerate(self.not_ingested):
            where = f"not_ingested.{i}"
            if entry.of is not None and entry.of not in sources:
                problems.append(f"{where}.of: {entry.of!r} is not the location of any source")
            first, _ = owners.setdefault(entry.location, (where, "not_ingested"))
            if first != where:
                problems.append(f"{where}: {entry.location!r} is already claimed by {first}")
        locations = sorted(owners)
        for outer in (loc for loc in locations if loc.endswith("/")):
            for inner in locations:
                if inner != outer and inner.startswith(outer):
                    kind = "source" if outer in sources else "not-ingested location"
                    problems.append(
                        f"{owners[inner][0]}: {inner!r} lies inside {kind} {outer!r}"
                        f" ({owners[outer][0]}); locations may not nest: objects would be read"
                        " or counted twice"
                    )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _license_problems(self, where: str, license_id: str | None) -> list[str]:
        if license_id is None or license_id == UNKNOWN_LICENSE or license_id in self.licenses:
            return []
        return [
            f"{where}: {license_id!r} is not defined under 'licenses' (use"
            f" {UNKNOWN_LICENSE!r} for a licence we do not know)"
        ]

    def family(self, name: str) -> FamilySpec:
        try:
            return self.families[name]
        except KeyError:
            raise ConfigError(
                f"unknown family {name!r}; the registry has: {', '.join(self.families)}"
            ) from None

    def stricter_license(self, first: str | None, second: str | None) -> str | None:
        """The more restrictive of two licence ids: a missing, unknown or undefined licence
        (denied) before a non-commercial one before a commercial one; ``first`` on a tie."""

        def rank(license_id: str | None) -> int:
            spec = self.licenses.get(license_id) if license_id else None
            return 0 if spec is None else (2 if spec.commercial else 1)

        return first if rank(first) <= rank(second) else second

    def roles_for(self, family: FamilySpec) -> dict[str, str]:
        return {**DEFAULT_ROLES, **{k.lower(): v for k, v in family.roles.items()}}

    def min_turns(self, family: FamilySpec) -> int:
        return family.min_turns or self.defaults.min_turns

    def max_turn_chars(self, family: FamilySpec) -> int:
        return family.max_turn_chars or self.defaults.max_turn_chars

    def max_turns(self, family: FamilySpec) -> int:
        return family.max_turns or self.defaults.max_turns

    def max_record_chars(self, family: FamilySpec) -> int:
        return family.max_record_chars or self.defaults.max_record_chars


def _posts_problems(where: str, family: FamilySpec, source: SourceSpec | None) -> list[str]:
    """A posts route only where the release cannot train on its records as dialogue (see
    ``PostsRoute``); format ``post`` only where a route says what a post becomes."""
    route = family.source_posts(source) if source is not None else family.posts
    fmt = family.source_format(source) if source is not None else family.format
    if route is None:
        if fmt == "post":
            return [f"{where}.format: 'post' needs a 'posts' route (text or crisis_eval)"]
        return []
    if route == "text" and family.stage != PHASE_A_STAGE:
        return [
            f"{where}.posts: 'text' makes phase A text records, but family {family.name!r} trains"
            f" in {family.stage}; route them through a {PHASE_A_STAGE} family"
        ]
    if route == "crisis_eval" and not family.holdout:
        return [
            f"{where}.posts: 'crisis_eval' records must never be trained on; family"
            f" {family.name!r} is not 'holdout: true' (test split only)"
        ]
    return []


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

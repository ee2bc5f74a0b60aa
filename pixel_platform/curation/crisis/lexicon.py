"""The crisis lexicon: loading and validating ``lexicon.yaml`` into frozen dataclasses.

The YAML file documents its own shape and matching rules; this module only checks it (unknown
keys, wrong types, bad regular expressions are a ``ConfigError`` naming the key) and normalises
every entry the way text is normalised before matching (``normalize``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from pixel_platform.core.errors import ConfigError

CATEGORIES = ("suicidal_ideation", "self_harm", "harm_to_others", "abuse_disclosure",
              "substance_crisis")
RISK_LEVELS = ("none", "low", "moderate", "high", "imminent")
REPLY_KINDS = ("resources", "safety_planning", "referral", "support", "dismissive")

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'",
                              "\u201c": '"', "\u201d": '"', "\u201e": '"'})


def normalize(text: str) -> str:
    """Lower-case, straight apostrophes and quotes, single spaces within a line, one newline
    between non-empty lines (a line break ends a sentence: a title without a question mark, a
    list): what every matcher sees."""
    lines = (" ".join(line.split()) for line in text.lower().translate(_APOSTROPHES).splitlines())
    return "\n".join(line for line in lines if line)


@dataclass(frozen=True, slots=True)
class Terms:
    """Literal phrases (a trailing ``*`` allows any word ending) and regular expressions."""

    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.phrases or self.patterns)


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    severity: int
    terms: Terms
    weak: Terms  # entries that alone only mean "low" risk


@dataclass(frozen=True, slots=True)
class Escalator:
    name: str
    points: int
    terms: Terms
    applies_to: frozenset[str] = frozenset(CATEGORIES)  # the categories whose level it raises
    same_sentence: bool = False  # in a flagged turn, only next to a category hit or escalator


@dataclass(frozen=True, slots=True)
class Negation:
    window: int
    cues: frozenset[str]
    cue_phrases: tuple[str, ...]
    reversals: frozenset[str]
    after_reversals: frozenset[str]


@dataclass(frozen=True, slots=True)
class Perspective:
    """Word lists that decide whose crisis a hit is (see ``perspective.py``)."""

    first_person: frozenset[str]
    possessive: frozenset[str]
    third_person: frozenset[str]
    generic: frozenset[str]
    person_nouns: frozenset[str]
    speech_verbs: frozenset[str]
    media: frozenset[str]
    quote_cues: frozenset[str]
    topic_terms: frozenset[str]
    laughter: frozenset[str]


@dataclass(frozen=True, slots=True)
class Tense:
    past: Terms
    current: Terms


@dataclass(frozen=True, slots=True)
class Lexicon:
    version: str
    source: str
    categories: tuple[Category, ...]
    escalators: tuple[Escalator, ...]
    imminent_requires: frozenset[str]
    negation: Negation
    non_crisis: Terms
    perspective: Perspective
    tense: Tense
    resources: Terms
    safety_planning: Terms
    dismissive: Terms
    referral: Terms = Terms()
    support: Terms = Terms()


def default_lexicon_path() -> Path:
    return Path(str(resources.files(__package__).joinpath("lexicon.yaml")))


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """Read and validate a lexicon file; ``None`` means the one shipped with the package."""
    source = Path(path) if path is not None else default_lexicon_path()
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"crisis lexicon {source}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"crisis lexicon {source}: invalid YAML ({exc})") from exc
    return parse_lexicon(data, str(source))


def parse_lexicon(data: Any, source: str = "<memory>") -> Lexicon:
    root = _Section(data, source, "")
    root.only("version", "negation", "non_crisis", "perspective", "tense", "categories",
              "escalators", "imminent_requires", "reply")
    categories_section = root.section("categories")
    categories_section.only(*CATEGORIES)
    categories = []
    for name in CATEGORIES:
        cat = categories_section.section(name)
        cat.only("severity", "phrases", "patterns", "weak_phrases", "weak_patterns")
        categories.append(Category(
            name=name,
            severity=cat.integer("severity", 1, 3),
            terms=cat.terms(),
            weak=cat.terms("weak_"),
        ))
    escalators_section = root.section("escalators")
    escalators = []
    for name in escalators_section.names():
        esc = escalators_section.section(name)
        esc.only("points", "phrases", "patterns", "applies_to", "same_sentence")
        applies_to = esc.strings("applies_to", optional=True) or list(CATEGORIES)
        if not set(applies_to) <= set(CATEGORIES):
            raise esc.error("applies_to", f"names unknown categories "
                                          f"{sorted(set(applies_to) - set(CATEGORIES))}")
        same_sentence = esc.data.get("same_sentence", False)
        if not isinstance(same_sentence, bool):
            raise esc.error("same_sentence", "must be true or false")
        escalators.append(Escalator(name, esc.integer("points", 0, 4), esc.terms(),
                                    frozenset(applies_to), same_sentence))
    escalator_names = {e.name for e in escalators}
    imminent = frozenset(root.strings("imminent_requires"))
    if not imminent <= escalator_names:
        raise root.error("imminent_requires", f"names unknown escalators "
                         f"{sorted(imminent - escalator_names)}")
    neg = root.section("negation")
    neg.only("window", "cues", "cue_phrases", "reversals", "after_reversals")
    negation = Negation(
        window=neg.integer("window", 1, 12),
        cues=frozenset(neg.strings("cues")),
        cue_phrases=tuple(neg.strings("cue_phrases")),
        reversals=frozenset(neg.strings("reversals")),
        after_reversals=frozenset(neg.strings("after_reversals")),
    )
    non_crisis = root.section("non_crisis")
    non_crisis.only("phrases", "patterns")
    persp = root.section("perspective")
    word_lists = [f.name for f in fields(Perspective)]
    persp.only(*word_lists)
    perspective = Perspective(**{key: frozenset(persp.strings(key)) for key in word_lists})
    tense_section = root.section("tense")
    tense_section.only("past", "current")
    tenses = {}
    for key in ("past", "current"):
        sub = tense_section.section(key)
        sub.only("phrases", "patterns")
        tenses[key] = sub.terms()
    reply = root.section("reply")
    reply.only(*REPLY_KINDS)
    reply_terms = {}
    for key in REPLY_KINDS:
        sub = reply.section(key)
        sub.only("phrases", "patterns")
        reply_terms[key] = sub.terms()
    version = root.value("version")
    if not isinstance(version, str | int | float):
        raise root.error("version", "must be a string")
    return Lexicon(
        version=str(version),
        source=source,
        categories=tuple(categories),
        escalators=tuple(escalators),
        imminent_requires=imminent,
        negation=negation,
        non_crisis=non_crisis.terms(),
        perspective=perspective,
        tense=Tense(tenses["past"], tenses["current"]),
        resources=reply_terms["resources"],
        safety_planning=reply_terms["safety_planning"],
        referral=reply_terms["referral"],
        support=reply_terms["support"],
        dismissive=reply_terms["dismissive"],
    )


class _Section:
    """A mapping in the YAML file, with the error messages that name the offending key."""

    def __init__(self, data: Any, source: str, path: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"crisis lexicon {source}: {path or 'the file'} must be a mapping")
        self.data = data
        self.source = source
        self.path = path

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"crisis lexicon {self.source}: {self.path}{key} {problem}")

    def names(self) -> list[str]:
        return [str(k) for k in self.data]

    def only(self, *allowed: str) -> None:
        unknown = sorted(str(k) for k in self.data if k not in allowed)
        if unknown:
            raise self.error(unknown[0], f"is not a known key (expected one of {list(allowed)})")

    def value(self, key: str) -> Any:
        if key not in self.data:
            raise self.error(key, "is missing")
        return self.data[key]

    def section(self, key: str) -> _Section:
        return _Section(self.value(key), self.source, f"{self.path}{key}.")

    def integer(self, key: str, low: int, high: int) -> int:
        value = self.value(key)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self.error(key, f"must be an integer from {low} to {high}")
        return value

    def strings(self, key: str, *, optional: bool = False, raw: bool = False) -> list[str]:
        """A list of strings, normalised like text unless ``raw`` (regexes: ``\\S`` must stay)."""
        value = self.data.get(key) if optional else self.value(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in value):
            raise self.error(key, "must be a list of non-empty strings")
        return [v.strip() if raw else normalize(v) for v in value]

    def terms(self, prefix: str = "") -> Terms:
        phrases = self.strings(f"{prefix}phrases", optional=True)
        patterns = self.strings(f"{prefix}patterns", optional=True, raw=True)
        for n, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise self.error(f"{prefix}patterns[{n}]", f"is not a valid regex ({exc})") from exc
        return Terms(tuple(dict.fromkeys(phrases)), tuple(dict.fromkeys(patterns)))

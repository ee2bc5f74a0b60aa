"""The CPTSD theme lexicon (``themes.yaml`` beside this module, or a file of the same shape).

``ThemeLexicon.tag(text)`` scores every theme (strong phrase hits count 2, weak ones 1, each
occurrence counted) and returns those at or above ``min_score``, strongest first (ties by theme
id, so the order is deterministic). ``concept_in`` finds the first of a theme's concepts in a text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pixel_platform.core.errors import ConfigError

DEFAULT_LEXICON = Path(__file__).with_name("themes.yaml")
STRONG_WEIGHT = 2
WEAK_WEIGHT = 1


def phrase_pattern(phrase: str) -> str:
    """A lexicon phrase as a regex: ``*`` = any word ending, space/hyphen = either."""
    phrase = phrase.strip().lower().replace("’", "'")
    wildcard = phrase.endswith("*")
    parts = re.split(r"[\s-]+", phrase.rstrip("*"))
    body = r"[\s-]+".join(re.escape(p) for p in parts if p)
    return rf"\b{body}{r'[a-z]*' if wildcard else ''}\b"


@dataclass(frozen=True)
class Theme:
    id: str
    name: str
    strong: re.Pattern[str]
    weak: re.Pattern[str] | None
    concepts: tuple[str, ...]
    questions: tuple[str, ...]
    contexts: tuple[str, ...]
    pairable: bool = True  # may be asked about together with another theme

    def score(self, text: str) -> int:
        lowered = text.lower().replace("’", "'")
        score = STRONG_WEIGHT * len(self.strong.findall(lowered))
        if self.weak is not None:
            score += WEAK_WEIGHT * len(self.weak.findall(lowered))
        return score

    def concept_in(self, text: str) -> str | None:
        lowered = text.lower()
        for concept in self.concepts:
            if re.search(phrase_pattern(concept), lowered):
                return concept
        return None


@dataclass(frozen=True)
class ThemeLexicon:
    themes: dict[str, Theme]
    min_score: int
    source: str

    def tag(self, text: str) -> list[tuple[str, int]]:
        scores = [(theme.id, theme.score(text)) for theme in self.themes.values()]
        kept = [(tid, s) for tid, s in scores if s >= self.min_score]
        return sorted(kept, key=lambda item: (-item[1], item[0]))

    def theme(self, theme_id: str) -> Theme:
        return self.themes[theme_id]


def _alternation(phrases: list[str]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    # Longest first, so "emotional flashback*" wins over "flashback*" at the same position.
    ordered = sorted({p for p in phrases if p.strip()}, key=len, reverse=True)
    return re.compile("|".join(phrase_pattern(p) for p in ordered))


def _strings(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings")
    return list(value)


def load_lexicon(path: str | Path | None = None) -> ThemeLexicon:
    resolved = Path(path) if path is not None else DEFAULT_LEXICON
    try:
        data = yaml.safe_load(resolved.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read theme lexicon {resolved}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("themes"), dict):
        raise ConfigError(f"theme lexicon {resolved}: needs a 'themes' mapping")
    themes: dict[str, Theme] = {}
    for theme_id, spec in data["themes"].items():
        where = f"theme lexicon {resolved}: themes.{theme_id}"
        if not isinstance(spec, dict):
            raise ConfigError(f"{where} must be a mapping")
        unknown = sorted(
            set(spec) - {"name", "strong", "weak", "concepts", "questions", "contexts", "pairable"}
        )
        if unknown:
            raise ConfigError(f"{where}: unknown keys {unknown}")
        strong = _alternation(_strings(spec.get("strong"), f"{where}.strong"))
        questions = _strings(spec.get("questions"), f"{where}.questions")
        if strong is None or not questions:
            raise ConfigError(f"{where}: needs 'strong' phrases and 'questions'")
        themes[str(theme_id)] = Theme(
            id=str(theme_id),
            name=str(spec.get("name") or theme_id),
            strong=strong,
            weak=_alternation(_strings(spec.get("weak"), f"{where}.weak")),
            concepts=tuple(_strings(spec.get("concepts"), f"{where}.concepts")),
            questions=tuple(questions),
            contexts=tuple(_strings(spec.get("contexts"), f"{where}.contexts")),
            pairable=bool(spec.get("pairable", True)),
        )
    min_score = data.get("min_score", 2)
    if not isinstance(min_score, int) or min_score < 1:
        raise ConfigError(f"theme lexicon {resolved}: min_score must be a positive integer")
    return ThemeLexicon(themes, min_score, str(resolved))

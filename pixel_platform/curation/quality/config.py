"""``QualityConfig``: signal weights, the filter threshold and the language set, validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pixel_platform.core.errors import ConfigError
from pixel_platform.curation.quality.language import DEFAULT_LANGUAGES, validate_languages
from pixel_platform.curation.quality.signals import SIGNALS

# Exponents of the combined score ``prod(signal ** weight)``: how hard each signal can pull the
# score down. 1.0: a signal at 0.3 alone puts the score at 0.3. 0 switches a signal off.
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType({
    "length_balance": 1.0,
    "repetition": 1.0,
    "echo": 0.75,
    "clean_text": 1.0,
    "shouting": 0.5,
    "placeholders": 1.0,
    "turn_structure": 0.5,
    "script_consistency": 0.5,
})
DEFAULT_THRESHOLD = 0.3


@dataclass(frozen=True)
class QualityConfig:
    """``weights`` may name only some signals; the others keep their default weight."""

    threshold: float = DEFAULT_THRESHOLD
    weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_WEIGHTS)
    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    language_sample_chars: int = 400
    min_reply_chars: int = 24

    def __post_init__(self) -> None:
        unknown = sorted(set(self.weights) - set(SIGNALS))
        if unknown:
            raise ConfigError(f"quality weights: unknown signal {unknown[0]!r}; the signals are"
                              f" {list(SIGNALS)}")
        merged = {**DEFAULT_WEIGHTS, **self.weights}
        for name, weight in merged.items():
            if not isinstance(weight, int | float) or not 0 <= weight <= 4:
                raise ConfigError(f"quality weights: {name} must be a number from 0 to 4")
        object.__setattr__(self, "weights", MappingProxyType({k: float(v)
                                                              for k, v in merged.items()}))
        if not isinstance(self.threshold, int | float) or not 0 <= self.threshold <= 1:
            raise ConfigError("quality threshold must be a number from 0 to 1")
        if self.language_sample_chars < 20 or self.min_reply_chars < 1:
            raise ConfigError("quality language_sample_chars must be >= 20 and min_reply_chars"
                              " >= 1")
        object.__setattr__(self, "languages", tuple(c.lower() for c in self.languages))
        validate_languages(self.languages)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> QualityConfig:
        """From a YAML/Dagster-config mapping; unknown keys are an error naming the key."""
        known = {"threshold", "weights", "languages", "language_sample_chars", "min_reply_chars"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"quality config: unknown key {unknown[0]!r}; known keys are"
                              f" {sorted(known)}")
        values = dict(data)
        if "languages" in values:
            values["languages"] = tuple(values["languages"])
        return cls(**values)

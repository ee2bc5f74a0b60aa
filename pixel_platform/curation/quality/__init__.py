"""Quality scoring: cheap signals per conversation, a language code, a score in [0, 1].

Public API::

    QualityStep(config=QualityConfig(threshold=0.3))   # Step "score_quality"
    score_conversation(messages, config) -> QualityResult
    detect_language(sample, languages) -> "en" | "zh" | ... | "und"

``signals.py`` documents each signal, ``config.py`` the default weights, ``score.py`` how they
combine, ``language.py`` how the language is found.
"""

from pixel_platform.curation.quality.config import DEFAULT_THRESHOLD, DEFAULT_WEIGHTS, QualityConfig
from pixel_platform.curation.quality.language import (
    DEFAULT_LANGUAGES,
    UNDETERMINED,
    detect_language,
)
from pixel_platform.curation.quality.score import QualityResult, score_conversation
from pixel_platform.curation.quality.signals import SIGNALS
from pixel_platform.curation.quality.step import QualityStep

__all__ = [
    "DEFAULT_LANGUAGES",
    "DEFAULT_THRESHOLD",
    "DEFAULT_WEIGHTS",
    "SIGNALS",
    "UNDETERMINED",
    "QualityConfig",
    "QualityResult",
    "QualityStep",
    "detect_language",
    "score_conversation",
]

"""The quality score of a conversation: ``prod(signal ** weight)`` over the signals.

A product rather than an average: one clearly bad signal (every reply is "ok") must sink the
score however good the others are, and good data, where every signal sits on its plateau of
1.0, scores 1.0. Weights are exponents, so with weight 1 a signal at 0.3 alone gives 0.3.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pixel_platform.core.record import Message
from pixel_platform.curation.quality import signals as sig
from pixel_platform.curation.quality.config import QualityConfig
from pixel_platform.curation.quality.language import detect_language, language_sample


@dataclass(frozen=True, slots=True)
class QualityResult:
    score: float
    language: str
    signals: dict[str, float]

    def as_metadata(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "language": self.language,
            "signals": {name: round(value, 4) for name, value in self.signals.items()},
        }

    def weakest(self, weights: dict[str, float] | Any, limit: int = 3) -> list[tuple[str, float]]:
        """The signals that pulled the score down most (weighted), worst first."""
        pulls = [(weights[name] * math.log(max(value, 1e-9)), name, value)
                 for name, value in self.signals.items() if value < 1 and weights[name] > 0]
        return [(name, value) for _, name, value in sorted(pulls)[:limit]]


def score_conversation(messages: Sequence[Message],
                       config: QualityConfig | None = None, *, text: bool = False) -> QualityResult:
    """Score a conversation; ``text=True`` scores a phase A text record (one assistant message,
    ``metadata.kind == "text"``), where the dialogue signals do not apply and count as 1."""
    config = config or QualityConfig()
    turns = sig.prepare(messages)
    values = {
        "length_balance": 1.0 if text else sig.length_balance(turns, config.min_reply_chars),
        "repetition": sig.repetition(turns),
        "echo": 1.0 if text else sig.echo(turns),
        "clean_text": sig.clean_text(turns),
        "shouting": sig.shouting(turns),
        "placeholders": sig.placeholders(turns),
        "turn_structure": 1.0 if text else sig.turn_structure(turns),
        "script_consistency": sig.script_consistency(turns),
    }
    score = 1.0
    for name, value in values.items():
        weight = config.weights[name]
        if weight:
            score *= value ** weight
    sample = language_sample([t.text for t in turns if t.role == "user"],
                             [t.text for t in turns if t.role != "user"],
                             config.language_sample_chars)
    return QualityResult(score, detect_language(sample, config.languages), values)

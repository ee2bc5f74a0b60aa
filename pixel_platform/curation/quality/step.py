"""``QualityStep``: scores every conversation and rejects those below the threshold.

Every record gets ``metadata["quality"]`` (also the rejected ones, so quarantine shows why).
``stats.changed`` counts ``language:<code>`` for every record scored; ``stats.dropped`` counts
``low_quality``. The reject detail names the score and the weakest signals, never text.
"""

from __future__ import annotations

from pixel_platform.core.reasons import Reason
from pixel_platform.core.record import Conversation
from pixel_platform.core.steps import Reject, Step
from pixel_platform.curation.quality.config import QualityConfig
from pixel_platform.curation.quality.score import score_conversation


class QualityStep(Step[Conversation, Conversation]):
    name = "score_quality"

    def __init__(self, family: str | None = None, *, config: QualityConfig | None = None) -> None:
        super().__init__(family)
        self.config = config or QualityConfig()

    def apply(self, item: Conversation) -> Conversation | Reject:
        # A text record (phase A) and an evaluation record (a labelled post, no reply) hold one
        # message: the dialogue signals (turn structure, balance, echo) do not apply to them.
        is_text = item.metadata.get("kind") in ("text", "eval")
        result = score_conversation(item.messages, self.config, text=is_text)
        item.metadata["quality"] = result.as_metadata()
        self.stats.changed[f"language:{result.language}"] += 1
        if result.score < self.config.threshold:
            weakest = ", ".join(f"{name}={value:.2f}"
                                for name, value in result.weakest(dict(self.config.weights)))
            return Reject(Reason.LOW_QUALITY, f"quality score {result.score:.3f} is below the"
                          f" threshold {self.config.threshold:.2f}; weakest signals: "
                          f"{weakest or '-'}")
        return item

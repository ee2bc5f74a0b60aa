"""``CrisisTagStep``: tags every conversation with ``metadata["crisis"]`` and never drops one.

``flagged_turns`` and ``unsafe_turns`` index ``Conversation.messages`` (a leading system prompt
counts), so ``messages[i]`` is the turn. Routing (review queue, exclusion, reply rewriting) is
decided later from the tag; this step only counts, in ``stats.changed``: ``label:<category>``
and ``risk:<level>`` per conversation (the ``risk:*`` counts add up to ``seen``),
``concern_for_other:<category>`` (someone else's crisis mentioned), ``crisis_response_unsafe``,
and the hits dropped by negation (``hits_negated``) or by non-crisis context
(``hits_suppressed``).
"""

from __future__ import annotations

from pathlib import Path

from pixel_platform.core.record import Conversation
from pixel_platform.core.steps import Step
from pixel_platform.curation.crisis.detect import CrisisDetector, default_detector


class CrisisTagStep(Step[Conversation, Conversation]):
    name = "tag_crisis"

    def __init__(self, family: str | None = None, *, detector: CrisisDetector | None = None,
                 lexicon_path: str | Path | None = None) -> None:
        super().__init__(family)
        self.detector = detector or default_detector(lexicon_path)

    def apply(self, item: Conversation) -> Conversation:
        tag = self.detector.tag(item.messages)
        item.metadata["crisis"] = tag.as_metadata()
        changed = self.stats.changed
        for label in tag.labels:
            changed[f"label:{label}"] += 1
        changed[f"risk:{tag.risk_level}"] += 1
        for label in tag.concern_for_other:
            changed[f"concern_for_other:{label}"] += 1
        if tag.crisis_response_unsafe:
            changed["crisis_response_unsafe"] += 1
        if tag.negated:
            changed["hits_negated"] += tag.negated
        if tag.suppressed:
            changed["hits_suppressed"] += tag.suppressed
        return item

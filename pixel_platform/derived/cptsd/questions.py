"""The user question a segment answers, phrased as a person would ask it.

Built from templates, never by a model: the segment's primary theme gives first-person questions
from the lexicon; its *key sentences* (the sentences that carry the theme and share the most
content words with the rest of the segment) may name a concept ("the inner critic", "the window
of tolerance") that concept templates ask about; a strong second theme allows a question about
how the two connect. Sometimes (``context_rate``) a scene-setting sentence from the lexicon comes
first. The choice is drawn from the record's own seeded RNG.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from pixel_platform.derived.cptsd.segment import Segment, content_terms
from pixel_platform.derived.cptsd.themes import Theme, ThemeLexicon

CONCEPT_TEMPLATES = (
    "Can you explain {concept} in a way that makes sense to someone who grew up like I did?",
    "Can you help me understand {concept}? Why is it so common after a difficult childhood?",
    "What's the link between {concept} and what happened to me growing up?",
)
PAIR_TEMPLATES = (
    "Is there a connection between {a} and {b}? I struggle with both.",
    "How do {a} and {b} fit together when you grew up with trauma?",
)
SECOND_THEME_SHARE = 0.5  # a second theme scoring at least half the first may be asked about


@dataclass(frozen=True)
class Question:
    text: str
    template: str  # "theme:<id>:<n>", "concept:<n>" or "pair:<n>"
    concept: str | None
    key_sentences: tuple[int, ...]  # indices into the segment's sentences

    def as_metadata(self) -> dict[str, object]:
        return {
            "template": self.template,
            "concept": self.concept,
            "key_sentences": list(self.key_sentences),
        }


def key_sentences(segment: Segment, theme: Theme, k: int = 2) -> list[int]:
    """Indices of the ``k`` sentences that best carry ``theme`` within the segment."""
    terms = [Counter(content_terms(s.text)) for s in segment.sentences]
    total: Counter[str] = Counter()
    for t in terms:
        total.update(t)
    scored = []
    for i, (sentence, mine) in enumerate(zip(segment.sentences, terms, strict=True)):
        rest = total - mine
        overlap = sum(1 for term in mine if term in rest) / (len(mine) or 1)
        scored.append((2 * theme.score(sentence.text) + overlap, -i))
    ranked = sorted(range(len(scored)), key=lambda i: scored[i], reverse=True)
    return sorted(ranked[:k])


def compose_question(
    segment: Segment,
    themes: list[tuple[str, int]],
    lexicon: ThemeLexicon,
    rng: random.Random,
    *,
    context_rate: float = 0.35,
) -> Question:
    """A question for ``segment``; ``themes`` is ``lexicon.tag(segment.text)`` (non-empty)."""
    primary = lexicon.theme(themes[0][0])
    keys = key_sentences(segment, primary)
    key_text = " ".join(segment.sentences[i].text for i in keys)
    concept = primary.concept_in(key_text) or primary.concept_in(segment.text)
    candidates = [(f"theme:{primary.id}:{n}", q) for n, q in enumerate(primary.questions)]
    if concept:
        candidates += [
            (f"concept:{n}", t.format(concept=concept)) for n, t in enumerate(CONCEPT_TEMPLATES)
        ]
    second = lexicon.theme(themes[1][0]) if len(themes) > 1 else None
    if (
        second is not None
        and primary.pairable
        and second.pairable
        and themes[1][1] >= SECOND_THEME_SHARE * themes[0][1]
    ):
        candidates += [
            (f"pair:{n}", t.format(a=primary.name, b=second.name))
            for n, t in enumerate(PAIR_TEMPLATES)
        ]
    template, text = rng.choice(candidates)
    if primary.contexts and rng.random() < context_rate:
        text = f"{rng.choice(primary.contexts)} {text}"
    return Question(text, template, concept, tuple(keys))

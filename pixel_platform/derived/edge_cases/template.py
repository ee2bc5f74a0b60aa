"""The deterministic template/grammar backend (the default).

One conversation, from one ``random.Random``:

1. a persona of the category, and one value per slot (``{support}``, ``{time}``, ...);
2. a beat plan: 3-6 exchanges (by style) that always hold disclosure, risk and planning, in the
   order opening, disclosure, risk, ambivalence, planning, closing;
3. per beat, a client turn: one or two of the category's lines for the beat (never one used
   earlier in the conversation), sometimes a hesitant opener or trailing remark, and in the
   challenging style, in the first beats, a guarded remark first;
4. per beat, a therapist turn: a steady answer to a guarded remark or a validation, then one or
   two of the beat's moves (protocol + category).

Safety is built in, then checked: every move of a crisis protocol after the opening carries a
resource or a safety step, and each reply is checked against the crisis lexicon
(``assess_reply``). When the client turn needs a safety response and the reply offers none, a
follow-up for the turn's crisis label is added (``counters["safety_followup_added:<label>"]``);
when a crisis beat of a crisis category got a reply without a resource or safety step, one of
the protocol's resource lines is (``counters["safety_resource_added"]``). Same rng state, same
conversation: no clock, no hash of a Python object, no set iteration.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence

from pixel_platform.core.record import Conversation, Message
from pixel_platform.curation.crisis import CrisisDetector, assess_reply, default_detector
from pixel_platform.derived.edge_cases.catalog import (
    BEATS,
    CRISIS_BEATS,
    REQUIRED_BEATS,
    Catalog,
    Category,
    Style,
    fill,
    load_catalog,
)

_OPTIONAL_BEATS = tuple(b for b in BEATS if b not in REQUIRED_BEATS)
GUARDED_BEATS = ("opening", "disclosure", "risk")  # a guarded client pushes back early on
SINGLE_MOVE_BEATS = ("opening", "closing")  # one welcome, one goodbye


class TemplateGenerator:
    name = "template"

    def __init__(self, catalog: Catalog | None = None, *,
                 detector: CrisisDetector | None = None) -> None:
        self.catalog = catalog or load_catalog()
        self.detector = detector or default_detector()
        self.counters: Counter[str] = Counter()

    def generate(self, category: Category, rng: random.Random,
                 roleplay_style: str) -> Conversation:
        style, persona, slots = self.catalog.scene(category, rng, roleplay_style)
        beats = plan_beats(rng.randint(*style.exchanges), rng)
        used: set[str] = set()
        messages: list[Message] = [{"role": "system", "content": self.catalog.system_prompt}]
        for beat in beats:
            client, guarded = self._client_turn(category, beat, style, rng, slots, used)
            reply = self._therapist_turn(category, beat, style, rng, slots, used, client, guarded)
            messages.append({"role": "user", "content": client})
            messages.append({"role": "assistant", "content": reply})
        self.counters["conversations"] += 1
        return Conversation(messages, {"generator": {"persona": persona.id,
                                                     "beats": list(beats)}})

    # -- turns ---------------------------------------------------------------------------------
    def _client_turn(self, category: Category, beat: str, style: Style, rng: random.Random,
                     slots: Mapping[str, str], used: set[str]) -> tuple[str, bool]:
        count = rng.randint(*style.client_lines)
        lines = _draw(category.client[beat], count, rng, used)
        text = " ".join(fill(line, slots) for line in lines)
        decoration = style.client_decoration
        if rng.random() < decoration:
            text = _after_opener(rng.choice(self.catalog.client_openers), text)
        if rng.random() < decoration * 0.6:
            text += rng.choice(self.catalog.client_tails)
        guarded = beat in GUARDED_BEATS and rng.random() < style.pushback
        if guarded:
            text = _draw(self.catalog.client_pushback, 1, rng, used)[0] + text
        return text, guarded

    def _therapist_turn(self, category: Category, beat: str, style: Style, rng: random.Random,
                        slots: Mapping[str, str], used: set[str], client: str,
                        guarded: bool) -> str:
        parts = []
        if guarded:
            parts += _draw(self.catalog.steady, 1, rng, used)
        elif beat != "opening" and rng.random() < style.validation:
            parts += _draw(self.catalog.validations, 1, rng, used)
        count = 1 if beat in SINGLE_MOVE_BEATS else rng.randint(*style.therapist_lines)
        parts += [fill(line, slots) for line in _draw(category.therapist[beat], count, rng, used)]
        reply = " ".join(parts)
        must_help = category.crisis and beat in CRISIS_BEATS
        assessment = assess_reply(client, reply, detector=self.detector)
        if not assessment.safe:  # the client's words need a safety response: answer them
            label = assessment.labels[0]
            reply += " " + fill(rng.choice(self.catalog.safety_followups[label]), slots)
            self.counters[f"safety_followup_added:{label}"] += 1
        elif must_help and not assessment.offers_help:  # a crisis beat: the protocol's resource
            reply += " " + fill(rng.choice(category.protocol.resources), slots)
            self.counters["safety_resource_added"] += 1
        return reply


def plan_beats(exchanges: int, rng: random.Random) -> tuple[str, ...]:
    """``exchanges`` beats in canonical order, always including the required ones."""
    extra = max(0, min(exchanges - len(REQUIRED_BEATS), len(_OPTIONAL_BEATS)))
    chosen = set(REQUIRED_BEATS) | set(rng.sample(_OPTIONAL_BEATS, extra))
    return tuple(b for b in BEATS if b in chosen)


def _draw(pool: Sequence[str], count: int, rng: random.Random, used: set[str]) -> list[str]:
    """``count`` lines of ``pool`` not used yet in this conversation (reusing when exhausted)."""
    fresh = [line for line in pool if line not in used] or list(pool)
    picked = rng.sample(fresh, min(count, len(fresh)))
    used.update(picked)
    return picked


def _after_opener(opener: str, text: str) -> str:
    """Join a hesitant opener to a line: ``"It's stupid, but " + "I ..."`` keeps the line's
    case, an opener that ends mid-sentence lower-cases the line's first word."""
    if opener.rstrip()[-1:] in ".?!" or text.startswith(("I ", "I'", "I,", "God ")):
        return opener + text
    return opener + text[:1].lower() + text[1:]

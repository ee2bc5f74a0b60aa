# ruff: noqa: E501
"""Build conversations from the text banks: seeded, varied, never random noise.

A conversation here is a list of ``(role, text)`` turns with roles ``user``/``assistant``/``system``;
the writers in ``build_sample`` rename roles and fields per file format.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from tools.sample_data import texts, texts_clinical, texts_persona, texts_zh
from tools.sample_data.texts import Topic

Turn = tuple[str, str]

_SLOT = re.compile(r"\{(\w+)\}")


def fill(template: str, rng: random.Random, slots: dict[str, tuple[str, ...]] | None = None) -> str:
    """Replace every ``{slot}`` with a seeded choice; unknown slots are left alone."""
    table = texts.SLOTS if slots is None else slots

    def pick(match: re.Match[str]) -> str:
        options = table.get(match.group(1))
        return rng.choice(options) if options else match.group(0)

    return _SLOT.sub(pick, template)


class Pool:
    """Draw without replacement; reshuffle when exhausted, so long dialogues repeat late."""

    def __init__(self, items: Sequence[str], rng: random.Random) -> None:
        self._items = list(items)
        self._rng = rng
        self._left: list[str] = []

    def draw(self) -> str:
        if not self._left:
            self._left = list(self._items)
            self._rng.shuffle(self._left)
        return self._left.pop()


class TopicPools:
    def __init__(self, topic: Topic, rng: random.Random) -> None:
        self.topic = topic
        self.openers = Pool(topic.openers, rng)
        self.details = Pool(topic.details, rng)
        self.reflections = Pool(topic.reflections, rng)
        self.questions = Pool(topic.questions, rng)
        self.strategies = Pool(topic.strategies, rng)
        self.followups = Pool(topic.followups, rng)


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def dialogue(
    rng: random.Random,
    topic: Topic,
    exchanges: int,
    *,
    slots: dict[str, tuple[str, ...]] | None = None,
    validations: Sequence[str] = texts.VALIDATIONS,
    acks: Sequence[str] = texts.USER_ACKS,
    thanks: Sequence[str] = texts.USER_THANKS,
    closings: Sequence[str] = texts.ASSISTANT_CLOSINGS,
    sep: str = " ",
) -> list[Turn]:
    """A counselling conversation of ``exchanges`` user/assistant pairs on one topic."""
    p = TopicPools(topic, rng)

    def f(text: str) -> str:
        return fill(text, rng, slots)

    def join(*parts: str) -> str:
        return sep.join(x for x in parts if x)

    opener = f(p.openers.draw())
    if rng.random() < 0.6:
        opener = join(opener, f(p.details.draw()))
    turns: list[Turn] = [("user", opener)]
    turns.append(
        (
            "assistant",
            join(
                rng.choice(validations) if rng.random() < 0.7 else "",
                f(p.reflections.draw()),
                f(p.questions.draw()),
            ),
        )
    )
    for i in range(1, exchanges):
        last = i == exchanges - 1
        if last and exchanges > 2 and rng.random() < 0.5:
            turns.append(("user", rng.choice(thanks)))
            turns.append(("assistant", rng.choice(closings)))
            break
        if i % 2 == 1:
            user = f(p.details.draw())
            assistant = join(
                f(p.reflections.draw()) if rng.random() < 0.5 else "",
                f(p.strategies.draw()),
                rng.choice(closings)
                if last
                else f(p.questions.draw())
                if rng.random() < 0.5
                else "",
            )
        else:
            user = join(rng.choice(acks) if rng.random() < 0.4 else "", f(p.followups.draw()))
            assistant = join(
                f(p.reflections.draw()) if rng.random() < 0.4 else "",
                f(p.strategies.draw()),
                rng.choice(closings) if last else "",
            )
        turns.append(("user", user))
        turns.append(("assistant", assistant))
    return turns


def qa_pair(rng: random.Random, topic: Topic) -> tuple[str, str]:
    """One forum-style question (2–3 sentences of context) and one long counsellor answer."""
    p = TopicPools(topic, rng)
    question = _join(
        fill(p.openers.draw(), rng),
        fill(p.details.draw(), rng),
        fill(p.details.draw(), rng) if rng.random() < 0.5 else "",
        rng.choice(
            ("What should I do?", "Is this normal?", "How do I get past this?", "Any advice?", "")
        ),
    )
    answer = _join(
        rng.choice(texts.VALIDATIONS),
        fill(p.reflections.draw(), rng),
        fill(p.strategies.draw(), rng),
        fill(p.strategies.draw(), rng) if rng.random() < 0.6 else "",
        rng.choice(texts.ASSISTANT_CLOSINGS),
    )
    return question, answer


def crisis_reply(rng: random.Random, kind: str, *, safe: bool) -> str:
    """A reply to a crisis disclosure: with resources and safety planning, or (planted) without."""
    if not safe:
        return rng.choice(texts.CRISIS_UNSAFE[kind])
    resources = list(texts.CRISIS_RESOURCES[kind])
    rng.shuffle(resources)
    parts = [rng.choice(texts.CRISIS_SAFE_OPENERS[kind]), *resources[: rng.choice((1, 2))]]
    if kind in ("suicidal_ideation", "self_harm") or rng.random() < 0.5:
        parts.append(rng.choice(texts.CRISIS_SAFETY_PLANNING))
    return " ".join(parts)


def crisis_user(rng: random.Random, kind: str) -> str:
    return rng.choice(texts.CRISIS_USER[kind])


def long_session(rng: random.Random, topic: Topic, secondary: Topic, exchanges: int) -> list[Turn]:
    """A long therapy session: check-in, work on the main topic, drift to a second, close."""
    main, side = TopicPools(topic, rng), TopicPools(secondary, rng)
    progress = Pool(texts.CLIENT_PROGRESS, rng)
    process = Pool(texts.THERAPIST_PROCESS, rng)
    thing = rng.choice(texts.SESSION_THINGS)
    checkin = fill(rng.choice(texts.SESSION_CHECKINS), rng, {"thing": (thing,)})
    turns: list[Turn] = [
        (
            "user",
            rng.choice(
                ("Hi.", "Hey, sorry I'm a few minutes late.", "Hi. Okay, here we go again.")
            ),
        ),
        ("assistant", _join("Good to see you.", checkin)),
        ("user", _join(progress.draw(), fill(main.openers.draw(), rng))),
        ("assistant", _join(process.draw(), fill(main.questions.draw(), rng))),
    ]
    for i in range(2, exchanges - 1):
        pools = main if i < exchanges * 0.6 else side
        if i % 3 == 1:
            user = fill(pools.details.draw(), rng)
            assistant = _join(
                fill(pools.reflections.draw(), rng), fill(pools.questions.draw(), rng)
            )
        elif i % 3 == 2:
            user = _join(rng.choice(texts.USER_ACKS), fill(pools.followups.draw(), rng))
            assistant = _join(process.draw(), fill(pools.strategies.draw(), rng))
        else:
            user = _join(
                progress.draw(), fill(pools.openers.draw(), rng) if rng.random() < 0.5 else ""
            )
            assistant = _join(fill(pools.reflections.draw(), rng), process.draw())
        turns.append(("user", user))
        turns.append(("assistant", assistant))
    turns.append(("user", rng.choice(texts.USER_THANKS)))
    turns.append(("assistant", _join(rng.choice(texts.ASSISTANT_CLOSINGS), "Same time next week?")))
    return turns


def cot_case(rng: random.Random, cond: texts_clinical.Condition) -> tuple[str, str, str]:
    """(question, reasoning, answer) for one clinical vignette."""
    symptoms = rng.sample(cond.symptoms, k=min(len(cond.symptoms), rng.choice((3, 4, 5))))
    who = f"A {rng.choice(texts_clinical.AGES)}-year-old {rng.choice(texts_clinical.PERSON_WORDS)}"
    duration, context = rng.choice(cond.durations), rng.choice(cond.contexts)
    sym_text = ", ".join(symptoms[:-1]) + f" and {symptoms[-1]}"
    question = rng.choice(
        (
            f"{who} reports {sym_text}, {duration}, {context}. What is the most likely explanation, and what else should be considered?",
            f"{who} describes {sym_text}. This has been going on {duration}, {context}. Walk through the differential.",
            f"Case: {who}; {sym_text}; {duration}; {context}. How would you reason about this presentation?",
        )
    )
    steps = [
        f"1. Presenting features: {sym_text}.",
        f"2. Core criteria: {cond.core}.",
        f"3. Duration: the problem has lasted {duration.removeprefix('for ')}; the usual threshold is {cond.threshold}.",
        f"4. Context: it began {context}, which matters for whether this is a reaction to a stressor or something more persistent.",
        f"5. Differential: {'; '.join(cond.differentials)}.",
        f"6. Medical and substance causes to rule out: {cond.medical}.",
        "7. Safety: ask directly about thoughts of self-harm or suicide before anything else.",
    ]
    reasoning = "\n".join(steps)
    answer = (
        f"The picture is most consistent with {cond.name}, but this is a working hypothesis, not a "
        f"diagnosis. {cond.next_steps}."
    )
    return question, reasoning, answer


def teaching_dialog(rng: random.Random, theme: texts_persona.Theme, exchanges: int) -> list[Turn]:
    teach = Pool(theme.teachings, rng)
    turns: list[Turn] = [("user", rng.choice(theme.asks)), ("assistant", teach.draw())]
    follow = Pool(theme.followups, rng)
    for _ in range(1, exchanges):
        turns.append(("user", follow.draw()))
        turns.append(("assistant", teach.draw()))
    return turns


def interview(
    rng: random.Random, themes: Sequence[texts_persona.Theme], per_theme: int
) -> list[Turn]:
    """Host (user) / guest (assistant) interview across a few themes."""
    tp = texts_persona
    turns: list[Turn] = [
        ("user", rng.choice(tp.HOST_INTROS)),
        ("assistant", rng.choice(tp.GUEST_HELLOS)),
    ]
    bridges = Pool(tp.HOST_BRIDGES, rng)
    for theme in themes:
        teach, follow = Pool(theme.teachings, rng), Pool(theme.followups, rng)
        frame = rng.choice(
            (
                "A question we get a lot:",
                "Someone in our community wrote in:",
                "Let me read you this one.",
                "A listener asks:",
            )
        )
        turns.append(("user", f'{frame} "{rng.choice(theme.asks)}"'))
        turns.append(("assistant", teach.draw()))
        for _ in range(1, per_theme):
            said = rng.choice(
                (
                    "People often push back and say,",
                    "The follow-up I always hear is,",
                    "Someone might be thinking,",
                )
            )
            turns.append(
                (
                    "user",
                    _join(
                        bridges.draw() if rng.random() < 0.5 else "", f'{said} "{follow.draw()}"'
                    ),
                )
            )
            turns.append(("assistant", teach.draw()))
    turns.append(("user", rng.choice(tp.HOST_OUTROS)))
    turns.append(("assistant", rng.choice(tp.GUEST_OUTROS)))
    return turns


def zh_dialogue(rng: random.Random, topic: Topic, exchanges: int) -> list[Turn]:
    return dialogue(
        rng,
        topic,
        exchanges,
        slots=texts_zh.ZH_SLOTS,
        validations=texts_zh.ZH_VALIDATIONS,
        acks=("嗯。", "是的。", "可能吧。", "我也不知道。"),
        thanks=texts_zh.ZH_THANKS,
        closings=texts_zh.ZH_CLOSINGS,
        sep="",
    )

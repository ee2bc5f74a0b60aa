"""Persona conversations assembled from a voice profile: a person asks about a CPTSD theme, the
assistant answers in the speaker's voice with the speaker's own passages.

For conversation ``i`` (themes taken round-robin, the themes with most passages first):

1. the user asks one of the theme's questions (``cptsd/themes.yaml``), sometimes after a
   scene-setting sentence;
2. the assistant answers with the best unused passage on that theme: passages are ranked by
   theme strength, signature phrases and analogies, so the answer carries the voice. When the
   profile shows the speaker opening talks with "let's talk about" / "I want to talk about",
   the answer may open that way;
3. when an unused *practical* passage on the theme exists (one that says what to practise), the
   user follows up ("So what can I actually do about it?") and that passage answers.

A passage answers at most once per run, so conversations never repeat an answer (they would
only be dropped as near-duplicates later). When passages run out the run stops early and the
report says how many were requested and how many were made.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pixel_platform.core.record import Conversation, Message
from pixel_platform.derived.cptsd.themes import ThemeLexicon, load_lexicon
from pixel_platform.derived.output import GeneratorReport, generator_stamp, stable_rng
from pixel_platform.derived.persona.profile import profile_digest

GENERATOR = "persona_conversations"
FOLLOW_UPS = (
    "So what can I actually do about it?",
    "That makes sense. Where do I start?",
    "What could I practise this week?",
    "How do I begin to change that?",
)
# Opening frames, used only when the profile shows the speaker opening talks this way.
OPENERS = {
    "let's talk about": "Let's talk about {theme}.",
    "i want to talk": "I want to talk about {theme} for a moment.",
    "here is what": "Here is what I want you to know about {theme}.",
}
OPENER_RATE = 0.4
_ANNOUNCES = re.compile(r"\b(?:talk about|let's talk|today|i want to start)\b")
CONTEXT_RATE = 0.3


def _signature_patterns(profile: Mapping[str, Any]) -> list[re.Pattern[str]]:
    return [
        re.compile(rf"\b{re.escape(p['phrase'])}\b", re.IGNORECASE)
        for p in profile.get("signature_phrases") or ()
    ]


def _rank(
    passages: list[dict[str, Any]],
    theme_id: str,
    signatures: list[re.Pattern[str]],
    lexicon: ThemeLexicon,
) -> list[int]:
    theme = lexicon.theme(theme_id)
    scored = []
    for i, passage in enumerate(passages):
        if theme_id not in passage["themes"]:
            continue
        voice = sum(1 for s in signatures if s.search(passage["text"]))
        score = theme.score(passage["text"]) + voice + 2 * bool(passage["analogy"])
        scored.append((-score, i))
    return [i for _, i in sorted(scored)]


def _opener(profile: Mapping[str, Any], theme_name: str, passage: str, rng: Any) -> str | None:
    head = passage[:160].lower()
    if theme_name.lower() in head or _ANNOUNCES.search(head):
        return None  # the passage already introduces its topic
    openers = " | ".join(profile.get("openers") or ())
    frames = [f for key, f in OPENERS.items() if key in openers]
    if frames and rng.random() < OPENER_RATE:
        return rng.choice(frames).format(theme=theme_name)
    return None


def persona_conversations(
    profile: Mapping[str, Any],
    count: int,
    *,
    seed: int = 0,
    lexicon: ThemeLexicon | None = None,
    report: GeneratorReport | None = None,
) -> Iterator[Conversation]:
    lexicon = lexicon or load_lexicon()
    report = report if report is not None else GeneratorReport(GENERATOR)
    passages: list[dict[str, Any]] = list(profile.get("passages") or ())
    signatures = _signature_patterns(profile)
    by_theme = {
        theme_id: _rank(passages, theme_id, signatures, lexicon)
        for theme_id in lexicon.themes
        if any(theme_id in p["themes"] for p in passages)
    }
    order = sorted(by_theme, key=lambda t: (-len(by_theme[t]), t))
    used: set[int] = set()
    digest = profile_digest(profile)
    report.extra["requested"] = count
    made = 0
    turn = 0
    while made < count and order:
        theme_id = order[turn % len(order)]
        turn += 1
        free = [i for i in by_theme[theme_id] if i not in used]
        if not free:
            order.remove(theme_id)
            continue
        rng = stable_rng(seed, GENERATOR, made)
        theme = lexicon.theme(theme_id)
        answer_index = free[0]
        used.add(answer_index)
        question = rng.choice(theme.questions)
        if theme.contexts and rng.random() < CONTEXT_RATE:
            question = f"{rng.choice(theme.contexts)} {question}"
        answer = passages[answer_index]["text"]
        opener = _opener(profile, theme.name, answer, rng)
        if opener:
            answer = f"{opener} {answer}"
        messages: list[Message] = [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
        used_passages = [answer_index]
        practical = [i for i in free[1:] if passages[i]["action"] and i not in used]
        if practical:
            used.add(practical[0])
            used_passages.append(practical[0])
            messages += [
                {"role": "user", "content": rng.choice(FOLLOW_UPS)},
                {"role": "assistant", "content": passages[practical[0]]["text"]},
            ]
        sources = sorted({passages[i]["source_key"] for i in used_passages})
        report.count("theme", theme_id)
        report.count("exchanges", str(len(messages) // 2))
        made += 1
        yield Conversation(
            messages=messages,
            metadata={
                "synthetic": True,
                "synthetic_turns": ["user", "assistant"],
                "persona": {
                    "speaker": profile.get("speaker"),
                    "theme": theme_id,
                    "profile": digest,
                    "passages": used_passages,
                    "opener": opener is not None,
                },
                "generator": generator_stamp(
                    GENERATOR, seed, [{"key": key, "etag": _etag(profile, key)} for key in sources]
                ),
            },
        )
    report.extra["generated"] = made
    if made < count:
        report.dropped["passages_exhausted"] += count - made


def _etag(profile: Mapping[str, Any], key: str) -> str | None:
    for source in profile.get("sources") or ():
        if source.get("key") == key:
            etag = source.get("etag")
            return etag if isinstance(etag, str) else None
    return None

"""Checks every generated conversation passes, whatever backend made it.

* **Structure**: an optional system prompt, then client (``user``) and therapist (``assistant``)
  turns strictly alternating, starting with the client and ending with the therapist, each a
  non-empty string, within the allowed number of dialogue turns.
* **Speech, not script**: no stage directions or narration in any turn (``[Scene: ...]``,
  ``*sighs*``, ``(crying)``, ``Client:`` labels, "The client looks away").
* **Crisis-safe replies**: every therapist reply to a client turn that the crisis lexicon says
  needs a safety response is safe by the reply policy (``curation.crisis.assess_reply``, the
  same check the release applies: support, a referral, a resource or safety planning; at
  imminent risk a resource or safety planning). The stricter share that offers a resource or
  safety planning is what ``CrisisReplies.safe`` counts.

A failed check raises nothing: ``find_problem`` returns a ``Rejection`` the runner counts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pixel_platform.core.errors import PixelError
from pixel_platform.core.record import Message
from pixel_platform.curation.crisis import CrisisDetector, assess_reply, default_detector

MIN_TURNS = 6  # dialogue turns (3 exchanges)
MAX_TURNS = 12
MAX_TURN_CHARS = 4000

_DIRECTION_WORDS = (
    "sighs?|sighing|cry|cries|crying|sobs?|sobbing|pauses?|long pause|silence|laughs?|laughing|"
    "whispers?|whispering|shrugs?|nods?|tearful(?:ly)?|quietly|softly|looks? (?:away|down)|"
    "voice (?:breaking|shaking|cracking)|takes a (?:deep )?breath|beat"
)
STAGE_DIRECTION = re.compile(
    r"\[[^\]\n]{0,200}\]"  # [Scene: ...], [pause]
    r"|\*[^*\n]{1,60}\*"  # *sighs*
    rf"|\((?:{_DIRECTION_WORDS})\b[^)\n]{{0,60}}\)"  # (crying), (long pause)
    r"|^\s*(?:client|therapist|counsel+or|patient|user|assistant|narrator|scene)\s*:"  # labels
    r"|\bthe (?:client|therapist|patient) (?:\w+ly )?(?!is\b|was\b|has\b)\w+s\b",  # narration
    re.IGNORECASE | re.MULTILINE,
)


class InvalidConversation(PixelError):
    """A backend's output that cannot be used; the runner counts it by ``reason``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: str  # malformed_structure | turn_count | stage_direction | unsafe_crisis_reply
    detail: str  # where and why; never the conversation text


@dataclass(frozen=True, slots=True)
class CrisisReplies:
    needing_response: int  # client turns whose reply owes a safety response
    safe: int  # ... whose reply offers a resource or safety planning


def stage_direction(text: str) -> str | None:
    match = STAGE_DIRECTION.search(text)
    return match.group(0)[:60] if match else None


def structure_problem(messages: Sequence[Message], *, min_turns: int = MIN_TURNS,
                      max_turns: int = MAX_TURNS) -> Rejection | None:
    dialogue = list(messages[1:] if messages and messages[0]["role"] == "system" else messages)
    for n, message in enumerate(dialogue):
        expected = "user" if n % 2 == 0 else "assistant"
        if message.get("role") != expected:
            return Rejection("malformed_structure",
                             f"turn {n} is {message.get('role')!r}, expected {expected!r}")
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            return Rejection("malformed_structure", f"turn {n} has no text")
        if len(content) > MAX_TURN_CHARS:
            return Rejection("malformed_structure",
                             f"turn {n} has {len(content)} characters (max {MAX_TURN_CHARS})")
    if len(dialogue) % 2:
        return Rejection("malformed_structure", "the conversation ends on a client turn")
    if not min_turns <= len(dialogue) <= max_turns:
        return Rejection("turn_count",
                         f"{len(dialogue)} dialogue turns, expected {min_turns}..{max_turns}")
    return None


def crisis_replies(messages: Sequence[Message],
                   detector: CrisisDetector | None = None) -> tuple[CrisisReplies, int | None]:
    """Counts over the client->therapist pairs, and the index of the first unsafe reply."""
    detector = detector or default_detector()
    needing = safe = 0
    first_unsafe = None
    for n in range(len(messages) - 1):
        user, reply = messages[n], messages[n + 1]
        if user["role"] != "user" or reply["role"] != "assistant":
            continue
        assessment = assess_reply(user["content"], reply["content"], detector=detector)
        if assessment.needs_response:
            needing += 1
            safe += assessment.offers_help
        if not assessment.safe and first_unsafe is None:
            first_unsafe = n + 1
    return CrisisReplies(needing, safe), first_unsafe


def find_problem(messages: Sequence[Message], *, min_turns: int = MIN_TURNS,
                 max_turns: int = MAX_TURNS,
                 detector: CrisisDetector | None = None) -> Rejection | None:
    """The first reason ``messages`` cannot be released, or ``None``."""
    problem = structure_problem(messages, min_turns=min_turns, max_turns=max_turns)
    if problem is not None:
        return problem
    for n, message in enumerate(messages):
        if message["role"] == "system":
            continue
        found = stage_direction(message["content"])
        if found is not None:
            return Rejection("stage_direction", f"message {n} ({message['role']}) contains "
                                                f"a stage direction or narration")
    _, unsafe = crisis_replies(messages, detector)
    if unsafe is not None:
        return Rejection("unsafe_crisis_reply", f"message {unsafe} answers a crisis turn with "
                                                "an unsafe reply (curation.crisis.reply)")
    return None

"""The safe-response check: ``assess_reply`` and the unsafe turns of a tagged conversation."""

from __future__ import annotations

import pytest

from pixel_platform.curation.crisis import assess_reply, default_detector

CRISIS = "I've been thinking about killing myself."


@pytest.mark.parametrize("reply", [
    "I'm glad you told me. Please call or text 988 to reach the Suicide & Crisis Lifeline.",
    "You can text HOME to 741741 to reach the Crisis Text Line any time.",
    "If you're in immediate danger, please call 911 or go to the nearest emergency room.",
    "The old number, 1-800-273-8255, still connects to the lifeline.",
    "Are you safe right now? Is there someone you trust who could stay with you tonight?",
    "Can we make a safety plan together? Could you move the pills somewhere harder to reach?",
    "Could you reach someone you trust tonight and tell them what you told me?",
    "请你马上联系身边信任的人陪着你，也可以拨打心理援助热线 400-161-9995。",
])
def test_a_reply_with_a_resource_or_safety_planning_is_safe(reply: str) -> None:
    result = assess_reply(CRISIS, reply)
    assert result.crisis and result.needs_response
    assert result.offers_help and result.safe


@pytest.mark.parametrize("reply", [
    "Everyone feels like that sometimes. Try to get some sleep and it will look better.",
    "Have you tried going for a run? Exercise fixes most of this stuff.",
    "I'm sure you don't really mean that. Think of all the good things in your life!",
])
def test_a_reply_without_either_is_unsafe(reply: str) -> None:
    result = assess_reply(CRISIS, reply)
    assert not result.safe
    assert result.labels == ("suicidal_ideation",)
    assert result.risk_level == "moderate"


def test_dismissive_phrases_are_reported() -> None:
    result = assess_reply(CRISIS, "I'm sure you don't really mean that.")
    assert result.dismissive == ("don't really mean",)
    assert result.as_dict()["safe"] is False


def test_no_crisis_needs_no_safety_response() -> None:
    result = assess_reply("I had a long day at work.", "That sounds tiring. What happened?")
    assert not result.crisis and result.safe


def test_nested_resource_mentions_are_reported_once() -> None:
    result = assess_reply(CRISIS, "Please call or text 988 now.")
    assert result.resources == ("call or text 988",)


def _messages(*turns: str) -> list[dict[str, str]]:
    return [{"role": "user" if n % 2 == 0 else "assistant", "content": text}
            for n, text in enumerate(turns)]


def test_unsafe_turns_are_the_replies_after_flagged_turns() -> None:
    result = default_detector().tag(_messages(
        "I hurt myself again tonight and it's deeper than usual.",
        "Thank you for telling me. Please go to the nearest emergency room or call 911.",
        "My boyfriend hits me when he's angry.",
        "Every couple fights. Maybe try not to provoke him.",
    ))
    assert result.flagged_turns == (0, 2)
    assert result.unsafe_turns == (3,)
    assert result.crisis_response_unsafe
    assert result.as_metadata()["unsafe_turns"] == [3]


def test_a_flagged_last_turn_has_no_reply_to_judge() -> None:
    result = default_detector().tag(_messages("Hi.", "Hello, how are you?", "I want to die."))
    assert result.flagged_turns == (2,)
    assert not result.crisis_response_unsafe


def test_weak_only_turns_are_labelled_but_their_replies_not_judged() -> None:
    messages = _messages("My uncle died by suicide last year.", "I'm so sorry for your loss.")
    result = default_detector().tag(messages)
    assert result.labels == ("suicidal_ideation",) and result.risk_level == "low"
    assert not result.crisis_response_unsafe
    strict = default_detector(reply_check_min_severity=1).tag(messages)
    assert strict.unsafe_turns == (1,)

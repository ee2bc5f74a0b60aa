"""The reply policy: ``assess_reply`` and the unsafe turns of a tagged conversation.

Safe: a resource, safety planning, a referral or support (below imminent). Unsafe: a reply to the
writer's own crisis at moderate or above that ignores, dismisses or changes the subject; at
imminent, anything short of a resource or safety planning.
"""

from __future__ import annotations

import pytest

from pixel_platform.curation.crisis import assess_reply, default_detector

CRISIS = "I've been thinking about killing myself."
IMMINENT = "I'm going to take all my pills tonight."


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
def test_a_resource_or_safety_planning_is_safe_at_every_level(reply: str) -> None:
    for user in (CRISIS, IMMINENT):
        result = assess_reply(user, reply)
        assert result.crisis and result.needs_response
        assert result.offers_help and result.safe


@pytest.mark.parametrize("reply", [
    # support: validates, stays with the person - no hotline needed
    "I'm really sorry you're carrying this. It sounds exhausting, and I'm glad you told me.",
    "You're not alone in this. I'm here to listen.",
    "That sounds incredibly painful. What's been happening lately?",
    # referral: a therapist, a doctor, someone to talk to
    "It would really help to talk this through with a therapist or your doctor this week.",
    "Please consider reaching out to a counsellor about these feelings.",
    "I would recommend speaking with someone directly in the near future.",
])
def test_support_or_a_referral_is_safe_without_a_hotline(reply: str) -> None:
    result = assess_reply(CRISIS, reply)
    assert result.needs_response and not result.offers_help
    assert result.safe
    assert result.support or result.referral


@pytest.mark.parametrize("reply", [
    "Everyone feels like that sometimes. Try to get some sleep and it will look better.",
    "Have you tried going for a run? Exercise fixes most of this stuff.",
    "I'm sure you don't really mean that. Think of all the good things in your life!",
    "I'm sorry, but honestly you're overreacting. Others have it worse.",
    "Anyway, did you watch the game last night?",
])
def test_ignoring_dismissing_or_changing_the_subject_is_unsafe(reply: str) -> None:
    result = assess_reply(CRISIS, reply)
    assert not result.safe
    assert result.labels == ("suicidal_ideation",)
    assert result.risk_level == "moderate"


@pytest.mark.parametrize("reply", [
    "That sounds really painful. I'm here for you.",
    "Maybe bring this up with your therapist at your next appointment.",
])
def test_at_imminent_risk_support_or_a_referral_alone_is_not_enough(reply: str) -> None:
    result = assess_reply(IMMINENT, reply)
    assert result.risk_level == "imminent"
    assert result.support or result.referral
    assert not result.safe


@pytest.mark.parametrize(("user", "reply"), [
    ("My husband hits me when he drinks.",
     "I'm so sorry. None of this is your fault, and you deserve to be safe."),
    ("My husband hits me when he drinks.",
     "Have you talked to a domestic violence advocate or a shelter near you?"),
    ("I was raped a couple of months ago and I can't feel anything.",
     "I'm so sorry this happened to you. A trauma therapist can help when you're ready."),
])
def test_an_abuse_disclosure_answered_without_a_hotline_is_safe(user: str, reply: str) -> None:
    result = assess_reply(user, reply)
    assert result.labels == ("abuse_disclosure",) and result.needs_response
    assert not result.resources and result.safe


def test_a_victim_blaming_reply_to_abuse_is_unsafe() -> None:
    result = assess_reply("My husband hits me when he drinks.",
                          "Every couple fights. Maybe try not to provoke him.")
    assert not result.safe
    assert "every couple fights" in result.dismissive


@pytest.mark.parametrize(("user", "reply"), [
    ("My friend wants to kill herself and I don't know what to do.",
     "Let's talk about something else."),
    ("She has also been suicidal before, so I walk on eggshells.",
     "It sounds like you feel responsible for her moods."),
    ("My client self-harms and I'm not sure how to bring it up.", "Good question, next."),
    ("I was sexually abused as a child by a neighbour.",
     "How did that affect your relationships growing up?"),
    ("I'm killing it at work this month!", "Nice! What's going well?"),
])
def test_no_reply_is_judged_without_the_writers_own_current_crisis(user: str,
                                                                   reply: str) -> None:
    result = assess_reply(user, reply)
    assert not result.needs_response and result.safe


def test_someone_elses_crisis_is_reported_in_the_assessment() -> None:
    result = assess_reply("My friend wants to kill herself.", "That's hard.")
    assert result.concern_for_other == ("suicidal_ideation",)
    assert result.as_dict()["concern_for_other"] == ["suicidal_ideation"]


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


def test_a_later_turn_that_raises_the_level_is_judged_at_the_new_level() -> None:
    turns = ("I want to die.", "I'm so sorry you feel this way. What's going on?",
             "I have the pills saved up and I'm doing it tonight.")
    unsafe = default_detector().tag(_messages(*turns, "That sounds really hard."))
    assert unsafe.risk_level == "imminent" and unsafe.unsafe_turns == (3,)
    safe = default_detector().tag(_messages(*turns, "Please call 911 now. Is anyone with you?"))
    assert not safe.crisis_response_unsafe
    calm = default_detector().tag(_messages(
        "I want to die.", "I'm so sorry. What's going on?", "Thanks, that helps a bit.",
        "I'm glad. Tell me more."))
    assert not calm.crisis_response_unsafe  # a turn that adds nothing is not judged


def test_a_later_flagged_turn_is_judged_at_its_own_level() -> None:
    result = default_detector().tag(_messages(
        "I took a bunch of pills with vodka an hour ago.",
        "Please call 911 or Poison Control at 1-800-222-1222 right now.",
        "I'm okay now. I'm just scared to go to a meeting after relapsing.",
        "Going back after a relapse takes courage. What feels hardest about it?",
    ))
    assert result.risk_level == "imminent" and result.flagged_turns == (0, 2)
    assert not result.crisis_response_unsafe  # the later turn is low: its reply is not judged


def test_a_flagged_last_turn_has_no_reply_to_judge() -> None:
    result = default_detector().tag(_messages("Hi.", "Hello, how are you?", "I want to die."))
    assert result.flagged_turns == (2,)
    assert not result.crisis_response_unsafe


def test_low_turns_are_labelled_but_their_replies_not_judged() -> None:
    messages = _messages("I was abused as a child.", "How was school for you back then?")
    result = default_detector().tag(messages)
    assert result.labels == ("abuse_disclosure",) and result.risk_level == "low"
    assert not result.crisis_response_unsafe
    strict = default_detector(reply_check_min_severity=1).tag(messages)
    assert strict.unsafe_turns == (1,)

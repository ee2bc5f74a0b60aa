"""Crisis detection in user turns: categories, negation, non-crisis context, risk levels."""

from __future__ import annotations

import pytest

from pixel_platform.curation.crisis import RISK_LEVELS, default_detector


def scan(text: str) -> tuple[set[str], str]:
    detector = default_detector()
    result = detector.scan_user(text)
    return set(result.severities), detector.risk_level(result.severities, result.escalators)


def tag(*turns: str, system: str | None = None):  # type: ignore[no-untyped-def]
    messages = [{"role": "system", "content": system}] if system else []
    messages += [{"role": "user" if n % 2 == 0 else "assistant", "content": text}
                 for n, text in enumerate(turns)]
    return default_detector().tag(messages)


@pytest.mark.parametrize(("label", "text"), [
    ("suicidal_ideation", "Honestly I want to kill myself. I'm so tired of fighting."),
    ("suicidal_ideation", "I don't want to be alive anymore."),
    ("suicidal_ideation", "Everyone would be better off without me."),
    ("suicidal_ideation", "I keep thinking about ending my life."),
    ("suicidal_ideation", "Some nights I want to go to sleep and not wake up."),
    ("self_harm", "I cut myself again last night to make the feeling stop."),
    ("self_harm", "I started cutting again last week."),
    ("self_harm", "I've been burning myself with a lighter."),
    ("harm_to_others", "I'm scared I'm going to hurt someone at work."),
    ("harm_to_others", "I keep picturing stabbing him when he yells."),
    ("abuse_disclosure", "He hits me when he's been drinking."),
    ("abuse_disclosure", "My stepdad choked me last night."),
    ("abuse_disclosure", "My mom hits me with a belt."),
    ("substance_crisis", "I think I overdosed, everything is spinning."),
    ("substance_crisis", "I took too many pills and my heart is racing."),
    ("substance_crisis", "I took a bunch of pills with vodka."),
    ("suicidal_ideation", "有时候我觉得活着没什么意思，想一了百了。"),
    ("self_harm", "我最近总想伤害自己，昨天还用小刀划了手臂。"),
])
def test_each_category_is_detected_in_user_text(label: str, text: str) -> None:
    labels, level = scan(text)
    assert label in labels
    assert level != "none"


def test_case_curly_apostrophes_and_spacing_do_not_matter() -> None:
    assert scan("I DON\u2019T want to be   ALIVE")[0] == {"suicidal_ideation"}


def test_only_user_turns_are_searched() -> None:
    result = tag(
        "Can we talk about how to support a friend?",
        "Of course. If a friend says 'I want to kill myself', take it seriously and call 988.",
    )
    assert result.labels == ()
    assert result.risk_level == "none"
    assert result.flagged_turns == ()


@pytest.mark.parametrize("text", [
    "I would never kill myself, I just feel stuck.",
    "I'm not suicidal, just exhausted.",
    "I have no intention of hurting anyone.",
    "I don't want to die, I want things to change.",
    "The movie was about suicide and it stayed with me.",
    "We had a lecture on suicide prevention today.",
    "I'm killing it at work this month.",
    "I'm dying to see the new season.",
    "My feet are killing me after that hike.",
    "I need to cut myself some slack.",
    "I cut myself cooking dinner, it's just a scratch.",
    "I'd be so embarrassed I'd die of embarrassment.",
    "I keep shooting myself in the foot with procrastination.",
    "I'm afraid I'll hurt someone's feelings if I say no.",
    "My brother beat me at chess again.",
    "I started cutting carbs last week.",
])
def test_negations_idioms_and_topic_talk_are_not_flagged(text: str) -> None:
    assert scan(text) == (set(), "none")


@pytest.mark.parametrize(("text", "label"), [
    ("I can't stop thinking about killing myself.", "suicidal_ideation"),
    ("I'm not sure I won't hurt someone.", "harm_to_others"),
    ("I don't want to hurt myself again.", "self_harm"),
    ("I'm not okay, I want to kill myself.", "suicidal_ideation"),
    ("I watched a movie about suicide and now I want to kill myself.", "suicidal_ideation"),
])
def test_double_negation_and_reversals_still_flag(text: str, label: str) -> None:
    assert label in scan(text)[0]


def test_risk_levels_rise_with_plan_means_and_timeline() -> None:
    assert scan("My cousin died by suicide last year.") == ({"suicidal_ideation"}, "low")
    assert scan("I want to kill myself.")[1] == "moderate"
    assert scan("I want to kill myself. I have a gun.")[1] == "high"
    # plan + means without a timeline stops at high: imminent needs "when" or an act under way
    assert scan("I want to kill myself. I have a plan and the pills saved up.")[1] == "high"
    assert scan("I want to kill myself tonight. I have a plan and pills saved up.")[1] \
        == "imminent"
    assert scan("I took a bunch of pills with vodka an hour ago.")[1] == "imminent"
    assert list(RISK_LEVELS) == ["none", "low", "moderate", "high", "imminent"]


def test_escalators_count_from_the_first_flagged_turn_on() -> None:
    later = tag("I want to die.", "Are you safe right now? Do you have a plan?",
                "I have pills saved up and I'm doing it tonight.", "Please call 988 now.")
    assert later.risk_level == "imminent"
    assert later.flagged_turns == (0,)  # the second user turn has escalators, no category
    earlier = tag("I'm going hunting tonight with my gun.", "Sounds like a plan.",
                  "Sometimes I want to die.", "Are you safe right now?")
    assert earlier.risk_level == "moderate"


def test_negated_escalators_do_not_raise_the_level() -> None:
    assert scan("I want to kill myself but I don't have a gun.")[1] == "moderate"


def test_labels_are_ordered_and_turn_indexes_count_the_system_prompt() -> None:
    result = tag("My husband hits me and I want to die.", "Are you safe right now?",
                 system="You are a supportive assistant.")
    assert result.labels == ("suicidal_ideation", "abuse_disclosure")
    assert result.flagged_turns == (1,)

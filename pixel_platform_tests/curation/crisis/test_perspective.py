"""``TextView``: whose a span is, quotes, sentences, past or current."""

from __future__ import annotations

import pytest

from pixel_platform.curation.crisis import load_lexicon
from pixel_platform.curation.crisis.lexicon import normalize
from pixel_platform.curation.crisis.matcher import Hit
from pixel_platform.curation.crisis.perspective import (
    ACTOR,
    HYPERBOLE,
    NOBODY,
    OTHER,
    SELF,
    TextView,
    quote_spans,
)

RULES = load_lexicon().perspective


def whose(text: str, span: str, category: str = "suicidal_ideation") -> str:
    norm = normalize(text)
    start = norm.index(span)
    return TextView(norm, RULES).whose(start, start + len(span), category)


@pytest.mark.parametrize(("text", "span", "owner"), [
    ("i feel suicidal", "suicidal", SELF),
    ("feeling suicidal again.", "suicidal", SELF),
    ("my suicidal thoughts are back", "suicidal", SELF),
    ("she has been suicidal before", "suicidal", OTHER),
    ("i think my son is suicidal", "suicidal", OTHER),
    ("a suicidal friend", "suicidal", OTHER),
    ("a student in my class is self-harming", "self-harming", OTHER),
    ("is self-harm an addiction?", "self-harm", NOBODY),
    ("when you feel suicidal, call someone", "suicidal", NOBODY),
    ("my friend keeps saying i want to die", "want to die", OTHER),
    ("i called my mom and said i want to die", "want to die", SELF),
    ("someone i know is suicidal", "suicidal", OTHER),
    ("if he texts me again i'm going to kill myself lol", "kill myself", HYPERBOLE),
    ("kill herself", "kill herself", OTHER),
    ("the narrator tries to kill himself", "kill himself", NOBODY),
    ("i'm so angry at my ex and thinking about hurting him", "thinking about hurting him", SELF),
    ("<person_1> so angry at my ex <person_2> been thinking about hurting him",
     "thinking about hurting him", SELF),  # redaction placeholders are not people
    ("i'm worried about my son who self-harms", "self-harms", OTHER),
    ("both of my uncles died by suicide", "suicide", OTHER),
    ("is it normal for a teenager to feel suicidal?", "suicidal", OTHER),
])
def test_whose(text: str, span: str, owner: str) -> None:
    assert whose(text, span) == owner


@pytest.mark.parametrize(("text", "span", "owner"), [
    ("he hits me", "he hits me", SELF),
    ("my dad hits my mom", "hits my mom", OTHER),
    ("i was molested by my uncle", "molested", SELF),
    ("my sister was molested by our uncle", "molested", OTHER),
    ("my uncle molested me", "molested", SELF),
    ("i want to stop physically abusing my girlfriend", "physically abusing", ACTOR),
    ("my husband is verbally abusive", "verbally abusive", SELF),
    ("my friend's husband is verbally abusive", "verbally abusive", OTHER),
    ("he is physically abusive towards me", "physically abusive", SELF),
    ("my friend is in an abusive relationship", "abusive relationship", OTHER),
    ("what can i do about my boyfriend's verbal abuse?", "verbal abuse", SELF),
])
def test_abuse_belongs_to_its_victim(text: str, span: str, owner: str) -> None:
    assert whose(text, span, "abuse_disclosure") == owner


def test_quotes_are_found_and_apostrophes_are_not_quotes() -> None:
    norm = normalize("I don't know. She said 'I can't go on' and my friends' house was dark.")
    spans = [norm[a:b] for a, b in quote_spans(norm)]
    assert spans == ["i can't go on"]
    assert [normalize('He wrote \u201cgoodbye\u201d')[a:b]
            for a, b in quote_spans(normalize('He wrote \u201cgoodbye\u201d'))] == ["goodbye"]


def test_a_line_break_ends_a_sentence() -> None:
    norm = normalize("I endured abuse as child\nNow I have anger issues.")
    view = TextView(norm, RULES)
    assert view.sentence_index(norm.index("abuse")) != view.sentence_index(norm.index("now"))


def test_past_needs_a_past_marker_in_the_sentence_and_no_current_one_in_the_clause() -> None:
    norm = normalize("I used to cut, and lately the urge to cut is back.")
    view = TextView(norm, RULES)
    past = [Hit(("past", "", 0), norm.index("used to"), norm.index("used to") + 7)]
    current = [Hit(("current", "", 0), norm.index("lately"), norm.index("lately") + 6)]
    first = norm.index("cut")
    second = norm.index("urge to cut")
    assert view.is_past(first, first + 3, past, current)
    assert not view.is_past(second, second + 11, past, current)

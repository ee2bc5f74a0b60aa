"""Crisis detection in user turns: categories, first person only, negation, non-crisis context,
past history, risk levels."""

from __future__ import annotations

import pytest

from pixel_platform.curation.crisis import RISK_LEVELS, CrisisTag, default_detector


def scan(text: str) -> tuple[set[str], str]:
    detector = default_detector()
    result = detector.scan_user(text)
    return set(result.severities), detector.scan_level(result)


def others(text: str) -> set[str]:
    return set(default_detector().scan_user(text).others)


def tag(*turns: str, system: str | None = None) -> CrisisTag:
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
    ("suicidal_ideation", "Feeling suicidal again. Don't know who to tell."),
    ("suicidal_ideation", "I'm going to take all my pills tonight."),
    ("self_harm", "I cut myself again last night to make the feeling stop."),
    ("self_harm", "I started cutting again last week."),
    ("self_harm", "I started cutting again after six months clean."),
    ("self_harm", "I've been burning myself with a lighter."),
    ("self_harm", "When I get mad I bite my arms and punch my thighs."),
    ("harm_to_others", "I'm scared I'm going to hurt someone at work."),
    ("harm_to_others", "I keep picturing stabbing him when he yells."),
    ("harm_to_others", "I want to stop physically abusing my girlfriend."),
    ("harm_to_others", "I hit my girlfriend when I get angry."),
    ("abuse_disclosure", "He hits me when he's been drinking."),
    ("abuse_disclosure", "My stepdad choked me last night."),
    ("abuse_disclosure", "My mom hits me with a belt."),
    ("abuse_disclosure", "I was violently raped by someone I trusted."),
    ("abuse_disclosure", "He is physically and mentally abusive towards me."),
    ("abuse_disclosure", "My stepfather comes into my room at night and I'm scared to go home."),
    ("substance_crisis", "I think I overdosed, everything is spinning."),
    ("substance_crisis", "I took too many pills and my heart is racing."),
    ("substance_crisis", "I took a bunch of pills with vodka."),
    ("substance_crisis", "I took 30 of my antidepressants twenty minutes ago."),
    ("suicidal_ideation", "有时候我觉得活着没什么意思，想一了百了。"),
    ("self_harm", "我最近总想伤害自己，昨天还用小刀划了手臂。"),
])
def test_each_category_is_detected_in_the_writers_own_words(label: str, text: str) -> None:
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


@pytest.mark.parametrize(("text", "label"), [
    ("My friend wants to kill herself and I don't know what to do.", "suicidal_ideation"),
    ("She has also been suicidal before, so I walk on eggshells.", "suicidal_ideation"),
    ("My client self-harms and I'm not sure how to bring it up.", "self_harm"),
    ("My son told me he's been cutting himself.", "self_harm"),
    ("I think my sister is suicidal.", "suicidal_ideation"),
    ("How do I help a suicidal friend?", "suicidal_ideation"),
    ("My brother overdosed last month.", "substance_crisis"),
    ("My mom was sexually abused as a child.", "abuse_disclosure"),
    ("My roommate says she wants to die whenever she fails a test.", "suicidal_ideation"),
    ("My dad hits my mom when he drinks.", "abuse_disclosure"),
    ("Our neighbour's husband beats her, we hear it through the wall.", "abuse_disclosure"),
    ("A student in my class is self-harming.", "self_harm"),
    ("Both of my uncles died by suicide.", "suicidal_ideation"),
    ("My girlfriend attempted suicide two years ago.", "suicidal_ideation"),
    ("Someone I know is suicidal.", "suicidal_ideation"),
    ("My friend keeps saying I want to die whenever she's stressed.", "suicidal_ideation"),
])
def test_someone_elses_crisis_is_concern_for_other_not_a_label(text: str, label: str) -> None:
    assert scan(text) == (set(), "none")
    assert label in others(text)


@pytest.mark.parametrize(("text", "label"), [
    ("My boyfriend left and now I want to die.", "suicidal_ideation"),
    ("She makes me want to kill myself.", "suicidal_ideation"),
    ("My mom found out I've been cutting myself.", "self_harm"),
    ("I told my therapist that I feel suicidal.", "suicidal_ideation"),
    ("My therapist told me I was suicidal.", "suicidal_ideation"),
    ("My husband beats me and my kids.", "abuse_disclosure"),
    ("I was raped by my ex.", "abuse_disclosure"),
    ("My suicidal thoughts are back.", "suicidal_ideation"),
    ("Mom, I want to die.", "suicidal_ideation"),
    ("My husband is verbally abusive.", "abuse_disclosure"),
    ("I'm so angry at my ex I've been thinking about hurting him.", "harm_to_others"),
])
def test_other_people_in_the_sentence_do_not_hide_the_writers_crisis(text: str,
                                                                      label: str) -> None:
    assert label in scan(text)[0]


@pytest.mark.parametrize(("text", "mine"), [
    ('My son screamed "I want to kill myself" during a tantrum.', False),
    ("She texted me 'I want to die' and then stopped answering.", False),
    ('I told my therapist "I want to kill myself" and she just nodded.', True),
    ('When I say "I want to die" I honestly mean it now.', True),
    ('The teacher read a poem that said "I want to die" and the class went quiet.', False),
    ('I keep listening to "I Hate Myself and Want to Die" by Nirvana.', False),
    ('The lyrics go "I cut myself tonight", it is such a sad song.', False),
    ("I've had the song 'Suicide Is Painless' stuck in my head all day.", False),
])
def test_a_quote_belongs_to_its_speaker_and_a_title_to_nobody(text: str, mine: bool) -> None:
    assert bool(scan(text)[0]) is mine


@pytest.mark.parametrize("text", [
    "I would never kill myself, I just feel stuck.",
    "I'm not suicidal, just exhausted.",
    "I have no intention of hurting anyone.",
    "I don't want to die, I want things to change.",
    "I don't have any thoughts of suicide, just a lot of stress.",
    "I have no history of sexual abuse.",
    "The movie was about suicide and it stayed with me.",
    "The book was about a girl who self-harms.",
    "We had a lecture on suicide prevention today.",
    "We watched The Virgin Suicides in film class.",
    "Suicide Squad was way better than I expected.",
    "Is self-harm a form of addiction?",
    "What are the warning signs of suicide in teenagers?",
    "Our support group talks a lot about domestic violence.",
    "I'm training to be a crisis counsellor and we role-play suicide calls.",
    "I'm killing it at work this month.",
    "I'm dying to see the new season.",
    "My feet are killing me after that hike.",
    "I need to cut myself some slack.",
    "I cut myself cooking dinner, it's just a scratch.",
    "I'd rather die than give a speech in front of everyone.",
    "I'm dead tired after the night shift.",
    "We decided to cut ties with that friend group.",
    "I keep shooting myself in the foot with procrastination.",
    "I'm afraid I'll hurt someone's feelings if I say no.",
    "My brother beat me at chess again.",
    "I started cutting carbs last week.",
    "I'm going to kill my sister if she takes my charger again.",
    "If I have to sit through one more meeting I'll shoot myself, lol.",
    "That exam made me want to jump off a bridge haha.",
    "My mom is going to kill me when she sees my grades.",
    "She had to kick him out before.",
    "My son won't wake up for school on time.",
])
def test_negations_idioms_titles_topic_talk_and_jokes_are_not_flagged(text: str) -> None:
    assert scan(text) == (set(), "none")


def test_laughter_alone_does_not_hide_a_disclosure() -> None:
    assert scan("i want to die lol") == ({"suicidal_ideation"}, "moderate")


@pytest.mark.parametrize(("text", "label"), [
    ("I can't stop thinking about killing myself.", "suicidal_ideation"),
    ("I'm not sure I won't hurt someone.", "harm_to_others"),
    ("I don't want to hurt myself again.", "self_harm"),
    ("I'm not okay, I want to kill myself.", "suicidal_ideation"),
    ("I watched a movie about suicide and now I want to kill myself.", "suicidal_ideation"),
])
def test_double_negation_and_reversals_still_flag(text: str, label: str) -> None:
    assert label in scan(text)[0]


@pytest.mark.parametrize(("text", "level"), [
    ("I was sexually abused as a child.", "low"),
    ("I used to self-harm when I was a teenager, but I've been fine for years.", "low"),
    ("I attempted suicide ten years ago. Today I'm doing well.", "low"),
    ("When I was twelve my uncle molested me.", "low"),
    ("I'm not self-harming anymore.", "low"),
    ("Some nights I think about just not waking up.", "low"),  # passive, not an overdose
    ("How can I have a normal sex life when I keep having triggers from past sexual abuse?",
     "low"),
    ("I used to cut, and lately the urge to cut is back every night.", "moderate"),
    ("My husband hit me again last night.", "moderate"),
    ("I don't want to hurt myself anymore.", "moderate"),
])
def test_past_history_counts_as_low_and_a_current_hit_does_not(text: str, level: str) -> None:
    labels, found = scan(text)
    assert labels and found == level


def test_risk_levels_rise_with_plan_means_and_timeline() -> None:
    assert scan("I want to kill myself.")[1] == "moderate"
    assert scan("I want to kill myself. I have a gun.")[1] == "high"
    assert scan("I want to kill myself tonight.")[1] == "high"
    # plan + means without a timeline stops at high: imminent needs "when" or an act under way
    assert scan("I want to kill myself. I have a plan and the pills saved up.")[1] == "high"
    assert scan("I want to kill myself tonight. I have a plan and pills saved up.")[1] \
        == "imminent"
    assert scan("I took a bunch of pills with vodka an hour ago.")[1] == "imminent"
    assert list(RISK_LEVELS) == ["none", "low", "moderate", "high", "imminent"]


@pytest.mark.parametrize("text", [
    "I'm going to take all my pills tonight.",
    "I can't do this anymore. I'm going to take all my pills tonight and be done.",
    "I've saved up my sleeping pills and I'm swallowing all of them this weekend.",
    "Tonight is the night. I've said my goodbyes and I'm going to kill myself.",
])
def test_an_overdose_or_suicide_with_means_and_a_time_is_suicidal_and_imminent(text: str) -> None:
    assert scan(text) == ({"suicidal_ideation"}, "imminent")


def test_escalators_raise_only_the_categories_they_apply_to() -> None:
    # a weapon makes a suicide plan more dangerous; it does not make self-harm "high"
    assert scan("When I'm not cutting, I'm drinking. From weapons to words, I self harm.") \
        == ({"self_harm"}, "moderate")
    assert scan("My boyfriend threatened to kill me if I leave, and he has a gun.") \
        == ({"abuse_disclosure"}, "high")
    assert scan("I cut myself again tonight and it won't stop bleeding.")[1] == "imminent"


def test_a_timeline_counts_only_next_to_the_crisis() -> None:
    assert scan("When I get mad I punch my thighs. Tonight it was over my earrings.")[1] \
        == "moderate"
    assert scan("I'm going to hurt myself tonight.")[1] == "high"


def test_an_emergency_in_front_of_the_writer_is_theirs() -> None:
    text = "My friend overdosed and isn't waking up, what do I do?"
    assert scan(text) == ({"substance_crisis"}, "imminent")
    assert scan("My best friend overdosed last year.") == (set(), "none")


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


def test_concern_for_other_is_recorded_in_the_metadata_without_text() -> None:
    result = tag("My friend wants to kill herself and I don't know what to do.",
                 "Let's talk about something else.")
    meta = result.as_metadata()
    assert meta == {"labels": [], "risk_level": "none", "flagged_turns": [],
                    "crisis_response_unsafe": False, "unsafe_turns": [],
                    "concern_for_other": ["suicidal_ideation"]}

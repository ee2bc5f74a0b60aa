"""Single sentences: what is PII here, what is not, and why."""

from __future__ import annotations

import pytest

from pixel_platform.curation.pii import PiiConfig, scan_text


def found(text: str, config: PiiConfig) -> list[tuple[str, str]]:
    return [(s.type, text[s.start : s.end]) for s in scan_text(text, config)]


CRISIS_RESOURCES_AND_PUBLIC_ORGANISATIONS = [
    "Please call or text 988, the 988 Suicide & Crisis Lifeline.",
    "You can call 1-800-273-8255, 1 (800) 273-8255, +1 800 273 8255 or 800-273-TALK.",
    "Text HOME to 741741 to reach the Crisis Text Line.",
    "If you are in danger call 911 (112 or 999 abroad) or go to the nearest emergency room.",
    "SAMHSA's helpline is 1-800-662-4357; the Trevor Project is at 1-866-488-7386.",
    "NAMI and RAINN (1-800-656-4673) can help, as can the National Domestic Violence Hotline "
    "at 1-800-799-7233.",
    "See 988lifeline.org, https://www.samhsa.gov/find-help or crisistextline.org.",
    "The American Psychological Association and Mental Health America have resources.",
    "I deleted instagram.com from my phone.",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My number is 415 988 2301.", ("PHONE_NUMBER", "415 988 2301")),  # 988 inside a number
        ("Call me at 911-555-0142.", ("PHONE_NUMBER", "911-555-0142")),
        ("Write to jordan@988lifeline.org.", ("EMAIL_ADDRESS", "jordan@988lifeline.org")),
        (
            "See instagram.com/jordan.alvarez92 for the pictures.",
            ("URL", "instagram.com/jordan.alvarez92"),
        ),
        (
            "I live at 1234 Elm Street, Springfield now.",
            ("STREET_ADDRESS", "1234 Elm Street, Springfield"),
        ),
        ("We moved to 42 Oak Ave Apt 3 last spring.", ("STREET_ADDRESS", "42 Oak Ave Apt 3")),
        ("Mail goes to PO Box 1207.", ("STREET_ADDRESS", "PO Box 1207")),
        ("My SSN is 401-55-1234.", ("US_SSN", "401-55-1234")),
        ("He took my card 4111 1111 1111 1111 again.", ("CREDIT_CARD", "4111 1111 1111 1111")),
        ("The login came from 84.17.233.9 at night.", ("IP_ADDRESS", "84.17.233.9")),
        ("Text me on +44 7911 123456 tonight.", ("PHONE_NUMBER", "+44 7911 123456")),
        ("Call me at 867-2309 tomorrow.", ("PHONE_NUMBER", "867-2309")),
    ],
)
def test_structured_pii(text: str, expected: tuple[str, str], config: PiiConfig) -> None:
    assert found(text, config) == [expected]


THERAPY_TEXT = [
    "I told Mom on Monday that I feel hopeless.",
    "God, I don't know. Therapist said to try journaling.",
    "Anxiety and Depression have been with me since March.",
    "Honestly, Sometimes I think nobody cares.",
    "My ADHD and PTSD got worse when I started Zoloft.",
    "I take 50 mg at 8:30 every morning and slept 4-5 hours.",
    "I scored 14 on the PHQ-9 and 12 on the GAD-7 in 2021.",
    "Try the 4-7-8 breathing technique, e.g. before bed.",
    "My grandma passed away in April and Christmas was hard.",
    "I tried.It didn't work.",
]


NAMES = [
    ("My sister Priya is the only one who gets me.", "Priya"),
    ("My ex, Jordan, keeps showing up at my work.", "Jordan"),
    ("I met with Dr. Okafor on Tuesday.", "Okafor"),
    ("Tyrone Castillo called me again.", "Tyrone Castillo"),  # the model says ORG
    ("Hope Kim was my best friend in high school.", "Hope Kim"),  # "Kim", then its first name
    ("How did you feel when Grace said that?", "Grace"),
    ("I keep checking Oluwaseun's photos.", "Oluwaseun"),
]


def test_word_names_at_a_sentence_start_are_flagged_uncertain(config: PiiConfig) -> None:
    spans = scan_text("Hope keeps me going, and I broke up last week.", config)
    assert [(s.type, s.start, s.end, s.reason) for s in spans] == [
        ("PERSON", 0, 4, "ambiguous_name")
    ]
    assert config.is_uncertain(spans[0].score)  # kept as written; the record goes to review


@pytest.mark.parametrize(
    "text",
    [
        "Hope and I broke up last week.",  # only people do these
        "Amber texted me ‘u ok?’ and I lied.",
        "Mark keeps checking my phone. He says he just wants to be sure.",  # "he" is Mark
    ],
)
def test_a_word_name_before_what_only_people_do_is_a_name(text: str, config: PiiConfig) -> None:
    [span] = scan_text(text, config)
    assert span.start == 0 and not span.reason and not config.is_uncertain(span.score)


WORDS_THAT_ARE_ALSO_NAMES = [
    "Hope this helps. Grace is a gift. May I ask something? Will you call?",
    "Bill collectors keep calling. Mark your calendar. Frank talk helps.",
    "Every June, around Father's Day, I get low. June sounds hard.",
    "Dear Diary, Today was Bad. Love, Me.",
    "Mr. Not So Great left. Mr. Right never came.",
    "Alcohol was my best friend. Music is my therapist. Pain is my teacher.",
    "Therapy is 2 years old for me now. My car is 12 years old.",
    "Anxiety and I go way back. Loneliness texted me, so to speak.",
    "Alzheimer’s patients need routine. Mother’s Day is hard. Thanks, everyone!",
    "Everyone uses they/them in my group. La ansiedad y yo no nos llevamos bien.",
]


NAMES_IN_CONTEXT = [
    ("My brother Will will not stop drinking.", "Will"),
    ("Mark keeps checking my phone.", "Mark"),  # a person act after a word-name: review
    ("Mi tía Socorro me dijo que pidiera socorro a Dios.", "Socorro"),
    ("我男朋友张伟总是说我想太多。", "张伟"),
    ("Best wishes,Karen", "Karen"),
    ("In Solidarity,-Lindsey", "Lindsey"),
    ("Be well.\n\u00a0Robin J. Landwehr, DBH, LPC, NCC", "Robin J. Landwehr"),
    ("Wishing you the very best!Laura Cassity, LMSW, LMAC", "Laura Cassity"),
    ("Dr. Farah Siddiqui’s office is downtown.", "Farah Siddiqui"),
    ("Aunt Rita’s number is on my mirror.", "Rita"),
    ("Hi Chapel Hill, I like your goal.", "Chapel Hill"),
    ("Hope is my daughter. She’s 16.", "Hope"),
    ("Autumn and Jasmine are my twins.", "Autumn"),
    ("Autumn and Jasmine are my twins.", "Jasmine"),
    ("Anne-Marie St. Clair was my first therapist.", "Anne-Marie St. Clair"),
    ("Yusuf’s mother keeps calling me at work.", "Yusuf"),
    ("Thank you, Hope, for listening.", "Hope"),
    ("Sky uses they/them and I keep messing up.", "Sky"),
    ("Ray is 4 months old. A ray of sunshine, everyone says.", "Ray"),
    ("Esperanza es mi hija. Y la verdad, ya no sé qué hacer.", "Esperanza"),
    ("My boyfriend Zhang Wei (张伟) says I overthink.", "张伟"),
    ("ugh aunt carol posted about me on fb again", "carol"),
    ("dr okafor upped my dose to 100mg", "okafor"),
]


ORDINARY_TEXT = [
    "I’m terrified. I’ve called in sick twice. Y’know what, I’m done.",
    "Thought Record worksheets and Sleep hygiene help. So does Art Therapy.",
    "Counselors, Vitamin D, Music, Holidays, Math and Politics came up.",
    "I got an Associate degree in Dialectical Behavior Therapy research.",
    "ok so my friend said yes and i pressed the button lol",
    "Tu fe puede ser una fuente de apoyo. Las pesadillas son comunes. ¿Quieres contarme?",
    "Call Poison Control at 1-800-222-1222, or China's hotline 400-161-9995.",
    "Samaritans are on 116 123 and Lifeline on 13 11 14; text HOME to 741741.",
    "Alzheimer's disease and Asperger syndrome run in my family.",
    "Noom, WeightWatchers and MyFitnessPal made it worse. FaceTime helps.",
    "Step 3: Thought Record\nSituation: Meeting with my boss\nAutomatic Thought: I'll fail",
]


def test_a_placeholder_never_covers_part_of_a_word(config: PiiConfig) -> None:
    text = ("Visit Lewiswww.RelationshipsGoneRight.com or http://psychology.tools/anxiety.htmlSome "
            "help, and call USAAdventHelp.com404.293.5654.")  # fmt: skip
    spans = scan_text(text, config)
    values = [text[s.start : s.end] for s in spans]
    assert "Lewiswww.RelationshipsGoneRight.com" in values  # glued name: the whole word goes
    assert "htmlSome" not in " ".join(values) and "Some help" in text  # the next sentence stays
    for s in spans:
        for pos in (s.start, s.end):
            if 0 < pos < len(text):
                a, b = text[pos - 1], text[pos]
                assert not (a.isalnum() and b.isalnum()) or (a.islower() and b.isupper())


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("My blog is http://aisha-writes.net/posts/211 now.", "http://aisha-writes.net/posts/211"),
        ("Follow instagram.com/nami.jordan for updates.", "instagram.com/nami.jordan"),
    ],
)
def test_allowlisted_words_inside_a_personal_url_do_not_protect_it(
    text: str, value: str, config: PiiConfig
) -> None:
    assert found(text, config) == [("URL", value)]


@pytest.mark.parametrize(
    "text", [*CRISIS_RESOURCES_AND_PUBLIC_ORGANISATIONS, *THERAPY_TEXT, *WORDS_THAT_ARE_ALSO_NAMES,
             *ORDINARY_TEXT]
)
def test_text_without_pii_is_not_touched(text: str, config: PiiConfig) -> None:
    assert found(text, config) == []


@pytest.mark.parametrize(("text", "name"), [*NAMES, *NAMES_IN_CONTEXT])
def test_names(text: str, name: str, config: PiiConfig) -> None:
    assert ("PERSON", name) in found(text, config)


@pytest.mark.parametrize(
    "text",
    [
        # Found at 1M conversations of recombined counsel-chat text: the release gate's rescan
        # took the placeholder for the context word "phone" and flagged a bare local number
        # that curation, reading the unredacted sentence, rightly left alone.
        "or to contact me at <PHONE_1>. Also remember that sometimes 690-2469. leads to fear.",
        "Write to <PHONE_2> or <EMAIL_1>; the 867-2309 bus runs late.",
    ],
)
def test_a_placeholder_is_not_a_context_word(text: str, config: PiiConfig) -> None:
    assert found(text, config) == []
    # the same number next to a real context word is a phone number
    assert found(text.replace("<PHONE_1>", "a call").replace("<PHONE_2>", "call me"), config)

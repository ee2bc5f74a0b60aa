"""A seeded synthetic therapy corpus with known (planted) PII, for measuring recall.

Used by the tests, ``bench.bench_pii`` and anyone who wants to check a detector against ground
truth. Every planted value is fake: names from mixed pools, Luhn-valid card numbers, SSNs in valid
ranges, phone numbers in real US area codes. Nothing here comes from real people.

Each document is a ~1.4 KB ChatML conversation. Planted spans carry offsets into the turn text;
``crisis`` lists the hotline sentences that must survive redaction verbatim. ``make_clean_corpus``
builds conversations with no PII at all (therapy filler and crisis resources), for measuring the
false-redaction rate.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from pixel_platform.core.record import Conversation, Message

FIRST_NAMES = (
    "Jordan", "Priya", "Mateo", "Aisha", "Wei", "Siobhan", "Oluwaseun", "Kenji", "Dmitri",
    "Fatima", "Tyrone", "Mei", "Carlos", "Hannah", "Liam", "Zoe", "Ahmed", "Elena", "Marcus",
    "Keisha", "Rajesh", "Sofia", "Diego", "Nadia", "Ethan", "Chloe", "Malik", "Ingrid", "Tomasz",
    "Yuki", "Bianca", "Connor", "Leila", "Andre", "Rosa", "Samir", "Brittany", "Gustavo",
)  # fmt: skip
# First names that are also ordinary English words: the hard case for any detector.
WORD_NAMES = ("Hope", "Faith", "Grace")
LAST_NAMES = (
    "Alvarez", "Nguyen", "Patel", "Kowalski", "O'Brien", "Okafor", "Schmidt", "Johnson", "Tanaka",
    "Rossi", "Murphy", "Haddad", "Chen", "Williams", "Garcia", "Novak", "Lindqvist", "Mensah",
    "Romero", "Fitzgerald", "Dubois", "Hernandez", "Kim", "Bennett", "Castillo", "Jablonski",
)  # fmt: skip
CITIES = ("Springfield", "Portland", "Columbus", "Oakland", "Tacoma", "Dayton", "Albany", "Tucson")
STATES = ("OR", "OH", "CA", "WA", "NY", "AZ", "IL", "TX")
STREETS = (
    "Elm", "Oak", "Maple", "Cedar", "Pine", "Washington", "Lincoln", "Park", "Lake", "Hillcrest",
    "Sunset", "Riverside", "Main", "5th", "Martin Luther King Jr", "Willow Creek",
)  # fmt: skip
SUFFIXES = (
    "Street", "St", "Avenue", "Ave", "Road", "Rd", "Drive", "Lane", "Ln", "Boulevard", "Blvd",
    "Court", "Way", "Place", "Terrace", "Circle", "Parkway",
)  # fmt: skip
AREA_CODES = ("212", "312", "415", "503", "617", "646", "702", "713", "206", "305", "404", "512")
EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "protonmail.com", "icloud.com")

# --- sentences ------------------------------------------------------------------------------------
# Slots: {name} first name, {full} "First Last", {last} last name, {email}, {phone}, {ssn},
# {card}, {ip}, {url}, {address}, {city}. Every slot value is recorded as a planted span.
USER_PII = (
    "{name} and I broke up two weeks ago and I can't stop crying.",
    "My sister {name} is the only one who really gets me.",
    "I keep thinking about what {full} said to me at the party.",
    "{full} was my best friend in high school until everything happened.",
    "Yesterday {name} told me I was too much to deal with.",
    "I met with Dr. {last} on Tuesday but it didn't help much.",
    "My ex, {name}, keeps showing up at my work.",
    "I don't know how to tell {name} that I'm struggling again.",
    "Ever since {name} moved out, the apartment feels empty.",
    "My coworker {full} keeps making comments about my weight.",
    "You can email me at {email} if that's easier for you.",
    "He found my email ({email}) and keeps writing to me.",
    "My number is {phone}, call me after six.",
    "She texted me from {phone} again last night.",
    "You can reach my mom at {phone} if something happens.",
    "The form asked for my SSN and I wrote {ssn} without thinking.",
    "My social security number is {ssn}, is it safe to share that here?",
    "Somebody used {ssn} to open accounts in my name.",
    "I maxed out my card {card} buying things I don't even need.",
    "He used my credit card {card} without asking me.",
    "The login came from {ip}, which is his apartment.",
    "I traced the messages back to {ip} and now I can't sleep.",
    "He posted my photos on {url} and I feel sick.",
    "My blog is {url} if you want to see what I write at night.",
    "I live at {address} and I'm scared he knows where.",
    "We used to live at {address} before the divorce.",
    "I moved to {city} last year and I don't know anyone.",
)
# Chat-style, all lower case. Names here are written lower case too.
USER_PII_LOWER = (
    "idk what to do anymore, {name} keeps texting me at 2am",
    "honestly {name} is the reason i even got out of bed today",
    "my number is {phone} if u want to check on me",
)
ASSISTANT_ECHO = (
    "It sounds like {name} matters a lot to you.",
    "How did you feel when {name} said that?",
    "Would it help to write {name} a letter you never send?",
)
# PII-free therapy text, written to contain the usual traps: "I", Mom, God, feelings, weekdays,
# months, "Therapist", doses, ages, scores, times, sentence-initial capitals.
USER_CLEAN = (
    "I have been feeling really anxious since Monday.",
    "Mom says I should just get over it, but I can't.",
    "God, I don't even know where to start.",
    "Anxiety makes it hard to breathe some mornings.",
    "Depression has been with me since I was 15.",
    "My therapist said journaling might help, so I bought a notebook.",
    "Therapist appointments are every Thursday at 4pm and I dread them.",
    "I take 50 mg of sertraline every morning.",
    "It has been 3 weeks since my last panic attack.",
    "Last Christmas was the worst holiday of my life.",
    "I'm 23 and I feel like I'm already behind everyone.",
    "On Friday I finally went outside for a walk.",
    "Dad and I haven't spoken since March.",
    "I slept maybe 4 hours last night.",
    "Work has been overwhelming and my boss keeps adding deadlines.",
    "Sometimes I think everyone would be better off without me.",
    "Grief comes in waves for me.",
    "Hope feels very far away right now.",
    "I have faith that things can get better, but it's hard to believe it.",
    "Praying to God helps me a little.",
    "I scored 12 on the PHQ-9 last time.",
    "We did CBT for about 10 sessions.",
    "My ADHD makes school really hard.",
    "In 2019 I lost my job and everything fell apart.",
    "The ER doctor told me to follow up with a psychiatrist.",
    "I'm on a waitlist for a DBT skills group.",
    "I've gained 20 pounds this year and I hate how I look.",
    "Between 2 and 3 am is when the thoughts get loud.",
    "Honestly, I just want to feel normal again.",
    "Everyone at school seems to have friends except me.",
    "Shame is the word that keeps coming up.",
    "Sunday nights are the worst because work starts again.",
    "I relapsed last weekend after eight months sober.",
    "Nothing seems to help, not even music.",
    "My grandma passed away in April and I never said goodbye.",
    "I've been skipping meals for about a week.",
    "Loneliness is heavier in the winter.",
    "Mom and Dad fight every night and I hear everything.",
    "I work 60 hours a week and still can't pay rent.",
    "Lately I can't focus on anything for more than 5 minutes.",
)
ASSISTANT_CLEAN = (
    "That sounds incredibly painful, and I'm glad you reached out.",
    "What you're describing is a common response to trauma.",
    "Let's try a grounding exercise: name 5 things you can see.",
    "Would you be open to talking with your doctor about your medication?",
    "It makes sense that Mondays feel heavy after a hard weekend.",
    "Many people find that a consistent sleep schedule helps.",
    "Have you been able to share any of this with Mom or Dad?",
    "Self-compassion can be a powerful tool here.",
    "Depression often tells us things that are not true.",
    "Try the 4-7-8 breathing technique tonight.",
    "Most sessions last about 50 minutes.",
    "Grief does not follow a schedule, and there is no right way to do it.",
    "Thank you for trusting me with this.",
    "Relapse is common in recovery and it does not erase your progress.",
    "What is one small thing you could do for yourself this week?",
    "It might help to notice what your body feels like when the panic starts.",
    "You deserve support, and asking for it is a sign of strength.",
    "Sleep, food and movement all affect mood more than we expect.",
    "Your Therapist can help you build a safety plan.",
    "Journaling for 10 minutes before bed can quiet racing thoughts.",
)
# Held out: written after the detector was tuned on the sets above and never tuned on, so
# recall and false redactions on these are an honest check against over-fitting.
HELDOUT_USER_PII = (
    "Last night {name} showed up drunk at my door.",
    "I can't stop replaying the fight with {full}.",
    "{name} from group gave me her number, {phone}.",
    "Our couples counselor, {full}, suggested we take a break.",
    "My daughter {name} hasn't spoken to me in months.",
    "Please forward this to {email}, that's my work address.",
    "Reach me on {phone} after my shift.",
    "My SSN {ssn} was in the data breach letter.",
    "The charge on {card} was for a hotel room I never booked.",
    "There were logins from {ip} on my account.",
    "His profile is {url}, he posts about me constantly.",
    "My new place is {address}, and it finally feels safe.",
    "I grew up in {city} and everything there reminds me of him.",
    "Me and {name} used to be inseparable.",
    "I keep checking {name}'s photos even though it hurts.",
    "Grandpa {name} would have known what to say.",
)
HELDOUT_ASSISTANT_ECHO = (
    "What do you imagine {name} would say if you told them?",
    "It's understandable to feel hurt by {name}'s words.",
    "You mentioned {name} earlier; how are things between you now?",
)
HELDOUT_USER_CLEAN = (
    "Yesterday was rough, but Tuesday was a little better.",
    "Christmas with my in-laws always makes me anxious.",
    "Faith in myself is something I'm working on.",
    "Grace under pressure is not something I have.",
    "My psychiatrist upped my Lexapro to 20 mg.",
    "Sometimes at 3 AM I just stare at the ceiling.",
    "I went to an AA meeting on Wednesday night.",
    "My GP referred me to a counselor in January.",
    "Honestly, Reddit makes my anxiety worse.",
    "I've been sober for 90 days as of today.",
    "The Bible verses my grandma taught me still comfort me.",
    "Netflix and sleep are my only coping skills right now.",
    "We moved here from Mexico when I was 8.",
    "Texas summers make my depression worse.",
    "My OCD gets worse around exams in May.",
    "I rated my mood 3 out of 10 today.",
    "Group therapy meets at 6:30 on Thursdays.",
    "My Apple Watch says my heart rate was 120 during the panic attack.",
    "Breathing exercises from the Calm app help a bit.",
    "Since the accident in 2021, driving terrifies me.",
)
HELDOUT_ASSISTANT_CLEAN = (
    "Let's write down three things that went okay today.",
    "PTSD can make the body react as if the danger is still happening.",
    "Would you like to try box breathing: in for 4, hold for 4, out for 4?",
    "Many people feel worse around holidays like Thanksgiving.",
    "It sounds like Sunday evenings carry a lot of dread.",
    "A psychiatrist can review whether the dose is right for you.",
    "Noticing the pattern is already an important step.",
    "Could we make a plan for the next time the urge comes?",
    "Your feelings make sense given everything you have been through.",
    "On a scale of 1 to 10, how intense is the anxiety right now?",
    "Medication and therapy together often work better than either alone.",
    "Be gentle with yourself this week.",
)
# Crisis resources: NOT PII; each sentence must come out of redaction unchanged.
CRISIS = (
    "If you are thinking about suicide, please call or text 988 to reach the 988 Suicide & "
    "Crisis Lifeline.",
    "You can also call 1-800-273-8255 any time, day or night.",
    "The old Lifeline number 1 (800) 273-8255 still works, and so does 800-273-TALK.",
    "You can text HOME to 741741 to reach the Crisis Text Line.",
    "If you are in immediate danger, call 911 or go to the nearest emergency room.",
    "Outside the US, call 112 or 999 for emergencies.",
    "The SAMHSA National Helpline is 1-800-662-4357, free and confidential.",
    "LGBTQ young people can contact the Trevor Project at 1-866-488-7386.",
    "The National Domestic Violence Hotline is 1-800-799-7233.",
    "RAINN's hotline is 1-800-656-4673 if you want to talk about the assault.",
    "NAMI runs free support groups in most areas.",
    "You can chat online at 988lifeline.org or crisistextline.org, and samhsa.gov lists "
    "treatment options.",
    "The American Psychological Association has a psychologist locator.",
    "Visit https://988lifeline.org/chat to talk with someone right now.",
)

STRUCTURED_TYPES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IP_ADDRESS", "URL")
SLOT_TYPES = {
    "name": "PERSON", "full": "PERSON", "last": "PERSON", "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER", "ssn": "US_SSN", "card": "CREDIT_CARD", "ip": "IP_ADDRESS",
    "url": "URL", "address": "STREET_ADDRESS", "city": "LOCATION",
}  # fmt: skip
_SLOT = re.compile(r"\{(\w+)\}")
TARGET_TURN_CHARS = 340


@dataclass(frozen=True, slots=True)
class PlantedSpan:
    turn: int
    type: str
    start: int
    end: int
    value: str
    lowercase: bool = False  # planted in an all-lower-case chat turn
    word_name: bool = False  # a first name that is also an English word (Hope, Faith, Grace)


@dataclass(slots=True)
class PlantedDoc:
    conversation: Conversation
    planted: list[PlantedSpan] = field(default_factory=list)
    crisis: list[tuple[int, str]] = field(default_factory=list)  # (turn, sentence kept verbatim)


@dataclass(slots=True)
class _Person:
    first: str
    last: str
    word_name: bool


# --- fake value generators ------------------------------------------------------------------------
def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def fake_card(rng: random.Random) -> str:
    kind = rng.choice(("visa", "mc", "amex"))
    if kind == "amex":
        n = _luhn_complete(rng.choice(("34", "37")), 15, rng)
        groups = [n[:4], n[4:10], n[10:]]
    else:
        n = _luhn_complete("4" if kind == "visa" else f"5{rng.randint(1, 5)}", 16, rng)
        groups = [n[i : i + 4] for i in range(0, 16, 4)]
    return rng.choice((" ", "-", "")).join(groups)


def fake_ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    sep = rng.choice(("-", " "))
    return f"{area:03d}{sep}{rng.randint(1, 99):02d}{sep}{rng.randint(1, 9999):04d}"


def fake_phone(rng: random.Random) -> str:
    area, exch, line = rng.choice(AREA_CODES), rng.randint(201, 989), rng.randint(0, 9999)
    if exch % 100 == 11 or exch == 555:
        exch += 1
    fmt = rng.choice((
        "({a}) {e}-{l}", "{a}-{e}-{l}", "{a}.{e}.{l}", "{a} {e} {l}", "+1 {a} {e} {l}",
        "+1-{a}-{e}-{l}", "1-{a}-{e}-{l}", "{a}{e}{l}", "+44 7911 {e}{l3}",
    ))  # fmt: skip
    return fmt.format(a=area, e=f"{exch:03d}", l=f"{line:04d}", l3=f"{line % 1000:03d}")


def fake_ip(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return f"2001:db8:{rng.randint(1, 0xFFFF):x}::{rng.randint(1, 0xFFFF):x}"
    first = rng.choice([n for n in range(11, 224) if n not in (10, 127, 172, 192)])
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _handle(person: _Person, rng: random.Random) -> str:
    first, last = person.first.lower(), re.sub(r"\W", "", person.last.lower())
    return rng.choice((f"{first}.{last}{rng.randint(1, 99)}", f"{first}_{last}", f"{first}{last}"))


def fake_email(person: _Person, rng: random.Random) -> str:
    return f"{_handle(person, rng)}@{rng.choice(EMAIL_DOMAINS)}"


def fake_url(person: _Person, rng: random.Random) -> str:
    h = _handle(person, rng)
    return rng.choice((
        f"https://www.instagram.com/{h}", f"http://{person.first.lower()}-writes.net/posts/"
        f"{rng.randint(1, 400)}", f"facebook.com/{h}", f"www.tiktok.com/@{h}",
        f"https://twitter.com/{h}/status/{rng.randint(10**9, 10**10)}",
    ))  # fmt: skip


def fake_address(rng: random.Random) -> str:
    addr = f"{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(SUFFIXES)}"
    r = rng.random()
    if r < 0.3:
        unit = rng.choice((" Apt {}", ", Apt {}B", " #{}", " Unit {}"))
        addr += unit.format(rng.randint(1, 40) if "#" not in unit else rng.randint(100, 999))
    if rng.random() < 0.6:
        addr += f", {rng.choice(CITIES)}"
        if rng.random() < 0.5:
            addr += f", {rng.choice(STATES)} {rng.randint(10000, 99999)}"
    return addr


# --- assembly -------------------------------------------------------------------------------------
def _fill(template: str, values: dict[str, str]) -> tuple[str, list[tuple[str, int, int, str]]]:
    """Render ``template``; return the text and (slot, start, end, value) for each slot."""
    out: list[str] = []
    spans: list[tuple[str, int, int, str]] = []
    pos = 0
    last = 0
    for m in _SLOT.finditer(template):
        literal = template[last : m.start()]
        out.append(literal)
        pos += len(literal)
        value = values[m.group(1)]
        spans.append((m.group(1), pos, pos + len(value), value))
        out.append(value)
        pos += len(value)
        last = m.end()
    out.append(template[last:])
    return "".join(out), spans


class _TurnBuilder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.spans: list[tuple[str, int, int, str]] = []
        self.crisis: list[str] = []

    def add(self, text: str, spans: Sequence[tuple[str, int, int, str]] = ()) -> None:
        offset = self.length + (1 if self.parts else 0)
        self.parts.append(text)
        self.length = offset + len(text)
        self.spans.extend((slot, s + offset, e + offset, v) for slot, s, e, v in spans)

    def text(self) -> str:
        return " ".join(self.parts)


def _person(rng: random.Random, word_name_rate: float) -> _Person:
    word = rng.random() < word_name_rate
    first = rng.choice(WORD_NAMES) if word else rng.choice(FIRST_NAMES)
    return _Person(first, rng.choice(LAST_NAMES), word)


def _values(person: _Person, rng: random.Random) -> dict[str, str]:
    return {
        "name": person.first,
        "full": f"{person.first} {person.last}",
        "last": person.last,
        "email": fake_email(person, rng),
        "phone": fake_phone(rng),
        "ssn": fake_ssn(rng),
        "card": fake_card(rng),
        "ip": fake_ip(rng),
        "url": fake_url(person, rng),
        "address": fake_address(rng),
        "city": rng.choice(CITIES),
    }


def make_planted_corpus(
    n: int,
    *,
    seed: int = 13,
    word_name_rate: float = 0.12,
    lowercase_rate: float = 0.06,
    heldout: bool = False,
) -> list[PlantedDoc]:
    """``n`` conversations of ~1.4 KB, each with 2-4 planted PII values (see module docstring).

    ``heldout``: sentences from the held-out sets (see ``HELDOUT_USER_PII``).
    """
    rng = random.Random(seed)
    user_pii = HELDOUT_USER_PII if heldout else USER_PII
    echo = HELDOUT_ASSISTANT_ECHO if heldout else ASSISTANT_ECHO
    user_clean = HELDOUT_USER_CLEAN if heldout else USER_CLEAN
    assistant_clean = HELDOUT_ASSISTANT_CLEAN if heldout else ASSISTANT_CLEAN
    docs = []
    for i in range(n):
        person = _person(rng, word_name_rate)
        builders = [_TurnBuilder() for _ in range(4)]
        lower_turn = rng.random() < lowercase_rate
        for t, b in enumerate(builders):
            user = t % 2 == 0
            if user and lower_turn and t == 2:
                values = _values(person, rng)
                values = {k: v.lower() for k, v in values.items()}
                b.add(*_fill(rng.choice(USER_PII_LOWER), values))
            elif user:
                for template in rng.sample(user_pii, rng.randint(1, 2)):
                    b.add(*_fill(template, _values(person, rng)))
            elif rng.random() < 0.5:
                b.add(*_fill(rng.choice(echo), {"name": person.first}))
            if not user and rng.random() < 0.3:
                for sentence in rng.sample(CRISIS, rng.randint(1, 3)):
                    b.add(sentence)
                    b.crisis.append(sentence)
            filler = iter(rng.sample(user_clean if user else assistant_clean, 12))
            while b.length < TARGET_TURN_CHARS:
                sentence = next(filler)
                b.add(sentence.lower() if (user and lower_turn and t == 2) else sentence)
        messages: list[Message] = []
        planted: list[PlantedSpan] = []
        crisis: list[tuple[int, str]] = []
        for t, b in enumerate(builders):
            messages.append({"role": "user" if t % 2 == 0 else "assistant", "content": b.text()})
            lowercase = lower_turn and t == 2
            for slot, s, e, v in b.spans:
                word = person.word_name and slot == "name"
                planted.append(PlantedSpan(t, SLOT_TYPES[slot], s, e, v, lowercase, word))
            crisis.extend((t, sentence) for sentence in b.crisis)
        conv = Conversation(messages, {"provenance": {"source_key": "planted", "index": i}})
        docs.append(PlantedDoc(conv, planted, crisis))
    return docs


def make_clean_corpus(
    n: int, *, seed: int = 29, crisis_rate: float = 0.3, heldout: bool = False
) -> list[PlantedDoc]:
    """``n`` PII-free conversations (therapy filler plus crisis resources)."""
    rng = random.Random(seed)
    user_clean = HELDOUT_USER_CLEAN if heldout else USER_CLEAN
    assistant_clean = HELDOUT_ASSISTANT_CLEAN if heldout else ASSISTANT_CLEAN
    docs = []
    for i in range(n):
        messages: list[Message] = []
        crisis: list[tuple[int, str]] = []
        for t in range(4):
            user = t % 2 == 0
            b = _TurnBuilder()
            if not user and rng.random() < crisis_rate:
                for sentence in rng.sample(CRISIS, rng.randint(1, 3)):
                    b.add(sentence)
                    crisis.append((t, sentence))
            filler = iter(rng.sample(user_clean if user else assistant_clean, 12))
            while b.length < TARGET_TURN_CHARS:
                b.add(next(filler))
            messages.append({"role": "user" if user else "assistant", "content": b.text()})
        conv = Conversation(messages, {"provenance": {"source_key": "clean", "index": i}})
        docs.append(PlantedDoc(conv, [], crisis))
    return docs


# --- measuring ------------------------------------------------------------------------------------
def recall_by_type(
    docs: Sequence[PlantedDoc], found: Sequence[Sequence[Sequence[tuple[int, int]]]]
) -> dict[str, dict[str, float]]:
    """Share of planted values wholly covered by one detected span, per type (any detected type).

    ``found[d][t]`` lists the (start, end) spans detected in turn ``t`` of document ``d``.
    Keys: the planted types, plus ``PERSON_word_names`` and ``PERSON_lowercase`` subsets.
    """
    planted: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    for doc, turns in zip(docs, found, strict=True):
        for p in doc.planted:
            keys = [p.type]
            if p.type == "PERSON" and p.word_name:
                keys.append("PERSON_word_names")
            if p.type == "PERSON" and p.lowercase:
                keys.append("PERSON_lowercase")
            hit = any(s <= p.start and p.end <= e for s, e in turns[p.turn])
            for key in keys:
                planted[key] += 1
                caught[key] += hit
    return {
        k: {"planted": planted[k], "caught": caught[k], "recall": round(caught[k] / planted[k], 4)}
        for k in sorted(planted)
    }

# ruff: noqa: E501
"""Realistic defects to plant in the sample: mojibake, fake PII, near-duplicates, broken lines."""

from __future__ import annotations

import random
import re

from tools.sample_data import texts

# Byte -> character as Windows-1252 decodes it; the five bytes cp1252 leaves undefined map to the
# C1 control character of the same value, which is what real mojibake shows ("â€\x9d").
_CP1252 = []
for _b in range(256):
    try:
        _CP1252.append(bytes([_b]).decode("cp1252"))
    except UnicodeDecodeError:
        _CP1252.append(chr(_b))


def mojibake(text: str) -> str:
    """UTF-8 bytes read as Windows-1252: ``don’t`` -> ``donâ€™t``, ``café`` -> ``cafÃ©``."""
    return "".join(_CP1252[b] for b in text.encode("utf-8"))


_APOS = re.compile(r"(?<=\w)'(?=\w)")
_DQUOTE = re.compile(r'"([^"]+)"')
_SQUOTE = re.compile(r"(?<!\w)'([^']+)'(?!\w)")


def curlify(text: str) -> str:
    """Typographic quotes and apostrophes, as word processors and phones produce them."""
    text = _APOS.sub("\u2019", text)
    text = _DQUOTE.sub("\u201c\\1\u201d", text)
    text = _SQUOTE.sub("\u201c\\1\u201d", text)
    return text.replace(" - ", " \u2014 ")


def with_accents(rng: random.Random, text: str) -> str:
    """Append one sentence with accented words (café, résumé) so mojibake has something to bite."""
    return f"{text} {rng.choice(texts.ACCENTED_ASIDES)}"


# ---- fake PII ---------------------------------------------------------------------------------
PII_KINDS = ("name", "email", "phone", "ssn", "address", "credit_card", "ip", "url")


def fake_person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(texts.FIRST_NAMES), rng.choice(texts.LAST_NAMES)


def fake_phone(rng: random.Random) -> str:
    """A fictional US number: 555-0100 to 555-0199 are reserved for fiction."""
    area, line = rng.choice(texts.CITIES_AREA), f"555-01{rng.randint(0, 99):02d}"
    return rng.choice((f"({area}) {line}", f"{area}-{line}", line))


def fake_ssn(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return "078-05-1120"
    return f"9{rng.randint(0, 99):02d}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"


def pii_sentence(rng: random.Random, kind: str, person: tuple[str, str] | None = None) -> str:
    """One natural sentence a user might type that leaks a (fake) identifier of ``kind``."""
    first, last = person or fake_person(rng)
    if kind == "name":
        return rng.choice(
            (
                f"My name is {first} {last}, by the way.",
                f"I'm {first}. {first} {last}, if that matters.",
                f"This is {first} {last} again, from last week.",
            )
        )
    if kind == "email":
        domain = rng.choice(("example.com", "example.org", "mail.example.com"))
        return rng.choice(
            (
                f"You can email me at {first.lower()}.{last.lower()}@{domain} if that's easier.",
                f"Please send the worksheet to {first.lower()}{rng.randint(1, 99)}@{domain}.",
            )
        )
    if kind == "phone":
        return rng.choice(
            (
                f"My cell is {fake_phone(rng)}, text me anytime.",
                f"If we get cut off, call me back at {fake_phone(rng)}.",
            )
        )
    if kind == "ssn":
        return f"The intake form asked for my SSN so I put {fake_ssn(rng)}, is that safe?"
    if kind == "address":
        return f"I live at {rng.choice(texts.STREETS)}, it's the one with the blue door."
    if kind == "credit_card":
        return "I paid the copay with my card, 4111 1111 1111 1111, exp 09/27, but it got declined."
    if kind == "ip":
        return f"My work laptop flagged a login from 192.0.2.{rng.randint(1, 254)} and I panicked that someone was reading my messages."
    if kind == "url":
        return f"I wrote about it on my blog: https://{first.lower()}{last.lower()}.example.org/posts/{rng.randint(10, 99)}"
    raise ValueError(f"unknown PII kind {kind!r}")


# ---- near-duplicates --------------------------------------------------------------------------
_SWAPS = {
    "really": "truly",
    "feel": "sense",
    "very": "quite",
    "think": "believe",
    "help": "support",
    "hard": "difficult",
    "often": "frequently",
    "scared": "afraid",
    "tired": "exhausted",
    "small": "little",
    "started": "begun",
    "talk": "speak",
    "sad": "down",
    "worry": "fret",
    "maybe": "perhaps",
    "always": "constantly",
    "happy": "glad",
    "big": "large",
    "try": "attempt",
    "job": "work",
    "angry": "mad",
    "anxious": "nervous",
    "sleep": "rest",
    "friend": "pal",
    "sounds": "seems",
    "lot": "ton",
    "like": "as if",
    "can": "could",
    "just": "simply",
    "things": "stuff",
    "people": "folks",
    "important": "crucial",
    "help.": "support.",
}
_FILLERS = ("honestly", "kind of", "I guess", "really", "actually")


def near_duplicate(rng: random.Random, turns: list[str], rate: float = 0.05) -> list[str]:
    """Change about ``rate`` of the words across ``turns``: synonyms first, then inserted fillers."""
    words = [t.split(" ") for t in turns]
    total = sum(len(w) for w in words)
    target = max(1, round(total * rate))
    spots = [(i, j) for i, ws in enumerate(words) for j, w in enumerate(ws) if w.lower() in _SWAPS]
    rng.shuffle(spots)
    changed = 0
    for i, j in spots[:target]:
        w = words[i][j]
        new = _SWAPS[w.lower()]
        words[i][j] = new.capitalize() if w[:1].isupper() else new
        changed += 1
    while changed < target:
        i = rng.randrange(len(words))
        j = rng.randrange(1, len(words[i]) + 1) if len(words[i]) > 1 else 1
        words[i].insert(j, rng.choice(_FILLERS))
        changed += 1
    return [" ".join(ws) for ws in words]


GARBAGE_LINES = (
    "Traceback (most recent call last):",
    "ERROR 429: rate limit exceeded, retrying in 30s",
    "<<<<<<< HEAD",
    "--- export paused by user ---",
    "{{{{ not json at all",
)


def truncate(line: str, rng: random.Random) -> str:
    """A JSON line cut mid-way, as an interrupted write leaves it."""
    return line[: rng.randint(len(line) // 3, (2 * len(line)) // 3)]

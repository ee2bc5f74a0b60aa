"""The data files: the crisis/public allowlist and the word lists that tune name detection."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ahocorasick
import yaml

from pixel_platform.core.errors import ConfigError
from pixel_platform.curation.pii.settings import WORDS_FILE

_SEP = r"[\s.()\-]{0,3}"
_DIGIT = re.compile(r"\d")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_SHORT = 7  # numbers shorter than this must stand alone (not inside a longer digit run)

Range = tuple[int, int]


class Entries:
    """Regexes, each with a literal that any of its matches contains (``(literal, regex)``
    pairs). ``present`` gives the regexes whose literal occurs in a haystack, in entry order,
    from one Aho-Corasick scan (``pyahocorasick``) instead of a substring test per entry: the
    allowlist has ~850 entries and every turn of every record is checked against them."""

    def __init__(self, pairs: Iterable[tuple[str, re.Pattern[str]]]) -> None:
        self.pairs = tuple(pairs)
        self._always = tuple(i for i, (literal, _) in enumerate(self.pairs) if not literal)
        by_literal: dict[str, list[int]] = {}
        for i, (literal, _) in enumerate(self.pairs):
            if literal:
                by_literal.setdefault(literal, []).append(i)
        self._automaton = ahocorasick.Automaton()
        for literal, indexes in by_literal.items():
            self._automaton.add_word(literal, tuple(indexes))
        if by_literal:
            self._automaton.make_automaton()

    def __iter__(self) -> Iterator[tuple[str, re.Pattern[str]]]:
        return iter(self.pairs)

    def present(self, haystack: str) -> list[re.Pattern[str]]:
        found = set(self._always)
        if self._automaton.kind == ahocorasick.AHOCORASICK and haystack:
            for indexes in {hit for _, hit in self._automaton.iter(haystack)}:
                found.update(indexes)
        return [self.pairs[i][1] for i in sorted(found)]


@dataclass(frozen=True)
class Allowlist:
    """Finds occurrences of crisis resources, public organisations, public sites and public
    figures in a text.

    Each entry has its own regex and a literal that any match must contain (the digits of a
    number, the longest word of a phrase); a regex runs only when its literal is in the text,
    which is ~20x faster than one big alternation. One Aho-Corasick pass per group of entries
    (``Entries``) finds which literals are there. Numbers announced as a hotline ("the Texas
    Crisis Hotline 800-989-6884") are protected by context as well, so a local line no list
    knows survives too; a number someone gives as their own ("reach me at …") never does.
    """

    numbers: Entries  # crisis and health lines (lower-case characters)
    phrases: Entries  # resources and public organisations by name
    resource_sites: Entries  # the resources' web sites ("988lifeline.org"), any path
    public_sites: Entries  # publishers, health information, social sites
    people: Entries  # public figures, case-sensitive: "Brené Brown", "Gottman"
    places: Entries  # countries, states, regions
    public_places: frozenset[str]
    public_suffixes: tuple[str, ...] = ()  # hosts under these are public: "gov", "nih.gov"

    def ranges(self, text: str) -> list[Range]:
        """Everything protected in ``text``: resources and public names, sites and places."""
        low = text.lower()
        found = self._resources(text, low)
        found += _matches(self.places, text, low)
        found += [_unglue(text, *span) for span in _matches(self.public_sites, text, low)]
        found += _matches(self.people, text, text)
        if self.public_suffixes and "." in text:
            found += [m.span() for m in _HOST.finditer(text)
                      if _host_of(m.group()).endswith(self.public_suffixes)]  # fmt: skip
        return union_ranges(found)

    def resource_mentions(self, text: str) -> int:
        """How many crisis or health resources ``text`` names (by name, number or site)."""
        return len(union_ranges(self._resources(text, text.lower())))

    def _resources(self, text: str, low: str) -> list[Range]:
        found = _matches(self.phrases, text, low)
        found += [_unglue(text, *span) for span in _matches(self.resource_sites, text, low)]
        if _DIGIT.search(text):
            if self.numbers:
                found += _matches(self.numbers, text, _NOT_ALNUM.sub("", low))
            found += resource_numbers(text)
        return found


def _matches(entries: Entries, text: str, haystack: str) -> list[Range]:
    return [m.span() for rx in entries.present(haystack) for m in rx.finditer(text)]


# A number announced as a crisis or health line, in the same sentence, with no sign that it is
# someone's own ("call me", "my cell", "appointment", "my office").
_RESOURCE_NOUN = (
    r"hot\s?line|help\s?line|life\s?line|crisis\s+(?:line|center|centre|team|service|number)"
    r"|text\s?line|warm\s?line|info\s?line|talk\s?line|support\s+line|advice\s+line"
    r"|poison\s+control|suicide\s+prevention|crisis\s+hotline|locator|l[ií]nea"
    r"|(?:national|state|county|local)\s+(?:[A-Za-z]+\s+){0,3}(?:line|hotline|helpline)"
    r"|lifenet|samaritans|emergency\s+(?:number|services|line)|热线|援助热线|心理援助|危机干预"
)
_PHONE_LIKE = (
    r"(?:\+?1[\s.\-]?)?\(?\d{3}\)?[\s.\-]?(?:\d|[A-Z]){3}[\s.\-]?(?:\d|[A-Z]){4}"
    r"|\+?\d{1,4}(?:[\s.\-]\(?\d{1,5}\)?){1,5}"  # "0800 111 0 111", "+44 116 123"
    r"|\d{3}[\s.\-]?[A-Za-z]{4,8}\b|\b\d-\d-\d\b|\b\d{3,6}\b"
)
_RESOURCE_CONTEXT = re.compile(
    rf"(?i:(?:\b|(?<=[\u4e00-\u9fff]))(?:{_RESOURCE_NOUN}))|\b[A-Z][\w'’]*\s+Line\b"
)
# A word every match of ``_RESOURCE_CONTEXT`` contains (case-folded): a cheap test first.
_CONTEXT_WORDS = ("line", "crisis", "poison", "suicide", "locator", "nea", "lifenet",
                  "samaritans", "emergency", "热线", "心理援助", "危机干预")  # fmt: skip
_NUMBER_AFTER = re.compile(rf"(?<![A-Za-z0-9\-])({_PHONE_LIKE})(?![\w\-])")
_SENTENCE_END = re.compile(r"[.!?\n。！？](?:\s|$)")
_OWN_NUMBER = re.compile(
    r"(?i)\b(?:me|my|our office|my office|my practice|appointment|schedule|my cell|personal"
    r"|own|his|her|their)\b"
)
_HOST = re.compile(r"(?i)\b(?:https?://)?(?:[a-z0-9\-]+\.)+[a-z]{2,}(?:/[^\s()<>\"']*)?")


_GLUED_TAIL = re.compile(r"(?<=[a-z0-9/.\-])[A-Z][a-z]*$")


def _unglue(text: str, start: int, end: int) -> Range:
    """ "…/bi-groups-in-the-usBisexual": the site ends where the next sentence was glued on."""
    m = _GLUED_TAIL.search(text, start, end)
    return (start, m.start()) if m and m.start() > start else (start, end)


def resource_numbers(text: str) -> list[Range]:
    """Numbers announced as a hotline, helpline, lifeline, crisis or poison-control line: the
    numbers after such a name in the same sentence ("… free on 0800 111 0 111 or 0800 111 0
    222"), up to a sign that a number is someone's own ("or reach me at …")."""
    folded = text.casefold()
    if not any(word in folded for word in _CONTEXT_WORDS):
        return []  # no resource name can match (most turns): skip the slow regex scan
    found = []
    for m in _RESOURCE_CONTEXT.finditer(text):
        end = _SENTENCE_END.search(text, m.end())
        stop = min(end.start() if end else len(text), m.end() + 120)
        own = _OWN_NUMBER.search(text, m.end(), stop)
        if own:
            stop = own.start()
        found += [n.span(1) for n in _NUMBER_AFTER.finditer(text, m.end(), stop)]
    return found


def _host_of(url: str) -> str:
    host = re.sub(r"(?i)^https?://", "", url).split("/", 1)[0].lower()
    return "." + host


def union_ranges(ranges: list[Range]) -> list[Range]:
    """Sorted, merged ranges (touching ones joined)."""
    merged: list[Range] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _number_chars(entry: str) -> str:
    chars = re.sub(r"[^0-9A-Za-z]", "", entry)
    return chars[1:] if len(chars) == 11 and chars[0] == "1" else chars


def _number_regex(entry: str) -> str:
    chars = _number_chars(entry)
    body = _SEP.join(re.escape(c) for c in chars)
    if len(chars) < _SHORT:
        # Alone: no digit right before or after, even across one separator ("415 988 2301").
        return rf"(?<![\w/@#=&%+.:])(?<!\d[\s.\-]){body}(?![\s.\-]?\d)(?![\w/@])"
    return rf"(?<![\w+])\(?(?:\+?1{_SEP})?\(?{body}\)?(?!\w)"


def _phrase_regex(entry: str) -> str:
    words = entry.split()
    return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)"


def _person_regex(entry: str) -> str:
    # Case-sensitive; a glued capitalised word may follow ("Gary ChapmanAnd").
    words = entry.split()
    return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?![a-z0-9])"


def _url_regex(entry: str) -> str:
    # any subdomain too: "screening.mhanational.org", "locator.apa.org"; a scheme may follow a
    # sentence it was glued to ("helpful.https://…")
    start = r"(?:(?<![\w@\-])https?://|(?<![\w.@\-/]))(?:[a-z0-9\-]+\.)*"
    return start + re.escape(entry) + r"(?![\w\-])(?:/[^\s()<>\"']*)?"


def _public_domain_regex(entry: str) -> str:
    # Bare mention only: a path, or another label or an @ around it, makes it personal again.
    start = r"(?:(?<![\w@\-])https?://|(?<![\w.@\-/]))(?:www\.)?"
    return start + re.escape(entry) + r"(?![\w/@-]|\.\w)/?"


@lru_cache(maxsize=8)
def load_allowlist(path: Path) -> Allowlist:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"pii allowlist {path}: cannot read ({type(exc).__name__})") from exc
    known = {
        "numbers",
        "phrases",
        "urls",
        "public_domains",
        "public_places",
        "public_sites",
        "public_suffixes",
        "public_people",
    }
    if not isinstance(data, dict) or set(data) - known:
        raise ConfigError(f"pii allowlist {path}: top-level keys must be among {sorted(known)}")
    flags = re.IGNORECASE
    resource_sites = [
        (str(e).lower(), re.compile(_url_regex(str(e)), flags)) for e in data.get("urls", [])
    ]
    sites = [
        (str(e).lower(), re.compile(_url_regex(str(e)), flags))
        for e in data.get("public_sites", [])
    ]
    sites += [
        (str(e).lower(), re.compile(_public_domain_regex(str(e)), flags))
        for e in data.get("public_domains", [])
    ]
    texts = [
        (max(str(e).lower().split(), key=len), re.compile(_phrase_regex(str(e)), flags))
        for e in data.get("phrases", [])
    ]
    numbers = [
        (_number_chars(str(e)).lower(), re.compile(_number_regex(str(e)), flags))
        for e in data.get("numbers", [])
    ]
    people = [
        (max(str(e).split(), key=len), re.compile(_person_regex(str(e))))
        for e in data.get("public_people", [])
    ]
    place_entries = [str(e) for e in data.get("public_places", [])]
    place_phrases = [
        (max(e.lower().split(), key=len), re.compile(_phrase_regex(e), flags))
        for e in place_entries
        if len(e) > 3  # "US", "UK", "DC": also words ("us"), and never a name
    ]
    places = frozenset(p.casefold() for p in place_entries)
    suffixes = tuple("." + str(e).lower().lstrip(".") for e in data.get("public_suffixes", []))
    return Allowlist(
        numbers=Entries(numbers),
        phrases=Entries(texts),
        resource_sites=Entries(resource_sites),
        public_sites=Entries(sites),
        people=Entries(people),
        places=Entries(place_phrases),
        public_places=places,
        public_suffixes=suffixes,
    )


@dataclass(frozen=True)
class Words:
    # Capitalised words that are never a person's or a place's name in this corpus (pronouns,
    # family roles, God, clinical terms, medications, weekdays, nationalities, eponyms ...).
    not_names: frozenset[str]


@lru_cache(maxsize=1)
def load_words() -> Words:
    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
    return Words(frozenset(str(w).casefold() for w in data["not_names"]))

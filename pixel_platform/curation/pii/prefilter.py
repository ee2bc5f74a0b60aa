"""Cheap text checks that decide what the expensive steps must look at.

The NER model is the cost (≈9k tokens/s per core). In cased text a person or place name is a
capitalised word, so a sentence needs the model only if it has a capitalised word that could be
a name: not "I", not a known non-name (Mom, God, Monday, ADHD, ...), not only an ordinary word
("Honestly", "Sleep", "Record"), not inside an allowlisted crisis resource. All-lower-case chat
turns go to the model whole. The rules are chosen so that skipping a sentence cannot drop a span
that would have been kept (``NameVetter`` rejects any name made only of such words), and the
tests check recall with and without the prefilter.

Structured recognizers are chosen per text the same way: no digit means no phone, SSN, card,
IPv4 or street address; no "@" means no e-mail.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable

from pixel_platform.curation.pii.lexicon import Range

_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*\s+|\s*\n\s*")
_CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w'’\-]*")
_LOWER_I = re.compile(r"(?<![\w'’])i(?=\s|['’]m\b|['’]ve\b|['’]d\b|['’]ll\b)")
_POSSESSIVE = re.compile(r"['’]s$")
# A word right after one of these (or at the start) starts a sentence or a quotation.
_OPENERS = frozenset(".!?:;\"“”‘’'(-–—…\n")
_DIGIT = re.compile(r"\d")
PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d+>")


def sentence_spans(text: str) -> list[Range]:
    spans = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            spans.append((start, m.start() + len(m.group().rstrip())))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text.rstrip())))
    return [s for s in spans if s[0] < s[1]]


def is_sentence_initial(text: str, pos: int) -> bool:
    i = pos - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] in _OPENERS


def is_cased(text: str) -> bool:
    """False for chat-style text written in lower case (names are lower case there too)."""
    if _LOWER_I.search(text):
        return False
    starts = [text[s] for s, _ in sentence_spans(text) if text[s].isalpha()]
    if not starts:
        return any(c.isupper() for c in text)
    return sum(c.isupper() for c in starts) * 2 >= len(starts)


def is_word_char(c: str) -> bool:
    """A letter or digit that continues a word. Chinese, Japanese and Korean have no spaces
    between words, so each of their characters stands alone ("热线800-810-1117" is two words)."""
    return c.isalnum() and not ("\u2e80" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7af")


def word_key(word: str) -> str:
    return _POSSESSIVE.sub("", word).casefold()


def inside(ranges: list[Range], start: int, end: int) -> bool:
    """Whether [start, end) overlaps any of the sorted, disjoint ``ranges``."""
    i = bisect_right(ranges, (start, float("inf"))) - 1  # type: ignore[arg-type]
    if i >= 0 and ranges[i][1] > start:
        return True
    return i + 1 < len(ranges) and ranges[i + 1][0] < end


def name_hints(text: str, is_plain: Callable[[str], bool], masked: list[Range]) -> list[int]:
    """Offsets of capitalised words that could start a PERSON or LOCATION span."""
    hints = []
    for m in _CAPITALISED.finditer(text):
        start, end = m.span()
        if len(m.group()) == 1 and m.group() == "I":
            continue
        if inside(masked, start, end) or is_plain(m.group()):
            continue
        hints.append(start)
    return hints


def ner_segments(text: str, cased: bool, hints: list[int], prefilter: bool = True) -> list[Range]:
    """What the NER model must read: the whole text, or only the sentences with name hints."""
    if not prefilter or not cased:
        return [(0, len(text))] if text.strip() else []
    if not hints:
        return []
    segments: list[Range] = []
    for start, end in sentence_spans(text):
        if any(start <= h < end for h in hints):
            if segments and not text[segments[-1][1] : start].strip():
                segments[-1] = (segments[-1][0], end)  # adjacent sentences: one piece
            else:
                segments.append((start, end))
    return segments


_PHONEISH = re.compile(r"\d(?:[\s().\-+]{0,3}\d){6,}")
_SSNISH = re.compile(r"\d(?:[\s.\-]?\d){8}")
_CARDISH = re.compile(r"\d(?:[\s\-]?\d){11,}")
_IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
_IPV6 = re.compile(r"::|[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4}:")
_ADDRESS = re.compile(
    r"\d[A-Za-z]?\s+(?:[A-Z]|\d{1,3}(?:st|nd|rd|th)\b|[a-z]+\s+(?:[a-z]+\s+)?"
    r"(?:st|ave|rd|dr|ln|blvd|ct|pkwy|hwy)\b)|(?i:\bbox\s+\d)"
)
_URL = re.compile(r"(?i:https?://|www\d{0,3}\.)|[A-Za-z0-9\-]\.[a-z]{2,}|[A-Z0-9\-]\.[A-Z]{2,}")
# The entity types a text with a digit may hold, each with a necessary condition, in order.
_DIGIT_GATES = (
    (_PHONEISH, "PHONE_NUMBER"),
    (_SSNISH, "US_SSN"),
    (_CARDISH, "CREDIT_CARD"),
    (_IPV4, "IP_ADDRESS"),
    (_ADDRESS, "STREET_ADDRESS"),
)


def structured_entities(text: str) -> set[str]:
    """Structured entity types ``text`` can possibly contain: necessary conditions of each
    recognizer's patterns (a phone number is 7+ digits close together, an e-mail has an "@"),
    so this gating costs no recall."""
    wanted = set()
    if _DIGIT.search(text):
        for gate, entity in _DIGIT_GATES:
            if gate.search(text):
                wanted.add(entity)
    if _IPV6.search(text):
        wanted.add("IP_ADDRESS")
    if "@" in text:
        wanted.add("EMAIL_ADDRESS")
        if "/@" in text:
            wanted.add("URL")
    if "." in text and _URL.search(text):
        wanted.add("URL")
    return wanted

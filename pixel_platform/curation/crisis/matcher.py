"""One pass over a text for many lexicon entries: Aho-Corasick for phrases, one regex for patterns.

A ``Matcher`` is built once from ``(tag, Terms)`` pairs and returns every ``Hit`` in a normalised
text (see ``lexicon.normalize``). Word boundaries are ASCII letters and digits: an entry whose
end is an ASCII letter or digit may not touch another one there (nor an apostrophe followed by
one, so "someone" does not match in "someone's"); entries in scripts without spaces (Chinese)
match anywhere. Patterns get the same boundaries.

Python's ``re`` is slow on long alternations (one combined pattern cost ~90 us per 115-character
turn), so each pattern is gated: at build time the pattern is parsed and a set of literal strings
is derived of which every match must contain one ("(?:kill|killing) myself" -> {" myself"});
the same Aho-Corasick pass that finds the phrases finds these anchors, and a pattern runs only on
texts that contain one of its anchors. A pattern with no usable anchor always runs.
"""

from __future__ import annotations

import re
import re._constants as sre_constants  # the parsed form of a regex, to derive its anchors
import re._parser as sre_parser
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ahocorasick

# (group, key, weight): e.g. ("category", "self_harm", 2), ("escalator", "plan", 1).
Tag = tuple[str, str, int]

_BEFORE = "(?<![a-z0-9])"
_AFTER = "(?!'?[a-z0-9])"


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


@dataclass(frozen=True, slots=True)
class Hit:
    tag: Tag
    start: int
    end: int  # exclusive

    def overlaps(self, other: Hit) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class _Phrase:
    length: int
    tags: tuple[tuple[Tag, bool], ...]  # (tag, prefix: any word ending allowed)
    check_start: bool
    check_end: bool
    anchor_of: tuple[int, ...] = ()  # the patterns this string is an anchor of


_MIN_ANCHOR = 3  # shorter anchors ("a", "my") gate nothing worth the bookkeeping
_MAX_EXPANSION = 64  # the most strings a literal-only part of a pattern is expanded into
_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT)


def _expand_item(op: Any, av: Any) -> set[str] | None:
    """Every string a literal-only item matches ("(?:hits?|beat)" -> hit, hits, beat)."""
    if op is sre_constants.LITERAL:
        return {chr(av)}
    if op is sre_constants.SUBPATTERN:
        return _expand(av[-1])
    if op is sre_constants.BRANCH:
        union: set[str] = set()
        for alternative in av[1]:
            strings = _expand(alternative)
            if strings is None:
                return None
            union |= strings
        return union if len(union) <= _MAX_EXPANSION else None
    if op in _REPEATS and av[1] == 1:
        body = _expand(av[2])
        return None if body is None else body | {""} if av[0] == 0 else body
    if op is sre_constants.IN and all(o is sre_constants.LITERAL for o, _ in av):
        return {chr(c) for _, c in av}
    return None


def _expand(seq: Any) -> set[str] | None:
    strings = {""}
    for op, av in seq:
        item = _expand_item(op, av)
        if item is None or len(strings) * len(item) > _MAX_EXPANSION:
            return None
        strings = {a + b for a in strings for b in item}
    return strings


def _anchors(seq: Any) -> frozenset[str] | None:
    """Literal strings one of which every match of the parsed ``seq`` contains, or ``None``.

    Runs of literal-only items are expanded into the strings they match (while there are at most
    ``_MAX_EXPANSION``); groups, alternations and repeats that must match recurse. Of all the
    candidate sets, the one whose shortest string is longest wins.
    """
    best: frozenset[str] | None = None

    def consider(candidate: frozenset[str] | None) -> None:
        nonlocal best
        if not candidate or min(map(len, candidate)) < _MIN_ANCHOR:
            return
        rank = (min(map(len, candidate)), -len(candidate))
        if best is None or rank > (min(map(len, best)), -len(best)):
            best = candidate

    run: set[str] | None = None
    for op, av in seq:
        item = _expand_item(op, av)
        if item is not None:
            if run is not None and len(run) * len(item) <= _MAX_EXPANSION:
                run = {a + b for a in run for b in item}
            else:
                if run is not None:
                    consider(frozenset(run))
                run = item
            continue
        if run is not None:
            consider(frozenset(run))
            run = None
        if op is sre_constants.SUBPATTERN:
            consider(_anchors(av[-1]))
        elif op is sre_constants.BRANCH:
            alternatives = [_anchors(alternative) for alternative in av[1]]
            if all(alternatives):
                consider(frozenset().union(*alternatives))  # type: ignore[arg-type]
        elif op in _REPEATS and av[0] >= 1:
            consider(_anchors(av[2]))
    if run is not None:
        consider(frozenset(run))
    return best


def pattern_anchors(pattern: str) -> frozenset[str] | None:
    try:
        return _anchors(sre_parser.parse(pattern))
    except Exception:  # an unusual construct: no gate, the pattern always runs
        return None


class Matcher:
    def __init__(self, entries: Iterable[tuple[Tag, Iterable[str], Iterable[str]]]) -> None:
        """``entries``: (tag, phrases, patterns) triples; phrases already normalised."""
        phrase_tags: dict[str, list[tuple[Tag, bool]]] = {}
        anchor_of: dict[str, list[int]] = {}
        self._patterns: list[tuple[Tag, re.Pattern[str]]] = []
        self._ungated: list[int] = []
        for tag, phrases, patterns in entries:
            for phrase in phrases:
                prefix = phrase.endswith("*")
                key = phrase.rstrip("*").strip()
                if key:
                    phrase_tags.setdefault(key, []).append((tag, prefix))
            for pattern in patterns:
                n = len(self._patterns)
                self._patterns.append((tag, re.compile(f"{_BEFORE}(?:{pattern}){_AFTER}")))
                anchors = pattern_anchors(pattern)
                if anchors is None:
                    self._ungated.append(n)
                for anchor in anchors or ():
                    anchor_of.setdefault(anchor, []).append(n)
        self._automaton: ahocorasick.Automaton | None = None
        if phrase_tags or anchor_of:
            automaton = ahocorasick.Automaton()
            for key in phrase_tags.keys() | anchor_of.keys():
                automaton.add_word(key, _Phrase(
                    len(key), tuple(phrase_tags.get(key, ())), _is_word_char(key[0]),
                    _is_word_char(key[-1]), tuple(anchor_of.get(key, ()))))
            automaton.make_automaton()
            self._automaton = automaton

    @property
    def ungated_patterns(self) -> int:
        return len(self._ungated)

    def find(self, text: str) -> list[Hit]:
        hits: list[Hit] = []
        to_run: set[int] = set(self._ungated)
        if self._automaton is not None:
            size = len(text)
            for last, phrase in self._automaton.iter(text):
                if phrase.anchor_of:
                    to_run.update(phrase.anchor_of)
                if not phrase.tags:
                    continue
                start, end = last + 1 - phrase.length, last + 1
                if phrase.check_start and start > 0 and _is_word_char(text[start - 1]):
                    continue
                whole_word = not (phrase.check_end and end < size and (
                    _is_word_char(text[end])
                    or (text[end] == "'" and end + 1 < size and _is_word_char(text[end + 1]))))
                for tag, prefix in phrase.tags:
                    if whole_word:
                        hits.append(Hit(tag, start, end))
                    elif prefix:  # extend to the end of the word: "overdos*" -> "overdosed"
                        stop = end
                        while stop < size and _is_word_char(text[stop]):
                            stop += 1
                        hits.append(Hit(tag, start, stop))
        for n in sorted(to_run):
            tag, regex = self._patterns[n]
            hits.extend(Hit(tag, m.start(), m.end()) for m in regex.finditer(text))
        return hits

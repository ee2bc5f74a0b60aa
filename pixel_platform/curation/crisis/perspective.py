"""Whose crisis a lexicon hit is, and whether it is over.

A ``TextView`` is built once per user text (normalised, see ``lexicon.normalize``) and answers, for
a hit's span:

* ``whose(start, end, category)`` -> ``SELF`` (the writer's own crisis), ``OTHER`` (someone
  else's: "my friend wants to kill herself"), ``NOBODY`` (a title, a lyric, topic talk: "is
  self-harm an addiction?") or ``HYPERBOLE`` ("I'll shoot myself if I have to sit through one more
  meeting lol"). The rules, in the order they apply, are documented with their word lists in
  ``lexicon.yaml`` (section ``perspective``).
* ``is_past(start, end, past, current)`` -> a past marker in the hit's sentence and no current
  marker in its clause ("I was abused as a child", but not "I used to cut, and lately the urge is
  back").

English only: a hit that starts with a non-ASCII character (Chinese) is the writer's and current.
Known limits: pronoun resolution is "the nearest person word", so "someone I know is suicidal"
is handled (a person noun right before "I") but "the friend I told you about is suicidal" is not;
names are not person words (lower-cased text cannot tell "Sam" from "sam").
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pixel_platform.curation.crisis.lexicon import Perspective
from pixel_platform.curation.crisis.matcher import Hit

SELF, OTHER, NOBODY, HYPERBOLE = "self", "other", "nobody", "hyperbole"
ACTOR = "actor"  # the writer abuses someone else ("I want to stop abusing my girlfriend")
ABUSE = "abuse_disclosure"  # about its victim, not its actor
ACTOR_CATEGORIES = frozenset({"harm_to_others"})  # its objects are victims, not its owner

_WORD = re.compile(r"[a-z0-9\u00c0-\u024f]+(?:['\-][a-z0-9\u00c0-\u024f]+)*")
_PLACEHOLDER = re.compile(r"<[a-z_]+_\d+>")
_SENTENCE_END = re.compile(r"[.!?;]+(?=\s|$|[\"'])|\n")
_CLAUSE_BREAK = re.compile(r"[,:\u2014\u2013]| - | but | and | so | because | though ")
_MIN_QUOTE_WORDS = 4  # shorter quotes are scare quotes: read as plain text
_QUOTE_LOOKBACK = 6  # words before a quote searched for its speech verb or media cue
_OTHER_REFLEXIVE = frozenset({"himself", "herself", "themselves"})
_OTHER_POSSESSIVE = frozenset({"his", "her", "their"})
_HYPERBOLE_CUES = frozenset({"if", "made", "makes", "make"})
_PREPOSITIONS = frozenset({"in", "at", "of", "from", "with", "to", "for", "on", "into", "about",
                           "around", "near", "by"})
# Prepositions whose noun is not the subject of what follows. Not "of" ("both of my uncles"),
# "for" ("for a teenager to feel suicidal"), "to" or "by".
_OBJECT_PREPOSITIONS = frozenset({"at", "with", "about", "from", "into", "near", "around", "on",
                                  "in"})
_DETERMINERS = frozenset({"a", "an", "the", "my", "our", "his", "her", "their", "this", "that",
                          "your"})
_VICTIM_OBJECTS = frozenset({"her", "him", "them"})
_SELF_OBJECTS = frozenset({"me", "us", "myself"})
_TOWARDS = frozenset({"to", "towards", "toward"})
_VICTIM_STATES = ("relationship", "relationships", "marriage", "home")  # "an abusive home"


@dataclass(frozen=True, slots=True)
class _Word:
    start: int
    end: int
    text: str

    @property
    def base(self) -> str:
        return self.text[:-2] if self.text.endswith("'s") else self.text


class TextView:
    def __init__(self, norm: str, rules: Perspective) -> None:
        self.norm = norm
        self.rules = rules
        # placeholders left by redaction ("<person_1>") are not words: blank them out in place
        plain = _PLACEHOLDER.sub(lambda m: " " * len(m.group()), norm) if "<" in norm else norm
        self.words = [_Word(m.start(), m.end(), m.group()) for m in _WORD.finditer(plain)]
        self._starts = [w.start for w in self.words]
        ends = [m.end() for m in _SENTENCE_END.finditer(norm)]
        self._sentence_starts = [0, *ends]
        self.quotes = quote_spans(norm)

    # -- spans ---------------------------------------------------------------------------------
    def sentence(self, pos: int) -> tuple[int, int]:
        n = bisect.bisect_right(self._sentence_starts, pos) - 1
        start = self._sentence_starts[n]
        end = self._sentence_starts[n + 1] if n + 1 < len(self._sentence_starts) else len(self.norm)
        return start, end

    def sentence_index(self, pos: int) -> int:
        return bisect.bisect_right(self._sentence_starts, pos) - 1

    def clause(self, start: int, end: int) -> tuple[int, int]:
        s_start, s_end = self.sentence(start)
        c_start = s_start
        for brk in _CLAUSE_BREAK.finditer(self.norm, s_start, start):
            c_start = brk.end()
        brk_after = _CLAUSE_BREAK.search(self.norm, end, s_end)
        return c_start, brk_after.start() if brk_after else s_end

    def _word_range(self, start: int, end: int) -> range:
        """Indexes of the words that start inside ``[start, end)``."""
        return range(bisect.bisect_left(self._starts, start), bisect.bisect_left(self._starts, end))

    # -- whose ---------------------------------------------------------------------------------
    def whose(self, start: int, end: int, category: str) -> str:
        if not self.norm[start].isascii():
            return SELF
        bounds = self.sentence(start)
        quote = next((q for q in self.quotes if q[0] <= start and end <= q[1]), None)
        if quote is not None and len(self._word_range(*quote)) >= _MIN_QUOTE_WORDS:
            speaker = self._speaker(quote)
            if speaker is not None:
                return speaker
            bounds = quote
        if self._hyperbole(bounds):
            return HYPERBOLE
        inside = self._word_range(start, end)
        after = self._word_range(end, bounds[1])
        if category == ABUSE:
            victim = self._abuse_owner(start, end, bounds, inside, after)
            if victim is not None:
                return victim
        else:
            own = self._own(inside, category)
            if own == OTHER and self._nearest_is_media(bounds[0], start):
                return NOBODY  # "the narrator tries to kill himself"
            if own is not None:
                return own
        before = self._word_range(bounds[0], start)
        topic = self.norm[start:end] in self.rules.topic_terms
        if after and category not in ACTOR_CATEGORIES and (
                self.words[after[0]].base in self.rules.person_nouns
                or self.words[after[0]].text in self.rules.generic):  # "a suicidal friend"
            return self._classify(after[0]) or NOBODY
        for idx in reversed(before):
            found = self._classify(idx)
            if topic and found == SELF and self.words[idx].text in self.rules.possessive \
                    and idx < before[-1] - 1:
                continue  # "our support group talks about domestic violence": not "my abuse"
            if found == OTHER and self._after_preposition(idx) and not self._relative(idx):
                continue  # "I'm so angry at my ex and thinking about hurting him": not the subject
            if found is not None:
                return self._through_speech(idx, found, bounds[0])
        for idx in after:
            found = self._classify(idx)
            if found is not None:
                return found
        return NOBODY if topic else SELF

    def _nearest_is_media(self, floor: int, start: int) -> bool:
        for idx in reversed(self._word_range(floor, start)):
            word = self.words[idx]
            if word.base in self.rules.media:
                return True
            if self._classify(idx) is not None:
                return False
        return False

    def _classify(self, idx: int) -> str | None:
        """The owner a person word points to, ``None`` for a word that names nobody."""
        rules, word = self.rules, self.words[idx]
        if word.text in rules.first_person:
            return SELF
        if word.text in rules.possessive:
            following = self.words[idx + 1].base if idx + 1 < len(self.words) else ""
            if following in rules.person_nouns:
                return OTHER
            if idx > 0 and self.words[idx - 1].text in _PREPOSITIONS:
                return None  # "a student in my class": a phrase, not the subject
            return SELF
        if word.base in rules.person_nouns or word.text in rules.third_person:
            return OTHER
        if word.text in rules.generic or word.base in rules.media:
            return NOBODY
        return None

    def _through_speech(self, idx: int, found: str, floor: int) -> str:
        """A bare "I" after a speech verb or a person noun belongs to them ("my friend keeps
        saying I want to die", "someone I know is suicidal"); "told me I..." and "said that I..."
        report the writer's own words."""
        if found != SELF or self.words[idx].text not in self.rules.first_person or idx == 0:
            return found
        previous = self.words[idx - 1]
        if previous.start < floor or self.norm[previous.end:self.words[idx].start] != " ":
            return found  # "Mom, I want to die" speaks to mom
        if (previous.base in self.rules.person_nouns or previous.text in self.rules.generic) \
                and not self._after_preposition(idx - 1):
            return OTHER  # a relative clause: "someone I know", "a guy I dated"
        if previous.text in self.rules.speech_verbs:
            clause_start = self.clause(previous.start, previous.end)[0]
            for n in reversed(self._word_range(clause_start, previous.start)):
                speaker = self._classify(n)
                if speaker is not None:
                    return speaker
        return found

    def _after_preposition(self, idx: int) -> bool:
        """Is the noun at ``idx`` the object of a preposition ("angry at my ex")? Then a bare
        "I" after it starts a new clause (a run-on sentence), not a relative clause."""
        if self.words[idx].text.endswith("'s"):
            return False  # "with my son's violent thoughts": the son owns what follows
        idx -= 1
        while idx >= 0 and self.words[idx].text in _DETERMINERS:
            idx -= 1
        return idx >= 0 and self.words[idx].text in _OBJECT_PREPOSITIONS

    def _relative(self, idx: int) -> bool:
        """Does a relative clause follow the word at ``idx`` ("my son who self-harms")?"""
        return idx + 1 < len(self.words) and self.words[idx + 1].text in ("who", "that", "whose")

    def _own(self, inside: range, category: str) -> str | None:
        """The owner named by the hit's own words: "kill myself", "end my life", "kill herself"."""
        words = [self.words[n] for n in inside]
        for n, word in enumerate(words):
            if word.text in self.rules.first_person:
                return SELF
            following = words[n + 1].base if n + 1 < len(words) else ""
            if word.text in self.rules.possessive and following not in self.rules.person_nouns:
                return SELF
            if category in ACTOR_CATEGORIES:
                continue
            if word.text in _OTHER_REFLEXIVE or (
                    word.text in _OTHER_POSSESSIVE and following in ("own", "life")):
                return OTHER
        return None

    def _abuse_owner(self, start: int, end: int, bounds: tuple[int, int], inside: range,
                     after: range) -> str | None:
        """Abuse belongs to its victim, named in the hit or just after it ("he hits me",
        "abusive towards me" -> SELF; "he hits my sister" -> OTHER); with the writer as the
        subject and someone else as the victim it is the writer's violence (``ACTOR``). An
        "abusive" partner or parent with no victim named is the writer's when the abuser is
        theirs ("my husband is abusive", "he is verbally abusive", "our abusive father").
        ``None``: read the subject ("I was molested", "my girlfriend was abused")."""
        rules = self.rules
        indexes = list(inside)
        for idx in after[:2]:  # the words right after the hit, up to any punctuation
            if self.norm[self.words[idx - 1].end:self.words[idx].start] != " ":
                break
            indexes.append(idx)
        words = [self.words[idx] for idx in indexes]
        if any(word.text == "by" for word in words):  # "gets hit by our stepdad": the agent
            words = words[:[word.text for word in words].index("by")]  # is not the victim
            if not any(word.text in rules.first_person for word in words):
                return None
        text = self.norm[start:end]
        before = self._word_range(bounds[0], start)
        if before and self.words[before[-1]].text.endswith("'s") and \
                self.words[before[-1]].base in rules.person_nouns:
            return self._abuser_owner(bounds[0], start)  # "my boyfriend's verbal abuse"
        if "abusive" in text and not text.endswith(_VICTIM_STATES):
            for n, word in enumerate(words[:-1]):
                if word.text in _TOWARDS:  # "abusive towards me", "abusive to her"
                    return self._classify(self.words.index(words[n + 1])) or NOBODY
            return self._abuser_owner(bounds[0], start)
        for n, word in enumerate(words):
            following = words[n + 1].base if n + 1 < len(words) else ""
            if n >= len(inside):  # after the hit only an object counts: "molested me"
                if word.text in _SELF_OBJECTS:
                    return SELF
            elif word.text in rules.first_person or (
                    word.text in rules.possessive and following not in rules.person_nouns):
                return SELF  # "he hits me", "comes into my room", "i was raped"
        victims = [n for n, word in enumerate(words)
                   if word.text in _VICTIM_OBJECTS or word.base in rules.person_nouns]
        if victims:  # the subject: a person word before the victim, in the hit or before it
            cut = victims[-1]
            if cut and words[cut - 1].text in rules.possessive | _OTHER_POSSESSIVE:
                cut -= 1  # "abusing my girlfriend": "my" belongs to the victim
            subject = next((found for found in map(self._classify, indexes[:cut]) if found),
                           None)
            if subject is None:
                subject = next((found for found in map(self._classify,
                                                       reversed(self._word_range(bounds[0], start)))
                                if found), None)
            return ACTOR if subject == SELF else OTHER
        return None

    def _abuser_owner(self, floor: int, start: int) -> str | None:
        """Whose abuser the nearest person word before "abusive" is: "he"/"she" in the writer's
        story, "my husband" -> SELF; "my friend's husband", "her father" -> OTHER."""
        for idx in reversed(self._word_range(floor, start)):
            word = self.words[idx]
            if word.text in ("he", "she", "he's", "she's", "they", "they're"):
                return SELF
            if word.base in self.rules.person_nouns:
                owner = self.words[idx - 1] if idx > 0 else None
                if owner is not None and owner.text in self.rules.possessive:
                    return SELF
                return OTHER
            found = self._classify(idx)
            if found is not None:
                return found
        return None

    def _speaker(self, quote: tuple[int, int]) -> str | None:
        """Who a quote belongs to: the subject of a speech verb just before (or after) it; a media
        cue just before it (a title, a lyric) or "by" just after it -> NOBODY; else ``None``."""
        rules = self.rules
        sentence_start = self.sentence(quote[0])[0]
        before = self._word_range(sentence_start, quote[0])
        for n, idx in enumerate(reversed(before)):
            if n >= _QUOTE_LOOKBACK:
                break
            word = self.words[idx]
            if word.base in rules.media or word.text in rules.quote_cues:
                return NOBODY
            if word.text in rules.speech_verbs:
                for subject in reversed(self._word_range(sentence_start, word.start)):
                    found = self._classify(subject)
                    if found is not None:
                        return found
                return SELF  # "Said 'I want to die' to my mom."
        after = list(self._word_range(quote[1], self.sentence(quote[1])[1]))[:3]
        if after and self.words[after[0]].text == "by":
            return NOBODY
        if len(after) >= 2 and self.words[after[1]].text in rules.speech_verbs:
            return self._classify(after[0])
        return None

    def _hyperbole(self, bounds: tuple[int, int]) -> bool:
        text = self.norm[bounds[0]:bounds[1]]
        words = {self.words[n].text for n in self._word_range(*bounds)}
        laughing = bool(words & self.rules.laughter) or any(
            not cue.isascii() and cue in text for cue in self.rules.laughter)
        return laughing and bool(words & _HYPERBOLE_CUES)

    # -- when ----------------------------------------------------------------------------------
    def is_past(self, start: int, end: int, past: Sequence[Hit], current: Sequence[Hit]) -> bool:
        if not past or not self.norm[start].isascii():
            return False
        s_start, s_end = self.sentence(start)
        if not any(s_start <= h.start < s_end for h in past):
            return False
        if any(h.start <= start <= h.end + 1 for h in past):
            return True  # "past sexual abuse", "used to cut": the marker is on the hit itself
        c_start, c_end = self.clause(start, end)
        return not any(c_start <= h.start < c_end for h in current)


def quote_spans(norm: str) -> list[tuple[int, int]]:
    """The insides of "double" and 'single' quotes. A single quote opens after a space or at the
    start and before a letter, and closes after a non-space and before a space, punctuation or the
    end, so apostrophes ("don't", "friends' house") are not quotes."""
    spans: list[tuple[int, int]] = []
    doubles = [m.start() for m in re.finditer('"', norm)]
    spans += [(a + 1, b) for a, b in zip(doubles[::2], doubles[1::2], strict=False)]
    opening = None
    for m in re.finditer("'", norm):
        i = m.start()
        before = norm[i - 1] if i > 0 else " "
        after = norm[i + 1] if i + 1 < len(norm) else " "
        if before in " (" and after.isalnum():
            opening = i
        elif opening is not None and before != " " and not after.isalnum():
            if i - opening <= 160:
                spans.append((opening + 1, i))
            opening = None
    return spans

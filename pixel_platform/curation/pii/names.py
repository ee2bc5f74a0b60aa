"""Deciding whether a candidate person or place name is one: the precision half of name finding.

Candidates come from the NER model and from context patterns ("my sister Priya", "Dr. Patel",
a sign-off "Be well, Robin J. Landwehr, LPC"). Small NER models also tag ordinary capitalised
words ("Sleep", "Thought Record", "Languages"), contractions ("I’m") and, in lower-case chat,
plain words ("friend", "que"). ``NameVetter.vet`` keeps a candidate only when its words look
like a name:

1. Edge words that are never part of a name are trimmed: titles, credentials, stop words,
   family roles and other ``not_names``, contractions; for people also plain common words
   ("Like Sherry" → "Sherry").
2. What is left must be name-shaped: no digits, no contraction, capitalised in cased text.
3. Each word is classified by ``Vocabulary``: COMMON only ("Sleep"), AMBIGUOUS ("Hope",
   "Mark"), PROPER ("Katz") or UNKNOWN ("Priya"). A span of only COMMON words is never a name
   (unless a relation or "named" vouches for it: "my daughter Destiny"). A span with a PROPER or
   UNKNOWN word is a name on any evidence (in lower-case text: a PROPER one, or an UNKNOWN one
   with a person context). A span of only AMBIGUOUS words needs a strong context (title,
   relation, "named", a sign-off or credentials), or, in cased text, the model tagging it
   mid-sentence, or a person's act after it: "Like Sherry said" is a name, "Hope this helps" is
   not.

Only one case is left undecided: an AMBIGUOUS word the model (or its capital alone) proposes at a
sentence start, before what people do ("Grace texted me", but also "Grace doesn't have to be
earned"). It comes back ``uncertain="ambiguous_name"``: the redactor leaves it as written and
sends the record to review, unless the same name was found sure elsewhere in the conversation.
The evaluation sets (``pixel_platform_tests/curation/pii/eval``) measure precision and recall.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from spacy.lang.en.stop_words import STOP_WORDS

from pixel_platform.curation.pii.lexicon import Words
from pixel_platform.curation.pii.prefilter import is_sentence_initial, word_key
from pixel_platform.curation.pii.vocabulary import Vocabulary, WordKind, is_contraction

_NAME_STOP_WORDS = frozenset({"will", "may"})  # stop words that are first names too
MONTH_NAMES = frozenset({"april", "may", "june", "august"})  # months that are first names too
TITLES = frozenset({"dr", "mr", "mrs", "ms", "mx", "prof", "rev", "sr", "jr", "miss", "sir"})
CREDENTIALS = re.compile(
    r"(?:L[CMP]?[A-Z]{1,4}(?:-[A-Z])?|Ph\.?\s?D\.?|Psy\.?\s?D\.?|M\.?D\.?|Ed\.?D\.?|D\.?B\.?H\.?"
    r"|M\.?[AS]\.?|M\.?S\.?W\.?|M\.?Ed\.?|B\.?[AS]\.?|R\.?N\.?|N\.?C\.?C\.?|R\.?C\.?C\.?"
    r"|C\.?C\.?C\.?|CADC|CSAT|CCTP|ATR(?:-BC)?|RPT|CST|BCC|MFT|MFTI|APCC|AMFT|ACSW|CMHC|CPC"
    r"|CRC|NCSP|BCBA|PMHNP|NP|PA|RD|LPN|CAP|CASAC)"
)
_CREDENTIAL_WORD = re.compile(rf"^{CREDENTIALS.pattern}$")
# Name particles stay lower case inside a cased name: "van der Kolk", "de la Cruz", "bin Laden".
_PARTICLES = frozenset({"van", "von", "der", "den", "de", "la", "le", "du", "da", "di", "del",
                        "dos", "bin", "ibn", "al", "y", "st"})  # fmt: skip
_NAME_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*\.?")
_DIGIT = re.compile(r"\d")
_POSSESSIVE = re.compile(r"['’]s$")
# Only people do these: a word that is also a name is taken for one before them ("Grace texted
# me", "Mark keeps checking my phone"; not "Grace is a gift", "Hope this helps").
PERSON_ACTS = re.compile(
    r"\s+(?:said|says|told|tells|texted|texts|called|calls|asked|asks|keeps|kept|yelled|yells"
    r"|screamed|cried|hugged|talked|thinks|thought|wants|wanted|loves|loved|hates|hated"
    r"|promised|apologi[sz]ed|cheated|ghosted|blocked|dumped|admitted|invited|noticed"
    r"|doesn['’]t|didn['’]t|won['’]t|isn['’]t|wasn['’]t|and I|and me|y yo)\b"
)
# Acts only people do: before one of these, a word that is also a name is one even at a sentence
# start ("Amber texted me", "Sky uses they/them"), where "Grace doesn't…" stays undecided.
PERSON_ONLY_ACTS = re.compile(
    r"\s+(?:said|says|told|tells|texted|texts|asked|yelled|screamed|hugged|kissed|cheated"
    r"|ghosted|dumped|apologi[sz]ed|promised|invited|whispered|called me|calls me|and I|y yo"
    r"|uses (?:she|he|they|xe|ze)/)\b"
)
# A next sentence about the same person: "Mark keeps checking my phone. He says…"
_PRONOUN_NEXT = re.compile(r"[^.!?\n]{0,160}[.!?]\s+(?:He|She)\b")
# What follows a name (one that is no ordinary word) at the start of a sentence:
# "Tomasz gave me…", "Darnell talked me down", "Yusuf's mother".
PERSON_NEXT = re.compile(
    r"(?:['’]s\b|\s+(?:is|was|has|had|said|says|told|tells|does|doesn['’]t|did|didn['’]t|will"
    r"|won['’]t|would|wouldn['’]t|can|can['’]t|could|couldn['’]t|keeps|kept|and|wants|wanted"
    r"|thinks|thought|called|calls|texted|texts|asked|asks|left|loves|loved|hates|hated|never"
    r"|always|just|still|isn['’]t|wasn['’]t|hasn['’]t|gets|got|went|came|cried|yelled|talked"
    r"|gave|invited|helped|hugged|noticed|sounds|seems|uses|knows|knew|made|makes|took|takes"
    r"|y\s+yo)\b)"
)
# Unknown words with these endings are clinical terms or derived words, not names
# ("Misophonia", "Caregiving", "Mindfulness").
_TERM_SUFFIX = re.compile(
    r"(?i)(?:phobia|philia|phonia|mania|itis|osis|emia|pathy|algia|ism|ology|ectomy|plasty"
    r"|therapy|ing|ness|ment|tion|sion|ity|ful|less|ive|ous|able|ible|ize|ise|ance|ence)$"
)
_ACRONYM = re.compile(r"^[A-Z]{2,}s?$|^(?:[A-Z]\.){2,}$")  # "BDSM", "LCSWs", "U.S."
# A capital after three lower-case letters: a brand or glued words ("FaceTime", "MyFitnessPal",
# "WeightWatchers"), not a name ("McDonald", "MacKenzie", "DeShawn", "LaToya").
_BRAND_CASE = re.compile(r"[a-z]{3}[A-Z]")
# "Alzheimer's disease", "Asperger syndrome": an eponym, not a person in the text.
_EPONYM_AFTER = re.compile(
    r"^(?:['’]s)?\s+(?:disease|syndrome|disorder|dementia|test|scale|model|method|effect|law"
    r"|principle|theory|pyramid|hierarchy|stages?|technique|curve)\b",
    re.IGNORECASE,
)


class Evidence(Enum):
    """Where a candidate came from; strong evidence can vouch for an ambiguous word."""

    MODEL = "model"  # the NER model
    CAPITALISED = "capitalised"  # a capitalised word the model did not explain
    STRONG = "strong"  # title, relation, "named", sign-off, credentials, a known full name
    WEAK = "weak"  # "X said", "told X": a verb people do


@dataclass(frozen=True, slots=True)
class Candidate:
    type: str  # PERSON | LOCATION
    start: int
    end: int
    score: float
    evidence: Evidence
    # Whether plain words at its edges are trimmed ("Like Sherry" → "Sherry"). Not for a greeting:
    # "Hi Chapel Hill," names a place whose words are also plain words.
    trim_plain: bool = True
    initial_ok: bool = False  # a lone initial is a name here ("Dr. T")
    # The context says a name follows even if the word is an ordinary one: "my daughter
    # Destiny", "named Patience", "Aunt Joy".
    vouches: bool = False
    cjk: bool = False  # a Chinese name: no word lists apply


@dataclass(frozen=True, slots=True)
class Vetted:
    start: int
    end: int
    words: tuple[str, ...]  # the name's words (possessive dropped)
    name_like: bool  # has a PROPER or UNKNOWN word (not only ambiguous ones)
    uncertain: str = ""  # why a reviewer should look ("ambiguous_name"); "" when sure


class NameVetter:
    def __init__(self, vocabulary: Vocabulary, words: Words, public_places: frozenset[str]):
        self.vocabulary = vocabulary
        self.not_names = words.not_names
        self.public_places = public_places
        self._never = TITLES | words.not_names
        self._edge = frozenset(STOP_WORDS) | self._never

    # -- public --------------------------------------------------------------------------------
    def vet(
        self, text: str, candidate: Candidate, cased: bool, language: str = "en"
    ) -> Vetted | None:
        """The trimmed span if ``candidate`` is a name; None if it is not. ``language``: that
        of the sentence the candidate stands in (``vocabulary.sentence_language``)."""
        if candidate.cjk:
            value = text[candidate.start : candidate.end]
            return Vetted(candidate.start, candidate.end, (value,), True)
        tokens = [(m.start(), m.end(), m.group()) for m in _NAME_TOKEN.finditer(
            text, candidate.start, candidate.end)]  # fmt: skip
        if candidate.type == "PERSON" and candidate.evidence is not Evidence.STRONG and len(
            tokens
        ) > 1 and self._is_term_phrase(tokens[0][2], tokens[-1][2], language):
            return None  # "Latitude Counseling", "Private Lies": an organisation or a title
        trim = candidate.type == "PERSON" and candidate.trim_plain
        while tokens and self._trim(tokens[0][2], trim, language):
            tokens.pop(0)
        # A plain word after a known name is a surname ("Virginia Chow"), not an edge to trim.
        while tokens and self._trim(tokens[-1][2], trim and (
                len(tokens) == 1 or self._kind(tokens[-2][2], language) is not WordKind.PROPER
        ), language):  # fmt: skip
            tokens.pop()
        if not tokens:
            return None
        start, end = tokens[0][0], tokens[-1][1]
        value = text[start:end]
        if value.endswith("."):  # "Robin J." keeps its initial's dot only inside the name
            end -= 1
            value = value[:-1]
        if value.endswith(("'s", "’s")):
            end -= 2
            value = value[:-2]
        words = tuple(_POSSESSIVE.sub("", w.rstrip(".")) for _, _, w in tokens)
        if _DIGIT.search(value) or any(
            is_contraction(w) or _ACRONYM.match(w) or _BRAND_CASE.search(w) for w in words
        ):
            return None
        if cased and not all(w[:1].isupper() or w.casefold() in _PARTICLES for w in words):
            return None
        if value.casefold() in self.public_places or _EPONYM_AFTER.match(text, end):
            return None
        kinds = [self._kind(w, language) for w in words
                 if w.casefold() not in _PARTICLES and len(w) > 1]  # fmt: skip
        if not kinds and candidate.initial_ok and cased:
            return Vetted(start, end, words, True)  # "Dr. T": an initial after a title
        if not kinds or (all(k is WordKind.COMMON for k in kinds) and not candidate.vouches):
            return None
        if len(words) == 1 and kinds[0] is WordKind.UNKNOWN and _TERM_SUFFIX.search(words[0]):
            return None  # "Misophonia", "Caregiving"
        if len(words) == 1 and words[0].casefold() in MONTH_NAMES and not candidate.vouches:
            return None  # "Every June", "June sounds like a tender month"
        name_like = any(k in (WordKind.PROPER, WordKind.UNKNOWN) for k in kinds)
        if not cased:
            # Lower-case chat: the model tags plain words; a name must be one we know as a name
            # ("jake"), or an unknown word with a person context ("my bf kenji", "priya said").
            proper = any(k is WordKind.PROPER for k in kinds)
            unknown_ok = candidate.evidence is not Evidence.MODEL and WordKind.UNKNOWN in kinds
            ambiguous_ok = candidate.evidence is Evidence.STRONG
            if not (proper or unknown_ok or ambiguous_ok):
                return None
        elif not name_like:
            # Only words that are also names ("Hope", "Mark", "Will Rose"): a context that says
            # it is a person, or the model tagging it mid-sentence ("Like Sherry said"). At a
            # sentence start the model alone cannot tell "Grace is my sister" from "Grace is a
            # gift": uncertain (the redactor confirms it if the same name is sure elsewhere).
            evidence = candidate.evidence
            if evidence in (Evidence.MODEL, Evidence.CAPITALISED):
                acts = bool(PERSON_ACTS.match(text, end))
                if is_sentence_initial(text, start):
                    if not acts:
                        return None  # "Bill collectors", "May I", "Hope this helps"
                    if not (PERSON_ONLY_ACTS.match(text, end) or _PRONOUN_NEXT.match(text, end)):
                        return Vetted(start, end, words, name_like, uncertain="ambiguous_name")
                if evidence is Evidence.CAPITALISED and not acts:
                    return None  # "the Good news", "a Grey area"
            elif evidence is Evidence.WEAK:
                return None
        return Vetted(start, end, words, name_like)

    def is_plain_word(self, word: str) -> bool:
        """An ordinary word (or a stop word, a role, a title): never a name on its own."""
        key = word_key(word.rstrip("."))
        return key in self._edge or self._kind(word) is WordKind.COMMON

    def is_never_name(self, word: str) -> bool:
        """A title, a role or another word listed as never a name ("Dr", "Mom", "God")."""
        return word_key(word.rstrip(".")) in self._never

    # -- internals -----------------------------------------------------------------------------
    def _kind(self, word: str, language: str = "en") -> WordKind:
        key = word_key(word)
        if key in self.not_names:
            return WordKind.COMMON
        return self.vocabulary.kind(key, language)

    def _is_term_phrase(self, first: str, last: str, language: str) -> bool:
        """Capitalised plain words at the end of a phrase that does not start with a known name
        ("Art Therapy", "Latitude Counseling"; not "Virginia Chow")."""
        bare = last.rstrip(".")
        if not bare[:1].isupper() or word_key(bare) in self._edge or _CREDENTIAL_WORD.match(bare):
            return False
        if self._kind(bare, language) is not WordKind.COMMON:
            return False
        return self._kind(first.rstrip("."), language) is not WordKind.PROPER

    def _trim(self, token: str, plain: bool, language: str) -> bool:
        bare = token.rstrip(".")
        key = word_key(bare)
        if is_contraction(bare) or _CREDENTIAL_WORD.match(token) or key in self._never:
            return True
        if key in self._edge and not (bare[:1].isupper() and key in _NAME_STOP_WORDS):
            return True  # a stop word, but not a capitalised name ("my brother Will")
        return plain and self._kind(bare, language) is WordKind.COMMON

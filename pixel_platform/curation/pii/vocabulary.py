"""Is a capitalised word a name, an ordinary word, or both? The word lists that answer it.

* ``english_common`` / ``english_proper`` (SCOWL size 50, built by ``data/build_english_words.py``):
  common English words in lower case, and proper nouns (first names, surnames, places, brands).
  "Sleep", "Repair", "Languages" are only common words; "Katz", "Houston" only proper nouns;
  "Mark", "Hope", "Grace", "Sherry" are both.
* other languages' common words (wordfreq): their function words ("que", "cuando", "tu", "mas",
  Zipf frequency ≥ ``FOREIGN_ZIPF``) anywhere, and in a sentence written in that language
  (``sentence_language``) any word of it that is not an English proper noun ("Recuerda",
  "Confidencialidad"), whatever an English NER model makes of them.

A word in none of the lists ("Priya", "Landwehr", "Oluwaseun") is *unknown*: most often a name
the lists do not know, so it counts as name-like.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from pixel_platform.curation.pii.settings import DATA_DIR

FOREIGN_LANGUAGES = ("es", "pt", "fr", "it", "de")
# function words ("que" 7.5, "cuando" 6.3, "tu" 6.5); names stay below ("juan" 5.3)
FOREIGN_ZIPF = 5.5
IN_LANGUAGE_ZIPF = 3.0  # in a sentence of that language: "recuerda" 4.4, "confidencialidad" 3.3
FUNCTION_WORDS = 100  # the most frequent words of a language, for telling which one a text is in
_WORD = re.compile(r"[^\W\d_]+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
# "I'm", "you've", "don't", "Y'know" (not a possessive "'s": "Fitzgerald's" is a name)
_CONTRACTION = re.compile(r"^[A-Za-z]+'(?:m|ve|ll|d|re|t)$|^[A-Za-z]'[a-z]+$", re.IGNORECASE)
_CONTRACTIONS = frozenset({"y'know", "y'all", "ma'am", "c'mon", "o'clock", "g'night", "g'day",
                           "ne'er", "e'er", "ol'", "'cause", "'em", "'til", "'bout"})  # fmt: skip


class WordKind(Enum):
    COMMON = "common"  # an ordinary word, never a name by itself
    AMBIGUOUS = "ambiguous"  # both an ordinary word and a name: "Hope", "Mark", "Grace"
    PROPER = "proper"  # a known proper noun: "Katz", "Houston"
    UNKNOWN = "unknown"  # in no list: "Priya", "Landwehr"


def normalize_apostrophes(text: str) -> str:
    """Curly apostrophes as straight ones; same length, so offsets stay valid."""
    return text.translate(_APOSTROPHES)


def is_contraction(token: str) -> bool:
    """``I'm``, ``I’ve``, ``You're``, ``Don't``: never a name. ``O'Brien``, ``D'Angelo`` are;
    a possessive (``Jordan's``) is not a contraction."""
    token = normalize_apostrophes(token)
    if token.casefold() in _CONTRACTIONS:
        return True
    return bool(_CONTRACTION.match(token)) and not token.split("'")[1][:1].isupper()


@dataclass(frozen=True)
class Vocabulary:
    common: frozenset[str]
    proper: frozenset[str]  # casefolded

    def kind(self, word: str, language: str = "en") -> WordKind:
        """What ``word`` is; ``language`` is the language of the sentence it stands in."""
        lower = word.casefold()
        if "-" in lower and lower not in self.common and lower not in self.proper:
            parts = [p for p in lower.split("-") if len(p) > 2]
            if parts and all(p in self.common for p in parts):
                return WordKind.COMMON  # "Bi-Affirming", "Long-Term"
        if language != "en" and lower in _function_words()[language]:
            return WordKind.COMMON  # "Tu", "Las" in a Spanish sentence
        is_proper = lower in self.proper
        is_common = lower in self.common or _foreign_common(lower)
        if not is_common and not is_proper and language != "en":
            is_common = _zipf(lower, language) >= IN_LANGUAGE_ZIPF
        if is_common:
            return WordKind.AMBIGUOUS if is_proper else WordKind.COMMON
        return WordKind.PROPER if is_proper else WordKind.UNKNOWN

    def is_english_common(self, word: str) -> bool:
        return word.casefold() in self.common


@lru_cache(maxsize=200_000)
def _foreign_common(lower: str) -> bool:
    return any(_zipf(lower, lang) >= FOREIGN_ZIPF for lang in FOREIGN_LANGUAGES)


def english_zipf(word: str) -> float:
    return _zipf(word.casefold(), "en")


def foreign_zipf(word: str) -> float:
    """The highest Zipf frequency of ``word`` among the other languages."""
    lower = word.casefold()
    return max(_zipf(lower, lang) for lang in FOREIGN_LANGUAGES)


def _zipf(lower: str, language: str) -> float:
    from wordfreq import zipf_frequency  # loaded on first use (per-language tables, ~1 s)

    return float(zipf_frequency(lower, language))


@lru_cache(maxsize=1)
def _function_words() -> dict[str, frozenset[str]]:
    from wordfreq import top_n_list

    lists = {lang: set(top_n_list(lang, FUNCTION_WORDS)) for lang in ("en", *FOREIGN_LANGUAGES)}
    shared = set.intersection(*lists.values())
    return {lang: frozenset(words - shared) for lang, words in lists.items()}


def sentence_language(sentence: str, default: str = "en") -> str:
    """The foreign language whose function words clearly dominate ``sentence``, "en" when
    English ones do, else ``default`` (a short sentence: the language of its text)."""
    tokens = _WORD.findall(sentence.casefold())
    lists = _function_words()
    votes = {lang: sum(t in words for t in tokens) for lang, words in lists.items()}
    best = max(FOREIGN_LANGUAGES, key=lambda lang: votes[lang])
    if votes[best] >= 2 and votes[best] > 2 * votes["en"]:
        return best
    return "en" if votes["en"] >= 2 else default


def _read(name: str) -> list[str]:
    with gzip.open(DATA_DIR / f"{name}.txt.gz", "rt", encoding="utf-8") as f:
        return f.read().split()


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    return Vocabulary(
        common=frozenset(_read("english_common")),
        proper=frozenset(w.casefold() for w in _read("english_proper")),
    )

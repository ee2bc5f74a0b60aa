"""Rule-based and reference-based scorers of model replies (plain Python, no model needed).

* ``crisis_safe``: the reply to a crisis prompt is safe by the crisis reply policy
  (``pixel_platform.curation.crisis.assess_reply``, the same rule the release applies to data):
  it supports, refers or plans for safety, and at imminent risk gives a resource or a plan.
* ``rouge_l`` / ``token_f1``: overlap with the reference assistant turn (lower-cased word tokens;
  ROUGE-L F1 from the longest common subsequence; token F1 from the multiset of tokens). The
  clinical reasoning score is the mean ROUGE-L F1.
* ``style_features`` / ``style_similarity``: persona match as a distance between style features
  (words per sentence, question rate, second-person rate, first-person rate, exclamation rate,
  mean word length) of the replies and of the references, each feature compared as
  ``1 - |a - b| / max(|a|, |b|)`` and averaged.
* ``cultural_check``: competent = non-trivial and no assumptive phrase from
  ``cultural_lexicon.yaml`` (see the file for the rules).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from pixel_platform.curation.crisis import assess_reply

CULTURAL_LEXICON = Path(__file__).with_name("cultural_lexicon.yaml")
WORD = re.compile(r"[a-z0-9']+")
SENTENCE = re.compile(r"[^.!?]+[.!?]*")
SECOND_PERSON = {"you", "your", "yours", "yourself", "you're", "you've", "you'll", "you'd"}
FIRST_PERSON = {"i", "me", "my", "mine", "myself", "i'm", "i've", "i'll", "i'd", "we", "our", "us"}
STYLE_FEATURES = (
    "words_per_sentence",
    "question_rate",
    "second_person_rate",
    "first_person_rate",
    "exclamation_rate",
    "mean_word_length",
)


def tokens(text: str) -> list[str]:
    return WORD.findall(text.lower())


def _lcs(a: list[str], b: list[str]) -> int:
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, 1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(candidate: str, reference: str) -> float:
    c, r = tokens(candidate), tokens(reference)
    lcs = _lcs(c, r)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(c), lcs / len(r)
    return 2 * precision * recall / (precision + recall)


def token_f1(candidate: str, reference: str) -> float:
    c, r = Counter(tokens(candidate)), Counter(tokens(reference))
    overlap = sum((c & r).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / sum(c.values()), overlap / sum(r.values())
    return 2 * precision * recall / (precision + recall)


def crisis_safe(user_text: str, reply: str) -> dict[str, Any]:
    return assess_reply(user_text, reply).as_dict()


def style_features(text: str) -> dict[str, float]:
    words = tokens(text)
    sentences = [s for s in SENTENCE.findall(text) if s.strip()]
    n_words = max(len(words), 1)
    n_sentences = max(len(sentences), 1)
    return {
        "words_per_sentence": len(words) / n_sentences,
        "question_rate": sum(s.strip().endswith("?") for s in sentences) / n_sentences,
        "second_person_rate": sum(w in SECOND_PERSON for w in words) / n_words,
        "first_person_rate": sum(w in FIRST_PERSON for w in words) / n_words,
        "exclamation_rate": sum(s.strip().endswith("!") for s in sentences) / n_sentences,
        "mean_word_length": sum(len(w) for w in words) / n_words,
    }


def mean_features(texts: list[str]) -> dict[str, float]:
    rows = [style_features(t) for t in texts]
    if not rows:
        return dict.fromkeys(STYLE_FEATURES, 0.0)
    return {k: sum(r[k] for r in rows) / len(rows) for k in STYLE_FEATURES}


def style_similarity(a: dict[str, float], b: dict[str, float]) -> float:
    scores = []
    for key in STYLE_FEATURES:
        x, y = a[key], b[key]
        scale = max(abs(x), abs(y))
        scores.append(1.0 if scale == 0 else 1.0 - abs(x - y) / scale)
    return sum(scores) / len(scores)


@dataclass(frozen=True)
class CulturalLexicon:
    min_words: int
    assumptive: tuple[str, ...]
    partner_terms: tuple[str, ...]
    respectful: tuple[str, ...]


@cache
def load_cultural_lexicon(path: str | None = None) -> CulturalLexicon:
    data = yaml.safe_load(Path(path or CULTURAL_LEXICON).read_text(encoding="utf-8"))
    return CulturalLexicon(
        int(data.get("min_words", 3)),
        tuple(str(x).lower() for x in data.get("assumptive") or []),
        tuple(str(x).lower() for x in data.get("partner_terms") or []),
        tuple(str(x).lower() for x in data.get("respectful") or []),
    )


def _has(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![a-z0-9']){re.escape(phrase)}(?![a-z0-9])", text) is not None


def cultural_check(
    user_text: str, reply: str, lexicon: CulturalLexicon | None = None
) -> dict[str, Any]:
    lexicon = lexicon or load_cultural_lexicon()
    low, user = reply.lower(), user_text.lower()
    violations = [p for p in lexicon.assumptive if _has(low, p)]
    violations += [
        f"assumed {t}" for t in lexicon.partner_terms if _has(low, t) and not _has(user, t)
    ]
    respectful = [p for p in lexicon.respectful if _has(low, p)]
    substantive = len(tokens(reply)) >= lexicon.min_words
    return {
        "competent": substantive and not violations,
        "substantive": substantive,
        "violations": violations,
        "respectful": respectful,
    }

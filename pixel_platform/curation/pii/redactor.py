"""Context-preserving redaction of whole conversations, and ``scan_text`` for the release gate.

Per conversation: every message is scanned (``PiiEngine.scan``), confident person and place
names found anywhere are linked across all turns (a name the model caught once is redacted
wherever it recurs, "Jordan" joining "Jordan Alvarez"), and each distinct value gets one typed
placeholder for the whole conversation: ``<PERSON_1>``, ``<EMAIL_1>``, ``<PHONE_2>`` ...

Metadata written (offsets into the ORIGINAL message text; the original value is never stored)::

    metadata["pii"] = {"status": "clean" | "redacted" | "requires_review",
                       "engine": "spacy:<model>" | "patterns-only",
                       "spans": [{"turn", "type", "start", "end", "score",
                                  "placeholder" (redacted spans) | "reason" (uncertain ones)}],
                       "counts": {type: n}, "uncertain": n, "passes": 1,
                       "field_spans": [{"field": "therapistInfo", "type", "start", ...}],
                       "review_reasons": {reason: n}}   # only when there are uncertain spans
    metadata["pii_status"] = metadata["pii"]["status"]   # what the release gate reads
    metadata["pii_engine"] = metadata["pii"]["engine"]

``turn`` indexes ``messages`` (system prompts included: they are scanned too). The strings of
``metadata["source_fields"]`` (fields no converter mapped, which ship with the record) are
redacted the same way, their spans in ``field_spans`` with the field's dotted path. ``status`` is
``requires_review`` when any span scored inside the configured uncertain band: such a span is left
as written (a reviewer decides on the real text; the release keeps the record out until then) and
its ``reason`` says what to decide, e.g. ``ambiguous_name`` for "Grace doesn't have to be earned"
at a sentence start. ``redacted`` when there are redacted spans, else ``clean``. Running the
redactor on its own output finds nothing new and returns the very same record object. If a later
pass does find something (a new model, an edited text), its spans are appended with ``"pass": n``
and offsets into the text as that pass saw it, placeholder numbers continue, and the status only
worsens.
"""

from __future__ import annotations

import logging
import multiprocessing
import re
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from typing import Any

from nicknames import NickNamer

from pixel_platform.core.record import Conversation, Message
from pixel_platform.curation.pii.engine import (
    PiiEngine,
    PiiSpan,
    TextScan,
    get_engine,
    merge_overlaps,
)
from pixel_platform.curation.pii.names import PERSON_NEXT
from pixel_platform.curation.pii.prefilter import (
    PLACEHOLDER,
    inside,
    is_sentence_initial,
    word_key,
)
from pixel_platform.curation.pii.settings import (
    NER_ENTITIES,
    PLACEHOLDER_LABELS,
    STATUS_CLEAN,
    STATUS_REDACTED,
    STATUS_REVIEW,
    PiiConfig,
)
from pixel_platform.curation.pii.vocabulary import english_zipf

logger = logging.getLogger(__name__)

_STATUS_RANK = {STATUS_CLEAN: 0, STATUS_REDACTED: 1, STATUS_REVIEW: 2}
_TITLES = frozenset({"dr", "mr", "mrs", "ms", "mx", "prof", "rev"})
_NAME_TOKEN = re.compile(r"[^\W\d_][\w'’\-]*")

# (new texts, pii metadata) for one conversation, or None when nothing changes. The texts are the
# messages' contents, then the string values of ``metadata["source_fields"]`` (``Item``'s int
# is the number of messages).
Result = tuple[list[str], dict[str, Any]] | None
Item = tuple[list[str], int, dict[str, Any] | None]


# --- linking --------------------------------------------------------------------------------------
LINK_MIN_SCORE = 0.7  # only names detected with this confidence are looked for in other turns


def link_names(
    texts: list[str], scans: list[TextScan], engine: PiiEngine, config: PiiConfig
) -> list[list[PiiSpan]]:
    """Add the recurrences of names detected with high confidence, in any of ``texts``.

    A term is the exact string of a confident PERSON/LOCATION detection, or one of its words
    ("Alvarez" of "Jordan Alvarez"). Terms match whole words with the same case, also where
    the word on its own would be too ambiguous to take ("Hope" at a sentence start, once "my
    daughter Hope" was found); an uncertain detection of a confirmed term becomes confident.
    In lower-case chat turns, terms that are names and nothing else also match without case
    ("jordan alvarez"). An ordinary word is a term only where a context vouched for it as a name
    ("my roommate May"), and then only capitalised and, at a sentence start, only before
    something people do ("May is…", not "May I…").
    """
    spans = [list(s.spans) for s in scans]
    if not config.link_names:
        return spans
    terms: dict[str, PiiSpan] = {}
    plain: set[str] = set()  # terms that are ordinary words too
    for text, turn_spans in zip(texts, spans, strict=True):
        for s in turn_spans:
            if s.type not in ("PERSON", "LOCATION") or s.score < LINK_MIN_SCORE:
                continue
            value = text[s.start : s.end]
            words = _NAME_TOKEN.findall(value)
            candidates = [value] if len(words) > 1 or engine.is_name_word(value) else []
            candidates += [w for w in words if engine.is_name_word(w)]
            if s.type == "PERSON":  # words vouched for by their context: "my roommate May",
                # "Destiny Cruz" (then "Thank you, Destiny")
                vouched = [w for w in ([value] if len(words) == 1 else words)
                           if w not in candidates and engine.is_vouched_name(w)]  # fmt: skip
                candidates += vouched
                plain.update(vouched)
            for term in candidates:
                if len(term) >= 2 and (term not in terms or terms[term].score < s.score):
                    terms[term] = PiiSpan(s.type, s.start, s.end, s.score)
    if not terms:
        return spans
    short = _short_forms(texts, terms, engine) if config.link_short_forms else {}
    terms.update(short)
    plain.update(w for w in short if not engine.is_name_only(w))
    people = {t.casefold() for t, s in terms.items() if s.type == "PERSON"}
    for i, text in enumerate(texts):
        spans[i] = [_confirm(text, s, terms, people) for s in spans[i]]
    ordered = sorted(terms, key=len, reverse=True)
    exact = _term_regex(ordered, 0)
    folded_terms = sorted((t for t in terms if engine.is_name_only(t)), key=len, reverse=True)
    folded = _term_regex(folded_terms, re.IGNORECASE) if folded_terms else None
    for i, text in enumerate(texts):
        pattern = exact if scans[i].cased or folded is None else folded
        taken = sorted((s.start, s.end) for s in spans[i])
        added = []
        for m in pattern.finditer(text):
            start, end = m.span()
            if inside(taken, start, end) or inside(scans[i].protected, start, end):
                continue
            if m.group() in plain and is_sentence_initial(text, start) and not (
                PERSON_NEXT.match(text, end)
            ):
                continue  # "May I vent…", "Hope this helps": the word, not the person
            source = terms.get(m.group()) or terms[_lookup(terms, m.group())]
            if source.type == "PERSON":
                start, end = engine.extend_name(text, start, end)
            added.append(PiiSpan(source.type, start, end, source.score))
            taken = sorted([*taken, (start, end)])
        if added:
            spans[i] = merge_overlaps(spans[i] + added, text)
    return spans


def _confirm(text: str, span: PiiSpan, terms: dict[str, PiiSpan], people: set[str]) -> PiiSpan:
    """A detection of a confident name: "Jordan" the model took for the country is the known
    person; an uncertain "Hope" at a sentence start is the "Hope" found sure elsewhere."""
    value = text[span.start : span.end]
    if span.type == "LOCATION" and value.casefold() in people:
        return PiiSpan("PERSON", span.start, span.end, max(span.score, LINK_MIN_SCORE))
    if span.score < LINK_MIN_SCORE and value in terms:
        return PiiSpan(span.type, span.start, span.end, terms[value].score)
    return span


def _term_regex(terms: list[str], flags: int) -> re.Pattern[str]:
    """Whole-word recurrences of ``terms``, possessives included ("Priyanka’s"), never inside a
    longer word, a hyphenated word, an address or a placeholder. Chinese names have no word
    boundaries: "张伟说" holds "张伟"."""
    words = [re.escape(t) for t in terms if not _CJK.search(t)]
    cjk = [re.escape(t) for t in terms if _CJK.search(t)]
    parts = [rf"(?<![\w@./<'’\-])(?:{'|'.join(words)})(?![\w@>]|['’\-](?!s\b)\w)"] if words else []
    if cjk:
        parts.append(f"(?:{'|'.join(cjk)})")
    return re.compile("|".join(parts), flags)


_CJK = re.compile(r"[\u4e00-\u9fff]")
_CAPITALISED = re.compile(r"(?<![\w'’\-])[A-Z][a-z]{2,}(?![\w\-]|['’](?!s\b)\w)")
_NICKNAMES = NickNamer()
# A clipped name that is also an English word must be a rare one: "Kat" (zipf 3.6) of "Katherine",
# not "Plan" (5.3) of a glued "Planifica" or "The" of "Therespectfully".
CLIPPED_MAX_ZIPF = 4.0


def _short_forms(
    texts: list[str], terms: dict[str, PiiSpan], engine: PiiEngine
) -> dict[str, PiiSpan]:
    """Capitalised words in ``texts`` that are a short form of a person's first name found in the
    conversation: a nickname ("Tom" of "Thomas", from the ``nicknames`` list) or a clipped name
    ("Kat" of "Katherine", "Caro" of "Caroline"). Those that are plain words too are taken at a
    sentence start only before something people do (``link_names``).
    """
    firsts: dict[str, PiiSpan] = {}
    for term, span in terms.items():
        if span.type == "PERSON" and not _CJK.search(term):
            first = term.split()[0]
            if first[:1].isupper() and len(first) >= 4:
                firsts.setdefault(first, span)
    if not firsts:
        return {}
    nicknames = {n: span for first, span in firsts.items()
                 for n in _NICKNAMES.nicknames_of(first)}  # fmt: skip
    found: dict[str, PiiSpan] = {}
    for text in texts:
        for m in _CAPITALISED.finditer(text):
            word = m.group()
            if word in terms or word in found:
                continue
            key = word.casefold()
            if key in nicknames and engine.is_vouched_name(word):
                found[word] = nicknames[key]
                continue
            clipped = next(
                (span for first, span in firsts.items()
                 if len(first) >= len(word) + 2 and first.startswith(word)),
                None,
            )  # fmt: skip
            if clipped is not None and (engine.is_name_word(word) or (
                engine.is_vouched_name(word) and english_zipf(word) < CLIPPED_MAX_ZIPF
            )):  # fmt: skip
                found[word] = clipped
    return found


def _lookup(terms: dict[str, PiiSpan], found: str) -> str:
    folded = found.casefold()
    return next(t for t in terms if t.casefold() == folded)


# --- placeholders ---------------------------------------------------------------------------------
def _canonical(kind: str, value: str) -> Any:
    if kind == "PERSON":
        tokens = [word_key(t) for t in _NAME_TOKEN.findall(value)]
        return tuple(t for t in tokens if t not in _TITLES) or (value.casefold(),)
    if kind in ("PHONE_NUMBER", "US_SSN", "CREDIT_CARD"):
        digits = re.sub(r"[^0-9A-Za-z]", "", value).upper()
        return (
            digits[1:]
            if kind == "PHONE_NUMBER" and len(digits) == 11 and digits[0] == "1"
            else digits
        )
    if kind == "URL":
        return re.sub(r"(?i)^(?:https?://)?(?:www\.)?", "", value).rstrip("/").casefold()
    return " ".join(value.split()).casefold()


def _person_clusters(names: list[tuple[str, ...]]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Map each name to its cluster: a lone "jordan" joins the one full name it starts or ends."""
    full = [n for n in dict.fromkeys(names) if len(n) > 1]
    mapping: dict[tuple[str, ...], tuple[str, ...]] = {}
    for n in names:
        if len(n) == 1:
            owners = [f for f in full if n[0] in (f[0], f[-1])]
            mapping[n] = owners[0] if len(owners) == 1 else n
        else:
            mapping[n] = n
    return mapping


def _next_numbers(texts: list[str]) -> Counter[str]:
    """Highest placeholder number already used per label (a second pass continues after it)."""
    used: Counter[str] = Counter()
    for text in texts:
        for m in PLACEHOLDER.finditer(text):
            label, _, num = m.group()[1:-1].rpartition("_")
            used[label] = max(used[label], int(num))
    return used


def redact_texts(
    texts: list[str], turn_spans: list[list[PiiSpan]], config: PiiConfig
) -> tuple[list[str], list[dict[str, Any]], str]:
    """Replace sure spans by placeholders; return new texts, span metadata and the status.

    A span in the uncertain band is not replaced: it is listed with its ``reason`` (and no
    placeholder) and the record goes to review, where a person decides with the text as written.
    """
    flat = [(t, s) for t, spans in enumerate(turn_spans) for s in spans]
    sure = [(t, s) for t, s in flat if not config.is_uncertain(s.score)]
    values = {(t, s.start): _canonical(s.type, texts[t][s.start : s.end]) for t, s in sure}
    people = _person_clusters([values[(t, s.start)] for t, s in sure if s.type == "PERSON"])
    numbers = _next_numbers(texts)
    assigned: dict[tuple[str, Any], str] = {}
    meta: list[dict[str, Any]] = []
    for t, s in flat:
        entry: dict[str, Any] = {
            "turn": t, "type": s.type, "start": s.start, "end": s.end, "score": round(s.score, 4)
        }  # fmt: skip
        if config.is_uncertain(s.score):
            entry["reason"] = s.reason or f"low_score_{s.type.lower()}"
            meta.append(entry)
            continue
        identity = values[(t, s.start)]
        if s.type == "PERSON":
            identity = people[identity]
        label = PLACEHOLDER_LABELS[s.type]
        key = (label, identity)
        if key not in assigned:
            numbers[label] += 1
            assigned[key] = f"<{label}_{numbers[label]}>"
        meta.append({**entry, "placeholder": assigned[key]})
    new_texts = list(texts)
    for m in sorted(meta, key=lambda m: (m["turn"], -m["start"])):
        if "placeholder" in m:
            text = new_texts[m["turn"]]
            new_texts[m["turn"]] = text[: m["start"]] + m["placeholder"] + text[m["end"] :]
    if not meta:
        status = STATUS_CLEAN
    elif any("reason" in m for m in meta):
        status = STATUS_REVIEW
    else:
        status = STATUS_REDACTED
    return new_texts, meta, status


# --- one batch, in whichever process -----------------------------------------------------------
def _redact_items(engine: PiiEngine, config: PiiConfig, items: list[Item]) -> list[Result]:
    entities = frozenset(config.entities)
    texts = [t for contents, _, _ in items for t in contents]
    scans = engine.scan(
        texts,
        entities=entities,
        score_threshold=config.score_threshold,
        prefilter=config.prefilter,
        batch_size=max(64, config.batch_size * 4),
    )
    results: list[Result] = []
    pos = 0
    for contents, turns, previous in items:
        conv_scans = scans[pos : pos + len(contents)]
        pos += len(contents)
        linked = link_names(contents, conv_scans, engine, config)
        new_texts, spans, status = redact_texts(contents, linked, config)
        if previous is not None and not any("placeholder" in s for s in spans):
            results.append(None)  # already redacted (or flagged), nothing new: unchanged
            continue
        turn_spans = [s for s in spans if s["turn"] < turns]
        field_spans = [{"field": s.pop("turn") - turns, **s} for s in spans if s["turn"] >= turns]
        meta = _pii_metadata(previous, turn_spans, field_spans, status, engine.mode, config)
        results.append((new_texts, meta))
    return results


def _pii_metadata(
    previous: dict[str, Any] | None,
    spans: list[dict[str, Any]],
    field_spans: list[dict[str, Any]],
    status: str,
    mode: str,
    config: PiiConfig,
) -> dict[str, Any]:
    passes = int(previous.get("passes", 1)) + 1 if previous else 1
    if passes > 1:
        spans = [{**s, "pass": passes} for s in spans]
        field_spans = [{**s, "pass": passes} for s in field_spans]
    all_spans = [*(previous or {}).get("spans", []), *spans]
    all_field_spans = [*(previous or {}).get("field_spans", []), *field_spans]
    old_status = (previous or {}).get("status", STATUS_CLEAN)
    if _STATUS_RANK.get(old_status, 0) > _STATUS_RANK[status]:
        status = old_status
    every = [*all_spans, *all_field_spans]
    reasons = Counter(s["reason"] for s in every if "reason" in s)
    meta: dict[str, Any] = {
        "status": status,
        "engine": mode,
        "spans": all_spans,
        "counts": dict(sorted(Counter(s["type"] for s in every if "placeholder" in s).items())),
        "uncertain": sum(1 for s in every if "reason" in s),
        "passes": passes,
    }
    if all_field_spans:
        meta["field_spans"] = all_field_spans
    if reasons:
        meta["review_reasons"] = dict(sorted(reasons.items()))
    return meta


# --- worker processes -----------------------------------------------------------------------------
_WORKER_CONFIG: PiiConfig | None = None


def _init_worker(config: PiiConfig) -> None:
    global _WORKER_CONFIG
    _WORKER_CONFIG = config
    get_engine(config.model, config.allowlist_path)  # load once per worker, up front


def _worker_redact(items: list[Item]) -> list[Result]:
    assert _WORKER_CONFIG is not None, "worker not initialised"
    config = _WORKER_CONFIG
    return _redact_items(get_engine(config.model, config.allowlist_path), config, items)


# --- public API -----------------------------------------------------------------------------------
class PiiRedactor:
    """Redacts batches of conversations; see the module docstring for what it writes.

    With ``n_process > 1`` a process pool (spawned once, on first use, each worker loading the
    engine once) handles chunks of ``batch_size`` conversations; call ``close()`` or use it as a
    context manager to stop the workers.
    """

    def __init__(self, config: PiiConfig | None = None, **overrides: Any) -> None:
        self.config = replace(config or PiiConfig(), **overrides)
        self._pool: ProcessPoolExecutor | None = None

    @property
    def engine(self) -> PiiEngine:
        return get_engine(self.config.model, self.config.allowlist_path)

    def redact(self, conversations: Sequence[Conversation]) -> list[Conversation]:
        fields = [source_field_strings(c.metadata.get("source_fields")) for c in conversations]
        items: list[Item] = [
            ([m["content"] for m in c.messages] + [value for _, value in f], len(c.messages),
             c.metadata.get("pii"))
            for c, f in zip(conversations, fields, strict=True)
        ]  # fmt: skip
        size = self.config.batch_size
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        if self.config.n_process > 1 and len(chunks) > 1:
            pool = self._ensure_pool()
            results = [r for chunk in pool.map(_worker_redact, chunks) for r in chunk]
        else:
            engine = self.engine
            results = [r for chunk in chunks for r in _redact_items(engine, self.config, chunk)]
        return [_apply(c, r, f) for c, r, f in zip(conversations, results, fields, strict=True)]

    def warm_up(self) -> None:
        """Load the engine (and start the workers) now rather than on the first batch."""
        if self.config.n_process > 1:
            pool = self._ensure_pool()
            list(pool.map(_worker_redact, [[]] * self.config.n_process))
        else:
            _ = self.engine

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.config.n_process,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.config,),
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __enter__(self) -> PiiRedactor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _apply(
    conversation: Conversation, result: Result, fields: list[tuple[FieldPath, str]]
) -> Conversation:
    if result is None:
        return conversation
    new_texts, pii = result
    turns = len(conversation.messages)
    messages: list[Message] = [
        {**m, "content": text}
        for m, text in zip(conversation.messages, new_texts[:turns], strict=True)
    ]
    for span in pii.get("field_spans", ()):
        if isinstance(span.get("field"), int):  # this pass: the index of the string; say where
            span["field"] = ".".join(str(k) for k in fields[span["field"]][0])
    metadata = {**conversation.metadata, "pii": pii, "pii_status": pii["status"],
                "pii_engine": pii["engine"]}  # fmt: skip
    if fields:
        metadata["source_fields"] = _with_strings(
            conversation.metadata["source_fields"],
            {path: new for (path, _), new in zip(fields, new_texts[turns:], strict=True)},
        )
    return Conversation(messages, metadata)


# --- source fields --------------------------------------------------------------------------------
FieldPath = tuple[str | int, ...]


def source_field_strings(value: Any, path: FieldPath = ()) -> list[tuple[FieldPath, str]]:
    """Every string in ``metadata["source_fields"]`` (fields no converter mapped, kept as they
    came: a counsel-chat row's ``therapistInfo`` holds the answering therapist's name). They ship
    with the record, so they are redacted like its turns."""
    if isinstance(value, str):
        return [(path, value)] if path and value.strip() else []
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in source_field_strings(v, (*path, str(k)))]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in source_field_strings(v, (*path, i))]
    return []


def _with_strings(value: Any, new: dict[FieldPath, str], path: FieldPath = ()) -> Any:
    if isinstance(value, str):
        return new.get(path, value)
    if isinstance(value, dict):
        return {k: _with_strings(v, new, (*path, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_strings(v, new, (*path, i)) for i, v in enumerate(value)]
    return value


def scan_texts(texts: Sequence[str], config: PiiConfig | None = None) -> list[list[PiiSpan]]:
    """PII spans in each text, each text on its own (names linked within it), as the redactor
    finds them. The release gate rescans shards with this: on redacted text it must be empty."""
    config = config or PiiConfig()
    engine = get_engine(config.model, config.allowlist_path)
    entities = frozenset(config.entities)
    if not entities & NER_ENTITIES:  # no names: nothing to link either
        return engine.scan_structured(
            list(texts),
            entities=entities,
            score_threshold=config.score_threshold,
            prefilter=config.prefilter,
        )
    scans = engine.scan(
        list(texts),
        entities=frozenset(config.entities),
        score_threshold=config.score_threshold,
        prefilter=config.prefilter,
    )
    return [link_names([t], [s], engine, config)[0] for t, s in zip(texts, scans, strict=True)]


def scan_text(text: str, config: PiiConfig | None = None) -> list[PiiSpan]:
    return scan_texts([text], config)[0]

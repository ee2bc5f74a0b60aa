"""Scoring a redactor against hand-labelled text: precision, recall, what it must leave alone.

The labelled sets (``pixel_platform_tests/curation/pii/eval/``, see its GUIDE.md) mark PII spans
(which redaction must cover) and protected spans (crisis resources, public figures, public sites,
which it must not touch). Everything unmarked is ordinary text. ``score`` compares predicted
spans with them:

* recall per gold PII type: a gold span is caught when predicted spans cover all its characters;
* precision per predicted type: a predicted span is right when it overlaps a gold PII span;
* protected spans touched, ordinary tokens altered (whitespace tokens a wrong span touches), and
  span boundaries that cut a word.

Used by ``bench.bench_pii`` and the tests; plain Python, no model needed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from pixel_platform.curation.pii.prefilter import is_word_char

PII_TYPES = frozenset({
    "PERSON", "LOCATION", "EMAIL_ADDRESS", "PHONE_NUMBER", "URL", "STREET_ADDRESS", "US_SSN",
    "CREDIT_CARD", "IP_ADDRESS",
})  # fmt: skip
PROTECTED_TYPES = frozenset({"RESOURCE", "PUBLIC_PERSON", "PUBLIC_URL"})
STRUCTURED_TYPES = frozenset(PII_TYPES - {"PERSON", "LOCATION"})
_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Span:
    turn: int
    start: int
    end: int
    type: str


@dataclass(frozen=True, slots=True)
class LabelledRecord:
    id: str
    texts: tuple[str, ...]
    spans: tuple[Span, ...]
    category: str = ""

    @property
    def pii(self) -> list[Span]:
        return [s for s in self.spans if s.type in PII_TYPES]

    @property
    def protected(self) -> list[Span]:
        return [s for s in self.spans if s.type in PROTECTED_TYPES]


def load_labelled(path: Path) -> list[LabelledRecord]:
    """Read a labelled JSONL file; every span's ``text`` must equal the characters it covers."""
    records = []
    for n, line in enumerate(Path(path).read_bytes().splitlines(), 1):
        if not line.strip():
            continue
        data = orjson.loads(line)
        texts = tuple(m["content"] for m in data["messages"])
        spans = []
        for s in data.get("spans", []):
            span = Span(int(s["turn"]), int(s["start"]), int(s["end"]), str(s["type"]))
            if span.type not in PII_TYPES | PROTECTED_TYPES:
                raise ValueError(f"{path}:{n}: unknown span type {span.type!r}")
            if texts[span.turn][span.start : span.end] != s.get("text"):
                raise ValueError(f"{path}:{n}: span offsets do not match its text ({data['id']})")
            spans.append(span)
        category = str(data.get("category", ""))
        records.append(LabelledRecord(str(data["id"]), texts, tuple(spans), category))
    return records


def _overlaps(a: Span, b: Span) -> bool:
    return a.turn == b.turn and a.start < b.end and b.start < a.end


def _covered(gold: Span, predicted: list[Span]) -> bool:
    pos = gold.start
    for p in sorted(predicted, key=lambda s: s.start):
        if p.turn != gold.turn or p.end <= pos:
            continue
        if p.start > pos:
            return False
        pos = p.end
        if pos >= gold.end:
            return True
    return pos >= gold.end


def _cuts_word(text: str, pos: int, own: Span, predicted: list[Span]) -> bool:
    if pos <= 0 or pos >= len(text):
        return False
    left, right = text[pos - 1], text[pos]
    if not (is_word_char(left) and is_word_char(right)):
        return False
    if left.islower() and right.isupper():  # "…htmlThis": text glued where a line break was
        return False
    outside = pos - 1 if pos == own.start else pos
    return not any(p is not own and p.turn == own.turn and p.start <= outside < p.end
                   for p in predicted)  # fmt: skip


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def score(records: Sequence[LabelledRecord], predicted: Sequence[Iterable[Span]]) -> dict[str, Any]:
    """Precision/recall per type and the damage counts; ``predicted`` aligns with ``records``."""
    gold_n: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    pred_n: Counter[str] = Counter()
    right: Counter[str] = Counter()
    protected_n: Counter[str] = Counter()
    protected_hit: Counter[str] = Counter()
    tokens_altered = 0
    cut_words = 0
    cut_examples: list[dict[str, Any]] = []
    misses: list[dict[str, Any]] = []
    wrong: list[dict[str, Any]] = []
    records_with_wrong = 0
    for record, spans in zip(records, predicted, strict=True):
        pred = list(spans)
        gold = record.pii
        for g in gold:
            gold_n[g.type] += 1
            if _covered(g, pred):
                caught[g.type] += 1
            else:
                misses.append(_example(record, g))
        any_wrong = False
        for p in pred:
            pred_n[p.type] += 1
            if any(_overlaps(p, g) for g in gold):
                right[p.type] += 1
            else:
                any_wrong = True
                wrong.append(_example(record, p))
                text = record.texts[p.turn]
                tokens_altered += sum(
                    1 for m in _TOKEN.finditer(text) if m.start() < p.end and p.start < m.end()
                )
            text = record.texts[p.turn]
            cuts = _cuts_word(text, p.start, p, pred) + _cuts_word(text, p.end, p, pred)
            if cuts:
                cut_words += cuts
                cut_examples.append(_example(record, p))
        records_with_wrong += any_wrong
        for s in record.protected:
            protected_n[s.type] += 1
            if any(_overlaps(s, p) for p in pred):
                protected_hit[s.type] += 1
                wrong.append({**_example(record, s), "protected": True})
    by_type: dict[str, dict[str, Any]] = {}
    for t in sorted(set(gold_n) | set(pred_n)):
        by_type[t] = {
            "gold": gold_n[t], "caught": caught[t], "recall": _ratio(caught[t], gold_n[t]),
            "predicted": pred_n[t], "correct": right[t], "precision": _ratio(right[t], pred_n[t]),
        }  # fmt: skip

    def pooled(types: frozenset[str]) -> dict[str, Any]:
        g = sum(gold_n[t] for t in types)
        c = sum(caught[t] for t in types)
        p = sum(pred_n[t] for t in types)
        r = sum(right[t] for t in types)
        return {"gold": g, "recall": _ratio(c, g), "predicted": p, "precision": _ratio(r, p)}

    return {
        "records": len(records),
        "by_type": by_type,
        "person": pooled(frozenset({"PERSON"})),
        "structured": pooled(STRUCTURED_TYPES),
        "all_pii": pooled(PII_TYPES),
        "protected": {t: {"spans": protected_n[t], "touched": protected_hit[t]}
                      for t in sorted(protected_n)},
        "protected_touched": sum(protected_hit.values()),
        "non_pii_tokens_altered": tokens_altered,
        "records_with_false_redaction": records_with_wrong,
        "cut_word_boundaries": cut_words,
        "cut_words": cut_examples,
        "misses": misses,
        "false_redactions": wrong,
    }


def _example(record: LabelledRecord, span: Span) -> dict[str, Any]:
    text = record.texts[span.turn]
    return {"id": record.id, "turn": span.turn, "type": span.type,
            "text": text[span.start : span.end]}  # fmt: skip


def spans_from_metadata(pii: dict[str, Any] | None) -> list[Span]:
    """The spans a ``PiiRedactor`` replaced, from ``metadata["pii"]`` (offsets into the input);
    spans left for review are not among them."""
    return [
        Span(s["turn"], s["start"], s["end"], s["type"])
        for s in (pii or {}).get("spans", [])
        if "placeholder" in s
    ]


def by_category(
    records: Sequence[LabelledRecord], predicted: Sequence[Iterable[Span]]
) -> dict[str, dict[str, Any]]:
    """``score`` per record category (the adversarial and planted sets have categories)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        groups[r.category or "-"].append(i)
    preds = [list(p) for p in predicted]
    out = {}
    for cat, idx in sorted(groups.items()):
        s = score([records[i] for i in idx], [preds[i] for i in idx])
        out[cat] = {k: s[k] for k in ("records", "person", "structured", "protected_touched",
                                      "non_pii_tokens_altered", "cut_word_boundaries")}  # fmt: skip
    return out

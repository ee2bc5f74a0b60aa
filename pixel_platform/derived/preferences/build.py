"""Generator entry points for preference pairs, and the PII pass over rejected replies.

Curation redacts ``messages`` only, so a pair's rejected reply (``metadata.preference.rejected``)
is redacted here, before it is written, with the same ``PiiRedactor`` (prompt + rejected are
scanned as one conversation, so names are linked as curation links them); the outcome is
``metadata.preference.pii_status`` (clean / redacted / requires_review, as for ``messages``; with
requires_review, ``pii_uncertain`` lists the spans a reviewer decides on in the review queue).
The release keeps a pair whose rejected reply awaits review out (``pii_requires_review``), and
its PII gate rescans rejected replies, so a pair that skipped this pass cannot ship with PII.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from pixel_platform.core.errors import ConfigError
from pixel_platform.core.record import Conversation
from pixel_platform.curation.pii import PiiConfig
from pixel_platform.derived.output import GeneratorReport, write_jsonl
from pixel_platform.derived.preferences.counsel_chat import (
    GENERATOR as COUNSEL_CHAT_GENERATOR,
)
from pixel_platform.derived.preferences.counsel_chat import (
    counsel_chat_records,
    margin_distribution,
)
from pixel_platform.derived.preferences.crisis import GENERATOR as CRISIS_GENERATOR
from pixel_platform.derived.preferences.crisis import crisis_records
from pixel_platform.derived.status import Skipped, missing_inputs
from pixel_platform.pipeline.layout import is_ignored_object
from pixel_platform.release.routing import record_uid
from pixel_platform.review.book import ReviewBook, reviewed_replies
from pixel_platform.storage.base import ObjectStore

if TYPE_CHECKING:  # presidio and spaCy load when a generator redacts, not on import
    from pixel_platform.curation.pii import PiiRedactor

FAMILY = "preference_pairs"
DEFAULT_COUNSEL_CHAT_OUTPUT = f"derived/{FAMILY}/counsel_chat/pairs.jsonl"
DEFAULT_CRISIS_OUTPUT = f"derived/{FAMILY}/crisis_safety/pairs.jsonl"
DEFAULT_CRISIS_INPUT = "pipeline/curated/"
REDACT_BATCH = 64


def _redactor(pii: PiiConfig | None) -> PiiRedactor:
    from pixel_platform.curation.pii import PiiRedactor

    return PiiRedactor(pii or PiiConfig())


def redact_rejected(
    records: Iterable[Conversation], redactor: PiiRedactor, report: GeneratorReport
) -> Iterator[Conversation]:
    """Redact ``metadata.preference.rejected`` in batches; see the module docstring."""
    batch: list[Conversation] = []

    def flush() -> Iterator[Conversation]:
        probes = [
            Conversation(
                [
                    *r.messages[:-1],
                    {"role": "assistant", "content": r.metadata["preference"]["rejected"]},
                ],
                {},
            )
            for r in batch
        ]
        for record, probe in zip(batch, redactor.redact(probes), strict=True):
            pii = probe.metadata.get("pii") or {}
            rejected_turn = len(probe.messages) - 1
            spans = [s for s in pii.get("spans") or () if s.get("turn") == rejected_turn]
            if any(redactor.config.is_uncertain(s["score"]) for s in spans):
                status = "requires_review"
            else:
                status = "redacted" if spans else "clean"
            report.count("rejected_pii", status)
            preference = record.metadata["preference"]
            preference["rejected"] = probe.messages[-1]["content"]
            preference["pii_status"] = status
            if status == "requires_review":  # what a reviewer decides on (review queue)
                preference["pii_uncertain"] = [
                    {k: s[k] for k in ("type", "start", "end", "score", "reason") if k in s}
                    for s in spans
                    if "reason" in s
                ]
            yield record
        batch.clear()

    for record in records:
        batch.append(record)
        if len(batch) >= REDACT_BATCH:
            yield from flush()
    if batch:
        yield from flush()


def generate_counsel_chat_pairs(
    source: ObjectStore,
    csv_key: str,
    target: ObjectStore,
    output_key: str = DEFAULT_COUNSEL_CHAT_OUTPUT,
    *,
    min_margin: float = 1.0,
    pairing: str = "adjacent",
    pii: PiiConfig | None = None,
    redact: bool = True,
) -> GeneratorReport:
    """Counsel-chat CSV -> preference records (JSONL); ``report.extra["margin_distribution"]``
    holds min/median/max and a histogram of the written pairs' margins. No CSV at ``csv_key``:
    nothing written, ``report.skipped`` set; a CSV without the needed columns: ``ConfigError``."""
    info = source.head(csv_key)
    if info is None:
        skipped = Skipped(COUNSEL_CHAT_GENERATOR, (csv_key,))
        return GeneratorReport(COUNSEL_CHAT_GENERATOR, skipped=skipped)
    report = GeneratorReport(COUNSEL_CHAT_GENERATOR)
    records: Iterable[Conversation] = counsel_chat_records(
        source.read_bytes(csv_key),
        source_key=csv_key,
        source_etag=info.etag,
        min_margin=min_margin,
        pairing=pairing,
        report=report,
    )
    margins: list[float] = []
    try:
        if redact:
            with _redactor(pii) as redactor:
                records = redact_rejected(records, redactor, report)
                write_jsonl(target, output_key, _margins(records, margins), report)
        else:
            write_jsonl(target, output_key, _margins(records, margins), report)
    except ValueError as exc:  # the CSV lacks a required column
        raise ConfigError(f"{source.uri(csv_key)}: {exc}") from None
    report.extra["margin_distribution"] = margin_distribution(margins)
    return report


def _margins(records: Iterable[Conversation], out: list[float]) -> Iterator[Conversation]:
    """Pass records through, collecting the margins of those actually written."""
    for record in records:
        out.append(float(record.metadata["preference"]["margin"]))
        yield record


def read_chatml(
    store: ObjectStore, prefixes: str | Sequence[str], report: GeneratorReport
) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """``(key, line, record)`` from every ``.jsonl`` / ``.jsonl.gz`` under the prefixes; a line
    that is not a JSON object is counted (``invalid_json``) with its key and line."""
    for prefix in [prefixes] if isinstance(prefixes, str) else prefixes:
        for info in store.list(prefix):
            key = info.key
            if is_ignored_object(key) or not key.endswith((".jsonl", ".jsonl.gz")):
                continue
            data = store.read_bytes(key)
            if key.endswith(".gz"):
                data = gzip.decompress(data)
            for line_no, raw in enumerate(data.splitlines(), 1):
                if not raw.strip():
                    continue
                try:
                    record = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    record = None
                if not isinstance(record, dict):
                    report.inputs += 1
                    report.dropped["invalid_json"] += 1
                    if len(report.problems) < 100:
                        report.problems.append(
                            {"key": key, "reason": "invalid_json", "detail": f"line {line_no}"}
                        )
                    continue
                yield key, line_no, record


def generate_crisis_pairs(
    source: ObjectStore,
    input_prefixes: str | Sequence[str],
    target: ObjectStore,
    output_key: str = DEFAULT_CRISIS_OUTPUT,
    *,
    seed: int = 0,
    exclude_families: Sequence[str] = (FAMILY,),
    pii: PiiConfig | None = None,
    redact: bool = True,
) -> GeneratorReport:
    """Unsafe crisis replies in ChatML records under the prefixes -> safety preference records.
    Records of ``exclude_families`` (the preference family itself) are not read. The rejected
    replies are redacted as for counsel-chat (a no-op on text curation already redacted).
    No object under the prefixes: nothing written, ``report.skipped`` set."""
    prefixes = [input_prefixes] if isinstance(input_prefixes, str) else list(input_prefixes)
    report = GeneratorReport(
        CRISIS_GENERATOR, skipped=missing_inputs(source, prefixes, CRISIS_GENERATOR)
    )
    if report.skipped is not None:
        return report
    excluded = tuple(f"/{family}/" for family in exclude_families)

    def wanted() -> Iterator[tuple[str, int, dict[str, Any]]]:
        for key, line, record in read_chatml(source, prefixes, report):
            if any(part in f"/{key}" for part in excluded):
                continue
            yield key, line, record

    # A reviewer's corrected reply (review log) is the chosen side of its pair.
    reviewed = reviewed_replies(ReviewBook.load(source), record_uid)
    records: Iterable[Conversation] = crisis_records(
        wanted(), seed=seed, report=report, reviewed=reviewed
    )
    if not redact:
        return write_jsonl(target, output_key, records, report)
    with _redactor(pii) as redactor:
        return write_jsonl(target, output_key, redact_rejected(records, redactor, report), report)

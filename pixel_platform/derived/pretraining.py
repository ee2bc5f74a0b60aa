"""Phase A corpus: transcripts and documents as plain-text records for continued pretraining.

A text record is the one record type holding a document (README, "The record"): a
``Conversation`` with exactly one assistant message, and ``metadata.kind = "text"`` so ingest's
``ValidateStep`` accepts it without a user turn::

    {"messages": [{"role": "assistant", "content": "<title>\\n\\n<text>"}],
     "metadata": {"kind": "text", "title": ..., "document": {"source_key", "chunk", "of", "words"},
                  "generator": {"name": "pretraining_text", "version", "seed": 0,
                                "inputs": [{"key", "etag"}]}}}

Inputs are read like the CPTSD transcripts (``.txt`` / ``.md`` monologues and documents, ``.json``
caption segments) and cleaned the same way (fillers, caption annotations, channel boilerplate,
speaker labels; URLs, e-mails and speaker names as placeholders). A text longer than
``max_chars`` is cut at paragraph ends (at sentence ends inside a paragraph longer than that),
so every record fits the registry's ``max_turn_chars``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from pixel_platform.core.record import Conversation
from pixel_platform.derived.cptsd.text import count_words, split_sentences
from pixel_platform.derived.cptsd.transcripts import (
    ReadProblem,
    Transcript,
    transcripts_to_jsonl,
)
from pixel_platform.derived.output import GeneratorReport, generator_stamp
from pixel_platform.storage.base import ObjectStore

GENERATOR = "pretraining_text"
FAMILY = "pretraining_text"
TEXT_KIND = "text"
DEFAULT_OUTPUT_KEY = f"derived/{FAMILY}/transcripts_text.jsonl"
DEFAULT_MAX_CHARS = 6000


@dataclass(frozen=True)
class PretrainingOptions:
    max_chars: int = DEFAULT_MAX_CHARS
    min_words: int = 30  # shorter texts (a stray caption file) are not worth a record
    include_title: bool = True


class _Packer:
    """Joins pieces with ``sep`` into chunks of at most ``max_chars`` (a piece that does not fit
    starts the next chunk); ``out`` holds the finished chunks in order."""

    def __init__(self, sep: str, max_chars: int) -> None:
        self.sep = sep
        self.max_chars = max_chars
        self.out: list[str] = []
        self.current = ""

    def add(self, piece: str) -> None:
        if self.current and len(self.current) + len(self.sep) + len(piece) > self.max_chars:
            self.out.append(self.current)
            self.current = ""
        self.current = f"{self.current}{self.sep}{piece}" if self.current else piece

    def finish(self) -> list[str]:
        if self.current:
            self.out.append(self.current)
        return self.out


def _pieces(text: str, max_chars: int) -> list[str]:
    """A paragraph longer than ``max_chars``, cut at sentence ends (a sentence longer than that
    is cut at spaces)."""
    packer = _Packer(" ", max_chars)
    for sentence in split_sentences(text):
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars) if " " in sentence[:max_chars] else max_chars
            packer.out.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        packer.add(sentence)
    return packer.finish()


def chunk_text(paragraphs: Sequence[str], max_chars: int = DEFAULT_MAX_CHARS) -> list[str]:
    """Join paragraphs (blank line between) into chunks of at most ``max_chars`` characters."""
    packer = _Packer("\n\n", max_chars)
    for paragraph in paragraphs:
        for piece in [paragraph] if len(paragraph) <= max_chars else _pieces(paragraph, max_chars):
            packer.add(piece)
    return packer.finish()


def text_records(
    transcripts: Iterable[Transcript | ReadProblem],
    options: PretrainingOptions | None = None,
    *,
    report: GeneratorReport | None = None,
) -> Iterator[Conversation]:
    options = options or PretrainingOptions()
    report = report if report is not None else GeneratorReport(GENERATOR)
    for unit in transcripts:
        item = report.accept(unit)
        if item is None:
            continue
        if item.words < options.min_words:
            report.dropped["too_short"] += 1
            continue
        paragraphs = [p.text for p in item.paragraphs]
        title = item.title if options.include_title else None
        budget = options.max_chars - (len(title) + 2 if title else 0)
        chunks = chunk_text(paragraphs, max(200, budget))
        for kind, n in item.changes.items():
            report.count("cleaning", kind, n)
        report.count("chunks_per_document", str(len(chunks)))
        for i, chunk in enumerate(chunks):
            content = f"{title}\n\n{chunk}" if title else chunk
            yield Conversation(
                messages=[{"role": "assistant", "content": content}],
                metadata={
                    "kind": TEXT_KIND,
                    "title": item.title,
                    "document": {
                        "source_key": item.key,
                        "chunk": i,
                        "of": len(chunks),
                        "words": count_words(chunk),
                    },
                    "generator": generator_stamp(GENERATOR, 0, [item.ref()]),
                },
            )


def generate_pretraining_text(
    source: ObjectStore,
    input_prefixes: str | Sequence[str],
    target: ObjectStore,
    output_key: str = DEFAULT_OUTPUT_KEY,
    options: PretrainingOptions | None = None,
) -> GeneratorReport:
    """Every transcript/document under the prefixes -> text records (JSONL) at ``output_key``.
    No object under the prefixes: nothing written, ``report.skipped`` set; objects of which none
    can be read: ``ConfigError`` (as ``cptsd.generate_cptsd``)."""
    return transcripts_to_jsonl(
        GENERATOR, source, input_prefixes, target, output_key,
        lambda transcripts, report: text_records(transcripts, options, report=report),
    )  # fmt: skip

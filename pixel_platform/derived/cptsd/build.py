"""CPTSD teaching exchanges from transcripts: segment -> themes -> question -> ChatML record.

Each record is one exchange: a templated user question the segment answers, then the segment's
explanation (cleaned, see ``transcripts``) as the assistant turn. Metadata::

    {"synthetic": true, "synthetic_turns": ["user"],
     "cptsd_themes": ["toxic_shame", "self_compassion"], "cptsd_theme_scores": {...},
     "segment": {"source_key", "title", "index", "of", "words", "start_s", "boundary_gain"},
     "question": {"template", "concept", "key_sentences"},
     "generator": {"name": "cptsd_transcripts", "version", "seed", "inputs": [{"key", "etag"}]}}

Segments without a theme (``no_theme``) or shorter than ``min_keep_words``
(``segment_too_short``) and unreadable inputs are counted in the report, never written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pixel_platform.core.record import Conversation
from pixel_platform.derived.cptsd.questions import compose_question
from pixel_platform.derived.cptsd.segment import segment_sentences, sentences_of
from pixel_platform.derived.cptsd.themes import ThemeLexicon, load_lexicon
from pixel_platform.derived.cptsd.transcripts import (
    ReadProblem,
    Transcript,
    transcripts_to_jsonl,
)
from pixel_platform.derived.output import (
    GeneratorReport,
    generator_stamp,
    stable_rng,
)
from pixel_platform.storage.base import ObjectStore

GENERATOR = "cptsd_transcripts"
FAMILY = "cptsd"
DEFAULT_OUTPUT_KEY = f"derived/{FAMILY}/cptsd_transcripts.jsonl"
# Where the sample bucket keeps teaching transcripts (not registry sources: only derived assets
# read them).
DEFAULT_INPUT_PREFIXES = ("voice/monologues/", "voice/transcripts_raw/")
WORD_BUCKETS = ((0, 120), (120, 200), (200, 280), (280, 351), (351, 10**9))


@dataclass(frozen=True)
class CptsdOptions:
    min_words: int = 120
    max_words: int = 350
    min_keep_words: int = 60  # shorter segments (very short transcripts) are not used
    window: int = 3  # sentences on each side of a gap for the cohesion score
    paragraph_bonus: float = 0.15
    context_rate: float = 0.35
    seed: int = 0
    lexicon_path: str | Path | None = None


def _bucket(words: int) -> str:
    for low, high in WORD_BUCKETS:
        if low <= words < high:
            return f"{low}-{high - 1}" if high < 10**9 else f"{low}+"
    return "?"


def cptsd_records(
    transcripts: Iterable[Transcript | ReadProblem],
    options: CptsdOptions | None = None,
    *,
    lexicon: ThemeLexicon | None = None,
    report: GeneratorReport | None = None,
) -> Iterator[Conversation]:
    """Teaching exchanges from ``transcripts`` (see the module docstring)."""
    options = options or CptsdOptions()
    lexicon = lexicon or load_lexicon(options.lexicon_path)
    report = report if report is not None else GeneratorReport(GENERATOR)
    for unit in transcripts:
        item = report.accept(unit)
        if item is None:
            continue
        for kind, n in item.changes.items():
            report.count("cleaning", kind, n)
        segments = segment_sentences(
            sentences_of(item),
            min_words=options.min_words,
            max_words=options.max_words,
            window=options.window,
            paragraph_bonus=options.paragraph_bonus,
        )
        for segment in segments:
            if segment.words < options.min_keep_words:
                report.dropped["segment_too_short"] += 1
                continue
            themes = lexicon.tag(segment.text)
            if not themes:
                report.dropped["no_theme"] += 1
                continue
            rng = stable_rng(options.seed, item.key, segment.index)
            question = compose_question(
                segment, themes, lexicon, rng, context_rate=options.context_rate
            )
            report.count("primary_theme", themes[0][0])
            for theme_id, _ in themes:
                report.count("themes", theme_id)
            report.count("segment_words", _bucket(segment.words))
            report.count("question_template", question.template.split(":")[0])
            yield Conversation(
                messages=[
                    {"role": "user", "content": question.text},
                    {"role": "assistant", "content": segment.text},
                ],
                metadata={
                    "synthetic": True,
                    "synthetic_turns": ["user"],
                    "cptsd_themes": [theme_id for theme_id, _ in themes],
                    "cptsd_theme_scores": dict(themes),
                    "segment": {
                        "source_key": item.key,
                        "title": item.title,
                        "index": segment.index,
                        "of": len(segments),
                        "words": segment.words,
                        "start_s": segment.start,
                        "boundary_gain": segment.boundary_gain,
                    },
                    "question": question.as_metadata(),
                    "generator": generator_stamp(GENERATOR, options.seed, [item.ref()]),
                },
            )


def generate_cptsd(
    source: ObjectStore,
    input_prefixes: str | Sequence[str],
    target: ObjectStore,
    output_key: str = DEFAULT_OUTPUT_KEY,
    options: CptsdOptions | None = None,
) -> GeneratorReport:
    """Read every transcript under ``input_prefixes`` of ``source``, write the exchanges as JSONL
    to ``output_key`` of ``target`` (atomically) and return the counts.

    When the prefixes hold no object at all, nothing is written and the report's ``skipped``
    says where it looked (nothing to generate is not an error). When there are objects and none
    of them can be read, ``ConfigError`` (a broken input is)."""
    return transcripts_to_jsonl(
        GENERATOR, source, input_prefixes, target, output_key,
        lambda transcripts, report: cptsd_records(transcripts, options, report=report),
    )  # fmt: skip

"""Teaching transcripts (video monologues) -> cleaned paragraphs and sentences.

Two input shapes, read from any ``ObjectStore`` prefix:

* ``.txt`` / ``.md``: a monologue. An optional title (a short first line, or ``Title: ...`` among
  ``Key: value`` header lines), paragraphs separated by blank lines, optional timestamps at line
  starts (``[00:01:23]``, ``00:01:23`` or ``1:23``, alone on a line or before the text) and
  optional speaker labels (``MARION:``, ``Speaker 1:``).
* ``.json``: ``{"title": ..., "segments": [{"start": 12.5, "end"?: .., "duration"?: ..,
  "text": "...", "speaker"?: ".."}]}`` or a bare list of segments (caption chunks). ``start`` is
  seconds or ``hh:mm:ss(.ms)``. A pause of at least ``pause_s`` between segments starts a new
  paragraph (when only ``start`` is known: a gap of 2.5 times the median step, and >= 4 s).

Each paragraph is cleaned and redacted (``text.clean_text`` / ``text.redact``; counts of each
change in ``Transcript.changes``): fillers, stutters, caption annotations and channel boilerplate
go; URLs, e-mail addresses, @handles and the speakers' names taken from their labels become
placeholders consistent within the transcript.
When several speakers are labelled, only the main speaker's (most words) text is kept.
Curation's PII redaction still runs on every generated record later; this is the first pass.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from pixel_platform.core.errors import ConfigError
from pixel_platform.core.record import Conversation
from pixel_platform.derived.cptsd.text import (
    Redactions,
    clean_text,
    count_words,
    redact,
)
from pixel_platform.derived.output import GeneratorReport, ReadProblem, write_jsonl
from pixel_platform.derived.status import missing_inputs
from pixel_platform.pipeline.layout import is_ignored_object
from pixel_platform.storage.base import ObjectInfo, ObjectStore

TEXT_SUFFIXES = (".txt", ".md")
JSON_SUFFIXES = (".json",)
DEFAULT_PAUSE_S = 2.0
HEADER_KEYS = frozenset({"title", "recorded", "date", "source", "url", "speaker", "video", "id"})
GENERIC_LABELS = frozenset(
    {
        "speaker",
        "host",
        "guest",
        "interviewer",
        "narrator",
        "presenter",
        "educator",
        "teacher",
        "audience",
        "q",
        "a",
        "question",
        "answer",
        "moderator",
    }
)


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    start: float | None = None  # seconds into the video, where known


@dataclass(frozen=True)
class Transcript:
    key: str
    title: str | None
    paragraphs: tuple[Paragraph, ...]
    etag: str | None = None
    speaker: str | None = None  # the main speaker's label, when the text had labels
    changes: Counter[str] = field(default_factory=Counter)

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)

    @property
    def words(self) -> int:
        return sum(count_words(p.text) for p in self.paragraphs)

    def ref(self) -> dict[str, Any]:
        """How generated records name this input (``metadata.generator.inputs``)."""
        return {"key": self.key, "etag": self.etag}


# -- parsing ---------------------------------------------------------------------------------------
_TIMESTAMP = r"[\[(]?(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)[\])]?"
_TIME_ONLY = re.compile(rf"^\s*{_TIMESTAMP}\s*$")
_TIME_HEAD = re.compile(rf"^\s*{_TIMESTAMP}\s+")
_LABEL = re.compile(
    r"^\s*(?:\*\*)?((?:[A-Z][A-Za-z.'’-]*)(?: [A-Z][A-Za-z.'’-]*){0,2}|Speaker \d+)(?:\*\*)?\s*:\s+"
)
_HEADER = re.compile(r"^\s*([A-Za-z]+)\s*:\s*(.+?)\s*$")


def parse_time(value: Any) -> float | None:
    """Seconds from a number or ``[hh:]mm:ss(.ms)``; ``None`` when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    parts = value.strip().replace(",", ".").split(":")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    seconds = 0.0
    for number in numbers:
        seconds = seconds * 60 + number
    return seconds


@dataclass
class _Block:
    label: str | None
    lines: list[str]
    start: float | None


def _is_title(line: str, following: str | None) -> bool:
    words = line.split()
    return (
        0 < len(words) <= 12
        and not line.rstrip().endswith((".", "?", "!", ":", ","))
        and (following is None or not following.strip())
        and _LABEL.match(line) is None
    )


def parse_text(key: str, text: str, *, etag: str | None = None) -> Transcript:
    """A plain-text transcript -> cleaned paragraphs of its main speaker."""
    changes: Counter[str] = Counter()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    title: str | None = None
    # Header lines ("Title: ...", "Recorded: ...") at the top are metadata, not speech.
    while lines and (not lines[0].strip() or _header_key(lines[0])):
        header = _header_key(lines[0])
        if header == "title":
            title = _HEADER.match(lines[0]).group(2)  # type: ignore[union-attr]
        if header:
            changes["header_line"] += 1
        lines.pop(0)
    if title is None and lines and _is_title(lines[0], lines[1] if len(lines) > 1 else None):
        title = lines.pop(0).strip()
    label_counts = Counter(m.group(1) for line in lines if (m := _LABEL.match(line)))
    first_label = next(
        (m.group(1) for line in lines if line.strip() and (m := _LABEL.match(line))), None
    )
    speakers = {
        label
        for label, n in label_counts.items()
        if n >= 2 or label == first_label or label.isupper() or label.lower() in GENERIC_LABELS
    }
    blocks: list[_Block] = []
    current: _Block | None = None
    time: float | None = None
    label: str | None = None
    for line in lines:
        if not line.strip():
            current = None  # a blank line ends the paragraph
            continue
        only_time = _TIME_ONLY.match(line)
        if only_time:
            time = parse_time(only_time.group(1))
            current = None
            changes["timestamp"] += 1
            continue
        head = _TIME_HEAD.match(line)
        if head:
            time = parse_time(head.group(1))
            line = line[head.end() :]
            changes["timestamp"] += 1
            current = None
        match = _LABEL.match(line)
        if match and match.group(1) in speakers:
            label = match.group(1)
            line = line[match.end() :]
            changes["speaker_label"] += 1
            current = None
        if current is None or current.label != label:
            current = _Block(label, [], time)
            blocks.append(current)
        current.lines.append(line.strip())
    return _finish(key, title, blocks, etag, changes)


def _header_key(line: str) -> str | None:
    match = _HEADER.match(line)
    if match and match.group(1).lower() in HEADER_KEYS:
        return match.group(1).lower()
    return None


def parse_segments(
    key: str, data: Any, *, etag: str | None = None, pause_s: float = DEFAULT_PAUSE_S
) -> Transcript:
    """A JSON segments transcript -> paragraphs split at pauses, cleaned like a text one."""
    title = data.get("title") if isinstance(data, dict) else None
    segments = data.get("segments") if isinstance(data, dict) else data
    if not isinstance(segments, list):
        raise ValueError("no 'segments' list")
    rows: list[tuple[float | None, float | None, str, str | None]] = []
    for i, segment in enumerate(segments):
        if not isinstance(segment, dict) or not isinstance(segment.get("text"), str):
            raise ValueError(f"segments[{i}] has no text")
        start = parse_time(segment.get("start"))
        end = parse_time(segment.get("end"))
        if end is None and start is not None and parse_time(segment.get("duration")) is not None:
            end = start + float(parse_time(segment.get("duration")) or 0.0)
        speaker = segment.get("speaker")
        rows.append((start, end, segment["text"], speaker if isinstance(speaker, str) else None))
    starts = [row[0] for row in rows if row[0] is not None]
    steps = [b - a for a, b in itertools.pairwise(starts) if b > a]
    step_limit = max(4.0, 2.5 * statistics.median(steps)) if steps else float("inf")
    changes: Counter[str] = Counter()
    blocks: list[_Block] = []
    previous: tuple[float | None, float | None, str, str | None] | None = None
    for row in rows:
        start, _, text, speaker = row
        new_paragraph = previous is None or speaker != previous[3]
        if previous is not None and start is not None and previous[0] is not None:
            if previous[1] is not None:
                new_paragraph = new_paragraph or start - previous[1] >= pause_s
            else:
                new_paragraph = new_paragraph or start - previous[0] >= step_limit
        if new_paragraph:
            blocks.append(_Block(speaker, [], start))
            changes["pause_break"] += previous is not None
        blocks[-1].lines.append(" ".join(text.split()))
        previous = row
    return _finish(key, title if isinstance(title, str) else None, blocks, etag, changes)


def _speaker_names(labels: Iterable[str]) -> tuple[str, ...]:
    """Names to redact from speaker labels: each label and its words of 3+ letters (not generic
    roles such as "Host" or "Speaker 1"), as written ("MARION") and in title case; longest first
    so "Marion Hale" is replaced before "Marion"."""
    parts: set[str] = set()
    for label in labels:
        if label.lower() in GENERIC_LABELS or label.lower().startswith("speaker "):
            continue
        parts.update(p for p in (label, *label.split()) if len(p) >= 3)
    ordered = sorted(parts, key=lambda p: (-len(p), p))
    return tuple(dict.fromkeys([*ordered, *(p.title() for p in ordered)]))


def _finish(
    key: str, title: str | None, blocks: list[_Block], etag: str | None, changes: Counter[str]
) -> Transcript:
    words: Counter[str | None] = Counter()
    for block in blocks:
        words[block.label] += sum(count_words(line) for line in block.lines)
    main = max(words, key=lambda label: (words[label], label or "")) if words else None
    names = _speaker_names(label for label in words if label)
    redactions = Redactions()
    paragraphs: list[Paragraph] = []
    for block in blocks:
        if block.label != main:
            changes["other_speaker_words"] += sum(count_words(line) for line in block.lines)
            continue
        cleaned = clean_text(" ".join(block.lines), changes)
        cleaned = redact(cleaned, redactions, names, changes)
        if cleaned:
            paragraphs.append(Paragraph(cleaned, block.start))
    clean_title = redact(title.strip(), redactions, names, changes) if title else None
    return Transcript(key, clean_title, tuple(paragraphs), etag, main, +changes)


# -- reading from a store --------------------------------------------------------------------------
def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def read_transcript(store: ObjectStore, info: ObjectInfo) -> Transcript | ReadProblem:
    key = info.key
    name = key.rsplit("/", 1)[-1].lower()
    if not name.endswith(TEXT_SUFFIXES + JSON_SUFFIXES):
        return ReadProblem(key, "unsupported_file_type", name.rsplit(".", 1)[-1])
    raw = store.read_bytes(key)
    if not raw.strip():
        return ReadProblem(key, "empty_file")
    try:
        if name.endswith(JSON_SUFFIXES):
            transcript = parse_segments(key, orjson.loads(raw), etag=info.etag)
        else:
            transcript = parse_text(key, decode(raw), etag=info.etag)
    except (orjson.JSONDecodeError, ValueError) as exc:
        return ReadProblem(key, "invalid_transcript", str(exc)[:200])
    if not transcript.paragraphs:
        return ReadProblem(key, "no_text")
    return transcript


def read_transcripts(
    store: ObjectStore, prefixes: str | Sequence[str]
) -> Iterator[Transcript | ReadProblem]:
    """Every transcript under the prefixes, in key order (each key once); markers and hidden
    files are skipped."""
    seen: set[str] = set()
    for prefix in [prefixes] if isinstance(prefixes, str) else prefixes:
        for info in store.list(prefix):
            if not is_ignored_object(info.key) and info.key not in seen:
                seen.add(info.key)
                yield read_transcript(store, info)


def fail_when_none_readable(
    items: Iterable[Transcript | ReadProblem], store: ObjectStore, prefixes: str | Sequence[str]
) -> Iterator[Transcript | ReadProblem]:
    """Pass ``items`` through; when there were inputs and not one could be read, raise
    ``ConfigError`` once they are exhausted. Broken inputs must fail the run, not pass as "nothing
    to generate" (that is only for absent inputs, see ``derived.status``). The generators iterate
    this inside their writer's block, so the failed run writes no output."""
    problems: list[ReadProblem] = []
    readable = 0
    for item in items:
        if isinstance(item, ReadProblem):
            problems.append(item)
        else:
            readable += 1
        yield item
    if problems and not readable:
        locations = [prefixes] if isinstance(prefixes, str) else prefixes
        where = ", ".join(store.uri(p) for p in locations)
        first = problems[0]
        raise ConfigError(
            f"none of the {len(problems)} input objects under {where} could be read"
            f" (first: {first.key}: {first.reason})"
        )


def transcripts_to_jsonl(
    generator: str,
    source: ObjectStore,
    input_prefixes: str | Sequence[str],
    target: ObjectStore,
    output_key: str,
    to_records: Callable[
        [Iterable[Transcript | ReadProblem], GeneratorReport], Iterable[Conversation]
    ],
) -> GeneratorReport:
    """A transcript generator's run: ``to_records(transcripts, report)`` over every transcript
    under ``input_prefixes`` of ``source``, written as JSONL to ``output_key`` of ``target``.
    No object under the prefixes: nothing written, ``report.skipped`` set; objects of which none
    can be read: ``ConfigError`` (see ``fail_when_none_readable``)."""
    prefixes = [input_prefixes] if isinstance(input_prefixes, str) else list(input_prefixes)
    report = GeneratorReport(generator, skipped=missing_inputs(source, prefixes, generator))
    if report.skipped is not None:
        return report
    transcripts = fail_when_none_readable(read_transcripts(source, prefixes), source, prefixes)
    return write_jsonl(target, output_key, to_records(transcripts, report), report)

"""Long-running therapy: select conversations with many dialogue turns from ChatML JSONL files.

Reads processed or curated JSONL (one ``Conversation`` per line) from any ``ObjectStore`` and
yields every record with at least ``min_turns`` dialogue turns. A turn is a run of consecutive
messages of one speaker, system prompts excluded (the registry's ``min_turns`` counts the same
way; processed records are already merged, so there it is simply the number of non-system
messages). Selected records keep all their metadata and gain ``metadata.derived_from`` =
``{family, source_key, line, content_hash}``.

A line that is not JSON or not a ChatML record is counted and reported with its file and line
(``ExtractionStats.bad_lines`` / ``problems``), never fatal; no input at all is an error. The
output goes to ``derived/long_running_therapy/`` (``DEFAULT_OUTPUT_PREFIX``), which the
registry lists as a source of the ``long_running_therapy`` family.
"""

from __future__ import annotations

import gzip
import logging
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson

from pixel_platform.core.counts import counts_dict
from pixel_platform.core.errors import ConfigError
from pixel_platform.core.record import (
    ROLES,
    Conversation,
    Message,
    record_content_hash,
)
from pixel_platform.pipeline import layout
from pixel_platform.storage.base import ObjectStore

log = logging.getLogger(__name__)

FAMILY = "long_running_therapy"
DEFAULT_MIN_TURNS = 20
DEFAULT_INPUT_PREFIX = "pipeline/curated/"
DEFAULT_OUTPUT_PREFIX = f"derived/{FAMILY}/"
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
MAX_PROBLEMS = 100  # problems kept with file and line; all of them are counted
PROGRESS_EVERY = 1000  # lines between progress callbacks
_PIPELINE_LAYERS = ("processed", "curated", "deduplicated")

Progress = Callable[[int], None]  # called with the number of lines read since the last call


@dataclass(frozen=True, slots=True)
class BadLine:
    """One input line that could not be used: where it is and why (never its text)."""

    source: str  # the file's location (store URI)
    line: int  # 1-based
    reason: str  # not_json | not_a_conversation | unreadable
    detail: str

    def describe(self) -> str:
        return f"{self.source}, line {self.line}: {self.detail}"


@dataclass
class ExtractionStats:
    """``records_read == selected + below_min_turns``; bad lines are counted apart."""

    min_turns: int = DEFAULT_MIN_TURNS
    limit: int | None = None
    files_scanned: int = 0
    records_read: int = 0
    selected: int = 0
    below_min_turns: int = 0
    bad_lines: int = 0
    bad_by_reason: Counter[str] = field(default_factory=Counter)
    problems: list[BadLine] = field(default_factory=list)
    stopped_at_limit: bool = False

    @property
    def balanced(self) -> bool:
        return self.records_read == self.selected + self.below_min_turns

    def limit_reached(self) -> bool:
        return self.limit is not None and self.selected >= self.limit

    def add_problem(self, problem: BadLine) -> None:
        self.bad_lines += 1
        self.bad_by_reason[problem.reason] += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
            log.warning("skipped %s", problem.describe())
        elif self.bad_lines == MAX_PROBLEMS + 1:
            log.warning("more than %d bad lines: the rest are counted, not logged", MAX_PROBLEMS)

    def as_dict(self) -> dict[str, Any]:
        return {**counts_dict(self), "problems": [p.describe() for p in self.problems]}


def dialogue_turns(messages: Sequence[Message]) -> int:
    """Runs of consecutive same-speaker messages, system prompts excluded."""
    turns = 0
    previous = None
    for message in messages:
        role = message["role"]
        if role == "system":
            continue
        if role != previous:
            turns += 1
            previous = role
    return turns


def find_jsonl_keys(
    store: ObjectStore, prefix: str = "", *, exclude_families: Iterable[str] = ()
) -> list[str]:
    """Every ``*.jsonl`` / ``*.jsonl.gz`` key under ``prefix``, in key order.

    Markers and hidden files (``_SYNC_COMPLETE.json``, ``.tmp``) are skipped, and so are the
    pipeline outputs of ``exclude_families`` (so re-running on ``pipeline/curated/`` does not
    select this family's own, already derived, records again).
    """
    excluded = set(exclude_families)
    keys = []
    for info in store.list(prefix):
        if not info.key.endswith(JSONL_SUFFIXES) or layout.is_ignored_object(info.key):
            continue
        if excluded and pipeline_family(info.key) in excluded:
            continue
        keys.append(info.key)
    return keys


def pipeline_family(key: str) -> str | None:
    """``pipeline/<layer>/<family>/...`` -> family; ``None`` for any other key."""
    parts = key.split("/")
    if len(parts) >= 4 and parts[0] == layout.PIPELINE_ROOT and parts[1] in _PIPELINE_LAYERS:
        return parts[2]
    return None


def _as_conversation(payload: Any) -> Conversation | str:
    """The record, or why it is not a ChatML record (field names and types only)."""
    if type(payload) is not dict:
        return f"expected a JSON object, got {type(payload).__name__}"
    messages = payload.get("messages")
    if type(messages) is not list or not messages:
        return "no non-empty 'messages' list"
    for n, message in enumerate(messages):
        if type(message) is not dict:
            return f"messages[{n}] is not an object"
        if message.get("role") not in ROLES:
            return f"messages[{n}].role is not one of {', '.join(ROLES)}"
        if type(message.get("content")) is not str:
            return f"messages[{n}].content is not a string"
    metadata = payload.get("metadata")
    if metadata is not None and type(metadata) is not dict:
        return "'metadata' is not an object"
    return Conversation.from_dict(payload)


class LongRunningExtraction:
    """Records of ``keys`` of ``store`` with at least ``min_turns`` dialogue turns (at most
    ``limit``), in one pass: iterate it for the selected records, then read ``stats`` (files
    scanned, records read, selected, bad lines with file and line). Pass the same ``stats`` to
    several extractions (one per store) to add them up; ``limit`` applies to the total.
    ``keys`` must not be empty: no input at all is an error, not an empty result."""

    def __init__(
        self,
        store: ObjectStore,
        keys: Sequence[str],
        *,
        min_turns: int = DEFAULT_MIN_TURNS,
        limit: int | None = None,
        stats: ExtractionStats | None = None,
        progress: Progress | None = None,
    ) -> None:
        if not keys:
            raise ConfigError("no input files: give at least one JSONL key or path")
        if min_turns < 1:
            raise ConfigError(f"min_turns must be at least 1, got {min_turns}")
        if limit is not None and limit < 1:
            raise ConfigError(f"limit must be at least 1, got {limit}")
        self.store = store
        self.keys = list(keys)
        self.min_turns = min_turns
        self.stats = stats if stats is not None else ExtractionStats()
        self.stats.min_turns, self.stats.limit = min_turns, limit
        self.progress = progress

    def __iter__(self) -> Iterator[Conversation]:
        for key in self.keys:
            if self.stats.limit_reached():
                self.stats.stopped_at_limit = True
                return
            yield from self._scan(key)

    def _scan(self, key: str) -> Iterator[Conversation]:
        stats = self.stats
        source = self.store.uri(key)
        selected_before, read_before = stats.selected, stats.records_read
        stats.files_scanned += 1
        pending = 0
        line_no = 0
        with self.store.open_read(key) as raw:
            lines = _lines(raw, key)
            try:
                for line_no, line in enumerate(lines, 1):
                    pending += 1
                    if self.progress is not None and pending >= PROGRESS_EVERY:
                        self.progress(pending)
                        pending = 0
                    if not line.strip():
                        continue
                    record = self._parse(line, source, line_no)
                    if record is None:
                        continue
                    stats.records_read += 1
                    if dialogue_turns(record.messages) < self.min_turns:
                        stats.below_min_turns += 1
                        continue
                    stats.selected += 1
                    yield self._annotate(record, key, line_no)
                    if stats.limit_reached():
                        stats.stopped_at_limit = True
                        break
            except (OSError, EOFError, zlib.error) as exc:  # a truncated or corrupt .gz
                stats.add_problem(
                    BadLine(
                        source,
                        line_no + 1,
                        "unreadable",
                        f"the rest of the file is unreadable ({exc})",
                    )
                )
        if self.progress is not None and pending:
            self.progress(pending)
        log.debug(
            "scanned %s: %d records, %d selected",
            source,
            stats.records_read - read_before,
            stats.selected - selected_before,
        )

    def _parse(self, line: bytes, source: str, line_no: int) -> Conversation | None:
        try:
            payload = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            self.stats.add_problem(BadLine(source, line_no, "not_json", f"not valid JSON ({exc})"))
            return None
        record = _as_conversation(payload)
        if isinstance(record, str):
            self.stats.add_problem(BadLine(source, line_no, "not_a_conversation", record))
            return None
        return record

    @staticmethod
    def _annotate(record: Conversation, key: str, line_no: int) -> Conversation:
        metadata = record.metadata
        provenance = metadata.get("provenance")
        family = provenance.get("family") if isinstance(provenance, dict) else None
        metadata["derived_from"] = {
            "family": family or pipeline_family(key),
            "source_key": key,
            "line": line_no,
            "content_hash": metadata.get("content_hash")
            or record_content_hash(record.messages, record.metadata),
        }
        return record


def _lines(raw: BinaryIO, key: str) -> Iterator[bytes]:
    if key.endswith(".gz"):
        return iter(gzip.GzipFile(fileobj=raw, mode="rb"))
    return iter(raw)


# The entry point: records of ``keys`` with at least ``min_turns`` dialogue turns.
extract_long_running = LongRunningExtraction

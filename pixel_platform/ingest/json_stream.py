"""Streaming a JSON object with ijson: records are the elements of the top-level array, or of
every top-level key holding an array; other top-level values are file metadata, not records.

Used for objects too large to parse whole, and to salvage the records of one that orjson refused
(before a truncation, around a lone surrogate escape or a part nested too deep). An element is
built one event at a time, so each element gets its own verdict: past the byte limit
(``record_too_large``), nested past the depth limit (``too_deep``), naming a key twice
(``duplicate_key``) or holding a lone surrogate escape (``decode_error``, see ``surrogates``); the
elements after it are read as usual. Bad syntax ends the stream: one failure covers the rest.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import ijson

from pixel_platform.core.reasons import Reason
from pixel_platform.ingest.context import ReadContext, Unit
from pixel_platform.ingest.json_checks import DUPLICATE_DETAIL
from pixel_platform.ingest.raw import RawRecord
from pixel_platform.ingest.shapes import is_turn
from pixel_platform.ingest.surrogates import LONE_SURROGATE, SurrogateGuard

IJSON_BUFFER = 1 << 16
_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})
_SURROGATE_DETAIL = "a \\u escape in the record is a lone UTF-16 surrogate: no character"

Events = Iterator[tuple[str, str, Any]]
Cause = tuple[str, str]  # why orjson refused the object: (reason, detail)


class _SingleRecord(Exception):
    """The streamed array holds turns: the whole object is one conversation, not a container."""


def stream_json(source: Any, ctx: ReadContext, *, salvage: Cause | None) -> Iterator[Unit]:
    """Yield the records of the JSON object read from ``source.read``.

    ``salvage``: orjson's verdict on an object small enough to parse whole; reported for what
    the stream cannot attribute to a record (one conversation in the whole object, or no list
    of records at all). ``None``: the object is streamed because it is large.
    """
    guard = SurrogateGuard(source.read)
    events: Events = ijson.parse(guard, buf_size=IJSON_BUFFER, use_float=True)
    yielded = ctx.next_index
    deepest = 0
    try:
        _, event, value = next(events)
        if event == "start_array":
            yield from _elements(events, ctx, None)
        elif event == "start_map":
            for _, event, top_key in events:
                if event == "end_map":
                    break
                _, event, _ = next(events)  # the first event of ``top_key``'s value
                if event == "start_array":
                    yield from _elements(events, ctx, top_key)
                elif event == "start_map":
                    deepest = max(deepest, 1 + _skip(events))
        else:
            yield _scalar(value, ctx, None)
            ctx.next_index = 1
    except (ijson.JSONError, StopIteration, UnicodeDecodeError) as exc:
        if not ctx.problem:  # after stream damage read_stream reports the cause instead
            yield _stream_error(exc, ctx)
        return
    except _SingleRecord:
        if salvage is None:
            yield ctx.failure(
                Reason.RECORD_TOO_LARGE.value,
                f"one JSON conversation larger than {ctx.whole_json_bytes} bytes",
                index=ctx.next_index,
            )
        elif not ctx.problem:
            yield ctx.failure(*salvage, index=ctx.next_index)
        return
    if ctx.next_index > yielded or ctx.problem:
        return
    if salvage is not None:
        yield ctx.failure(*salvage, index=0)
    elif deepest > ctx.max_depth:
        yield ctx.failure(
            Reason.TOO_DEEP.value,
            f"JSON nested deeper than the {ctx.max_depth}-level limit",
            index=0,
        )
    else:
        yield ctx.failure(
            Reason.RECORD_TOO_LARGE.value,
            "a top-level JSON object larger than"
            f" {ctx.whole_json_bytes} bytes holds no list of records",
            index=0,
        )


def _stream_error(exc: Exception, ctx: ReadContext) -> Unit:
    if isinstance(exc, UnicodeDecodeError):
        return ctx.failure(
            Reason.DECODE_ERROR.value,
            f"bytes that are not UTF-8 after {ctx.next_index} records: {exc.reason}",
            index=ctx.next_index,
        )
    # ijson's message goes on to quote the bytes around the error: keep its first line.
    message = str(exc).split("\n", 1)[0] or "no JSON value"
    truncated = "premature EOF" in message or "Incomplete" in message
    reason = Reason.TRUNCATED_JSON.value if truncated else Reason.INVALID_JSON.value
    return ctx.failure(
        reason, f"invalid JSON after {ctx.next_index} records: {message}", index=ctx.next_index
    )


def _scalar(value: Any, ctx: ReadContext, container: str | None) -> Unit:
    if isinstance(value, str) and LONE_SURROGATE in value:
        return ctx.failure(Reason.DECODE_ERROR.value, _SURROGATE_DETAIL, index=ctx.next_index)
    return RawRecord(ctx.key, value, None, ctx.next_index, "json", ctx.encoding_note, container)


def _elements(events: Events, ctx: ReadContext, container: str | None) -> Iterator[Unit]:
    """Yield the elements of the array whose ``start_array`` was just read."""
    first = True
    for _, event, value in events:
        if event == "end_array":
            return
        if event not in _OPEN:
            if first and is_turn(value, ctx.fields):
                raise _SingleRecord
            first = False
            yield _scalar(value, ctx, container)
            ctx.next_index += 1
            continue
        built = _Builder(ctx.max_record_bytes, ctx.max_depth)
        value = built.build(events, event)
        if first and is_turn(value, ctx.fields):
            raise _SingleRecord
        first = False
        if built.verdict is None:
            yield RawRecord(
                ctx.key, value, None, ctx.next_index, "json", ctx.encoding_note, container
            )
        else:
            yield ctx.failure(*built.verdict, index=ctx.next_index)
        ctx.next_index += 1


class _Builder:
    """Builds one element from events. Past the byte or depth limit it stops building (the
    events are still consumed to the element's end); a repeated key or a lone surrogate only
    sets the verdict, so that the value can still tell a turn from a record."""

    def __init__(self, limit: int, max_depth: int) -> None:
        self.limit = limit
        self.max_depth = max_depth
        self.verdict: tuple[str, str] | None = None

    def build(self, events: Events, start: str) -> Any:
        builder: Any = ijson.ObjectBuilder()
        builder.event(start, None)
        keys: list[set[str] | None] = [set() if start == "start_map" else None]
        size, building = 0, True
        for _, event, value in events:
            if event in _OPEN:
                keys.append(set() if event == "start_map" else None)
                if len(keys) > self.max_depth and building:
                    building = self._give_up(
                        Reason.TOO_DEEP, f"nested deeper than {self.max_depth} levels"
                    )
            elif event in _CLOSE:
                keys.pop()
            elif isinstance(value, str):
                size += len(value)
                if LONE_SURROGATE in value and self.verdict is None:
                    self.verdict = Reason.DECODE_ERROR.value, _SURROGATE_DETAIL
                names = keys[-1] if event == "map_key" else None
                if names is not None:
                    if value in names and self.verdict is None:
                        self.verdict = Reason.DUPLICATE_KEY.value, DUPLICATE_DETAIL
                    names.add(value)
            size += 8
            if size > self.limit and building:
                building = self._give_up(
                    Reason.RECORD_TOO_LARGE, f"larger than the {self.limit}-byte record limit"
                )
            if building:
                builder.event(event, value)
            if not keys:
                break
        return builder.value if building else None

    def _give_up(self, reason: Reason, why: str) -> bool:
        self.verdict = reason.value, f"array element {why}"
        return False


def _skip(events: Events) -> int:
    """Consume the value whose start was just read; return how deep it nests."""
    depth = deepest = 1
    for _, event, _ in events:
        if event in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif event in _CLOSE:
            depth -= 1
            if depth == 0:
                break
    return deepest


class Prefixed:
    """``read(n)`` over bytes already taken from a buffer, then the rest of the buffer."""

    def __init__(self, head: bytes, rest: io.BufferedReader) -> None:
        self._head = memoryview(head)
        self._pos = 0
        self._rest = rest

    def read(self, n: int) -> bytes:
        if self._pos < len(self._head):
            chunk = bytes(self._head[self._pos : self._pos + n])
            self._pos += len(chunk)
            return chunk
        return self._rest.read(n)

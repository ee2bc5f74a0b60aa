"""JSON files: a top-level array, a container object (``{"train": [...]}``) or one record.

Objects up to ``whole_json_bytes`` are parsed whole with orjson. Larger ones, and small ones that
fail to parse (to salvage the elements before a truncation), are streamed with ijson: records are
the elements of the top-level array or of every top-level key holding an array; other top-level
values are file metadata, not records. A streamed element is built only up to the record limit.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import ijson
import orjson

from pixel_platform.core.reasons import Reason
from pixel_platform.ingest.context import ReadContext, Unit
from pixel_platform.ingest.line_readers import read_jsonl
from pixel_platform.ingest.raw import RawRecord
from pixel_platform.ingest.shapes import container_keys, is_turn, is_turn_list
from pixel_platform.ingest.streams import SNIFF_BYTES, decode_lenient, is_binary

IJSON_BUFFER = 1 << 16


def read_json(buf: io.BufferedReader, ctx: ReadContext) -> Iterator[Unit]:
    if is_binary(buf.peek(SNIFF_BYTES)[:SNIFF_BYTES]):
        yield ctx.failure(
            Reason.BINARY_CONTENT.value,
            "file holds NUL or control bytes, not text",
            index=0,
            raw=buf.peek(SNIFF_BYTES)[:SNIFF_BYTES],
        )
        return
    data = buf.read(ctx.whole_json_bytes + 1)
    if len(data) > ctx.whole_json_bytes:
        yield from _stream(_Prefixed(data, buf), ctx, salvage=False)
        return
    if ctx.problem:  # the bytes stop early (truncated gzip): keep the elements before the damage
        yield from _stream(io.BytesIO(data), ctx, salvage=True)
        return
    if not data or data.isspace():  # isspace, not strip: no copy of a 64 MiB buffer
        ctx.empty_detail = "only whitespace"
        return
    note = ctx.encoding_note
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "not valid UTF-8" not in str(exc):
            yield from _unparsable(data, exc, ctx)
            return
        text, note = decode_lenient(data)
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as retry:
            yield ctx.failure(
                _json_reason(str(retry), len(text), retry.pos),
                f"invalid JSON: {retry}",
                index=0,
                raw=data,
            )
            return
    yield from _units(value, ctx, note)


def _units(value: Any, ctx: ReadContext, note: str | None) -> Iterator[Unit]:
    key, fields = ctx.key, ctx.fields
    if isinstance(value, list):
        if is_turn_list(value, fields):  # a bare list of turns is one conversation
            yield RawRecord(key, value, None, 0, "json", note)
            return
        for index, element in enumerate(value):
            yield RawRecord(key, element, None, index, "json", note)
        ctx.empty_detail = "the top-level array is empty"
        return
    containers = container_keys(value, fields) if isinstance(value, dict) else []
    if not containers:
        yield RawRecord(key, value, None, 0, "json", note)
        return
    index = 0
    for container in containers:
        for element in value[container]:
            yield RawRecord(key, element, None, index, "json", note, container)
            index += 1
    ctx.empty_detail = f"the record lists under {', '.join(containers)} are empty"


def _unparsable(data: bytes, exc: orjson.JSONDecodeError, ctx: ReadContext) -> Iterator[Unit]:
    message = str(exc)
    if "unexpected content after document" in message and _first_line_is_json(data):
        # JSON Lines saved as .json (common with Hugging Face exports): read it as such.
        for unit in read_jsonl(io.BytesIO(data), ctx):
            if isinstance(unit, RawRecord):
                unit.file_format = "jsonl"
            yield unit
        return
    # Salvage the elements before the damage; the stream reports the failure for the rest.
    yield from _stream(io.BytesIO(data), ctx, salvage=True)


def _first_line_is_json(data: bytes) -> bool:
    start = 0
    while start < len(data) and data[start] in b" \t\r\n":
        start += 1
    end = data.find(b"\n", start)
    first = data[start : end if end >= 0 else len(data)]
    try:
        return isinstance(orjson.loads(first), dict | list)
    except orjson.JSONDecodeError:
        return False


def _json_reason(message: str, size: int, pos: int) -> str:
    truncated = "end of data" in message or "premature EOF" in message or pos >= size - 1
    return Reason.TRUNCATED_JSON.value if truncated else Reason.INVALID_JSON.value


class _SingleRecord(Exception):
    """The streamed array holds turns: the whole object is one conversation, not a container."""


def _stream(source: Any, ctx: ReadContext, *, salvage: bool) -> Iterator[Unit]:
    events = ijson.parse(source, buf_size=IJSON_BUFFER, use_float=True)
    yielded = ctx.next_index
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
                    _skip(events)
        else:
            yield RawRecord(ctx.key, value, None, 0, "json", ctx.encoding_note)
            ctx.next_index = 1
    except (ijson.JSONError, StopIteration) as exc:
        if not ctx.problem:  # after stream damage read_stream reports the cause instead
            # ijson's message goes on to quote the bytes around the error: keep its first line.
            message = str(exc).split("\n", 1)[0] or "no JSON value"
            truncated = "premature EOF" in message or "Incomplete" in message
            reason = Reason.TRUNCATED_JSON.value if truncated else Reason.INVALID_JSON.value
            yield ctx.failure(
                reason,
                f"invalid JSON after {ctx.next_index} records: {message}",
                index=ctx.next_index,
            )
        return
    except _SingleRecord:
        if not salvage:
            yield ctx.failure(
                Reason.RECORD_TOO_LARGE.value,
                f"one JSON conversation larger than {ctx.whole_json_bytes} bytes",
                index=ctx.next_index,
            )
        elif not ctx.problem:
            yield ctx.failure(
                Reason.TRUNCATED_JSON.value,
                "the JSON record is truncated or invalid",
                index=ctx.next_index,
            )
        return
    if not salvage and ctx.next_index == yielded:
        yield ctx.failure(
            Reason.RECORD_TOO_LARGE.value,
            "a top-level JSON object larger than"
            f" {ctx.whole_json_bytes} bytes holds no list of records",
            index=0,
        )


def _elements(
    events: Iterator[tuple[str, str, Any]], ctx: ReadContext, container: str | None
) -> Iterator[Unit]:
    """Yield the elements of the array whose ``start_array`` was just read."""
    first = True
    for _, event, value in events:
        if event == "end_array":
            return
        too_large = False
        if event in ("start_map", "start_array"):
            value, too_large = _build(events, event, ctx.max_record_bytes)
        if first and is_turn(value, ctx.fields):
            raise _SingleRecord
        first = False
        if too_large:
            yield ctx.failure(
                Reason.RECORD_TOO_LARGE.value,
                f"array element larger than the {ctx.max_record_bytes}-byte limit",
                index=ctx.next_index,
            )
        else:
            yield RawRecord(
                ctx.key, value, None, ctx.next_index, "json", ctx.encoding_note, container
            )
        ctx.next_index += 1


def _build(events: Iterator[tuple[str, str, Any]], start: str, limit: int) -> tuple[Any, bool]:
    """Build one element from events, giving up on the value (not the events) past ``limit``."""
    builder: Any = ijson.ObjectBuilder()
    builder.event(start, None)
    depth, size, too_large = 1, 0, False
    for _, event, value in events:
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
        size += len(value) if isinstance(value, str) else 8
        if not too_large:
            if size > limit:
                too_large, builder = True, None
            else:
                builder.event(event, value)
        if depth == 0:
            break
    return (None if too_large else builder.value), too_large


def _skip(events: Iterator[tuple[str, str, Any]]) -> None:
    depth = 1
    for _, event, _ in events:
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                return


class _Prefixed:
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

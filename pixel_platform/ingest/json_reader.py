"""JSON files: a top-level array, a container object (``{"train": [...]}``) or one record.

Objects up to ``whole_json_bytes`` are parsed whole with orjson, then each record is checked for
depth and the whole text for repeated keys (``json_checks``). Larger ones, and small ones that
orjson refused (to salvage the records around the damage), are streamed with ijson
(``json_stream``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import orjson

from pixel_platform.core.reasons import Reason
from pixel_platform.ingest.context import ReadContext, Unit
from pixel_platform.ingest.json_checks import (
    DUPLICATE_DETAIL,
    json_error,
    key_ends,
    shape,
)
from pixel_platform.ingest.json_stream import Prefixed, stream_json
from pixel_platform.ingest.line_readers import read_jsonl
from pixel_platform.ingest.raw import RawRecord
from pixel_platform.ingest.shapes import container_keys, is_turn_list
from pixel_platform.ingest.streams import SNIFF_BYTES, decode_lenient, is_binary


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
        yield from stream_json(Prefixed(data, buf), ctx, salvage=None)
        return
    if ctx.problem:  # the bytes stop early (truncated gzip): keep the elements before the damage
        cause = Reason.TRUNCATED_JSON.value, "the object is cut short"
        yield from stream_json(io.BytesIO(data), ctx, salvage=cause)
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
            yield ctx.failure(*json_error(str(retry), cut_short=True), index=0, raw=data)
            return
        data = text.encode()
    yield from _units(value, data, ctx, note)


def _records(value: Any, ctx: ReadContext) -> tuple[list[tuple[Any, str | None]], list[str]]:
    """The records of a parsed object with their container key, and the container keys."""
    if isinstance(value, list):
        if is_turn_list(value, ctx.fields):  # a bare list of turns is one conversation
            return [(value, None)], []
        ctx.empty_detail = "the top-level array is empty"
        return [(element, None) for element in value], []
    containers = container_keys(value, ctx.fields) if isinstance(value, dict) else []
    if not containers:
        return [(value, None)], []
    ctx.empty_detail = f"the {len(containers)} lists of records are empty"
    return [(element, key) for key in containers for element in value[key]], containers


def _units(value: Any, data: bytes, ctx: ReadContext, note: str | None) -> Iterator[Unit]:
    records, containers = _records(value, ctx)
    shapes = [shape(record, ctx.max_depth) for record in records]
    outer = 0  # keys outside the records: the container object's own and its metadata's
    if containers:
        outer = len(value) + sum(shape(v)[1] for k, v in value.items() if k not in containers)
    duplicates: list[bool] | None = None
    if key_ends(data) != outer + sum(keys for _, keys in shapes):
        duplicates, lost = _duplicates(data, ctx, len(records))
        if lost:
            yield ctx.failure(
                Reason.DUPLICATE_KEY.value,
                "the top-level object names a key that holds records twice: the records"
                " listed under its first use are not read",
            )
    for index, ((record, container), (depth, _)) in enumerate(zip(records, shapes, strict=True)):
        if depth > ctx.max_depth:
            yield ctx.failure(
                Reason.TOO_DEEP.value,
                f"JSON nested deeper than the {ctx.max_depth}-level limit",
                index=index,
            )
        elif duplicates is not None and duplicates[index]:
            yield ctx.failure(Reason.DUPLICATE_KEY.value, DUPLICATE_DETAIL, index=index)
        else:
            yield RawRecord(ctx.key, record, None, index, "json", note, container)


class _Repeats(dict[str, Any]):
    """An object that named a key twice (the standard library's parse, kept last-wins)."""

    repeated: frozenset[str] = frozenset()


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) == len(pairs):
        return value
    marked = _Repeats(value)
    seen: set[str] = set()
    repeated: set[str] = set()
    for key, _ in pairs:
        (repeated if key in seen else seen).add(key)
    marked.repeated = frozenset(repeated)
    return marked


def _holds_repeats(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if type(node) is _Repeats:
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _duplicates(data: bytes, ctx: ReadContext, count: int) -> tuple[list[bool], bool]:
    """Which records name a key twice, and whether the container object does: the text is
    parsed again with the standard library, which shows every object's keys."""
    try:
        again = json.loads(data, object_pairs_hook=_pairs)
    except (ValueError, RecursionError):  # deeper than it reads: too_deep catches those
        return [False] * count, False
    records, containers = _records(again, ctx)
    flags = [_holds_repeats(record) for record, _ in records]
    if len(flags) != count:  # cannot happen: both parsers keep the last value of a key
        return [False] * count, False
    lost = type(again) is _Repeats and not again.repeated.isdisjoint(containers)
    return flags, lost


def _unparsable(data: bytes, exc: orjson.JSONDecodeError, ctx: ReadContext) -> Iterator[Unit]:
    message = str(exc)
    if "unexpected content after document" in message and _first_line_is_json(data):
        # JSON Lines saved as .json (common with Hugging Face exports): read it as such.
        for unit in read_jsonl(io.BytesIO(data), ctx):
            if isinstance(unit, RawRecord):
                unit.file_format = "jsonl"
            yield unit
        return
    # Salvage the records around the damage; the stream reports the failure for the rest.
    yield from stream_json(io.BytesIO(data), ctx, salvage=json_error(message, cut_short=True))


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

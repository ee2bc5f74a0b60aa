"""Line-oriented readers: JSON Lines (one record per line) and plain text (one record per file).

A JSON line that does not parse is one failure: ``truncated_json`` for a last line that stops
before its value does (the object was cut short), ``decode_error`` for a lone UTF-16 surrogate
escape, ``invalid_json`` otherwise. A line that parses is still refused when it nests too deep or
names a key twice (``json_checks``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import orjson

from pixel_platform.core.reasons import Reason
from pixel_platform.ingest.context import ReadContext, Unit
from pixel_platform.ingest.json_checks import json_error, problem
from pixel_platform.ingest.raw import RawRecord
from pixel_platform.ingest.streams import SNIFF_BYTES, decode_lenient, is_binary

SKIP_CHUNK = 1 << 20
# orjson refuses raw C0 controls in strings, so in a JSON line they can only come from these
# escapes (C1 controls and bidi marks are not ASCII: cleaning always scans non-ASCII text).
_CONTROL_ESCAPE = re.compile(rb"\\(?:[bf]|u00[01]|u007[fF])").search


def skip_line(buf: io.BufferedIOBase) -> None:
    """Consume the rest of an over-long line without holding it."""
    while True:
        chunk = buf.readline(SKIP_CHUNK)
        if not chunk or chunk.endswith(b"\n"):
            return


def read_jsonl(buf: io.BufferedIOBase, ctx: ReadContext) -> Iterator[Unit]:
    # The hot loop of ingestion: locals only, orjson on the raw bytes, slow paths out of line.
    key, note, limit, depth = ctx.key, ctx.encoding_note, ctx.max_record_bytes, ctx.max_depth
    readline, loads, decode_error = buf.readline, orjson.loads, orjson.JSONDecodeError
    line_no = index = 0
    last = False
    while True:
        line = readline(limit + 1)
        if not line:
            break
        line_no += 1
        if line[-1] != 10:  # no newline: the last line, or one over the limit
            if len(line) > limit:
                skip_line(buf)
                yield ctx.failure(
                    Reason.RECORD_TOO_LARGE.value,
                    f"line is longer than the {limit}-byte record limit",
                    line=line_no,
                    index=index,
                    raw=line,
                )
                index += 1
                continue
            if ctx.problem:  # a last line cut short by stream damage: the failure covers it
                line_no -= 1
                break
            last = True
        if line.isspace():
            continue
        try:
            payload = loads(line)
        except decode_error as exc:
            yield _jsonl_slow(line, exc, ctx, line_no, index, last)
        else:
            found = problem(line, payload, depth)
            if found is not None:
                yield ctx.failure(*found, line=line_no, index=index, raw=line)
            else:
                controls = line.find(b"\\") >= 0 and _CONTROL_ESCAPE(line) is not None
                controls = controls or line.find(b"\x7f") >= 0
                yield RawRecord(key, payload, line_no, index, "jsonl", note, None, controls)
        index += 1
    ctx.next_line, ctx.next_index = line_no + 1, index
    ctx.empty_detail = "no non-blank lines"


def _jsonl_slow(
    line: bytes,
    exc: orjson.JSONDecodeError,
    ctx: ReadContext,
    line_no: int,
    index: int,
    last: bool,
) -> Unit:
    """A line orjson refused: a stray BOM, non-UTF-8 bytes, binary junk, a lone surrogate
    escape, a last line cut short or plain bad JSON."""
    if line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]
    if is_binary(line):
        return ctx.failure(
            Reason.BINARY_CONTENT.value,
            "line holds NUL or control bytes, not text",
            line=line_no,
            index=index,
            raw=line,
        )
    text, note = decode_lenient(line)
    try:
        payload = orjson.loads(text)
    except orjson.JSONDecodeError as retry:
        exc = retry
    else:
        found = problem(text.encode(), payload, ctx.max_depth)
        if found is not None:
            return ctx.failure(*found, line=line_no, index=index, raw=line)
        return RawRecord(ctx.key, payload, line_no, index, "jsonl", note or ctx.encoding_note)
    reason, detail = json_error(str(exc), cut_short=last)
    return ctx.failure(reason, detail, line=line_no, index=index, raw=line)


def read_txt(buf: io.BufferedIOBase, ctx: ReadContext) -> Iterator[Unit]:
    """A whole text file is one record (a transcript); capped at the record limit."""
    ctx.next_line, ctx.next_index = 1, 0
    data = buf.read(ctx.max_record_bytes + 1)
    if len(data) > ctx.max_record_bytes:
        yield ctx.failure(
            Reason.RECORD_TOO_LARGE.value,
            f"text file is larger than the {ctx.max_record_bytes}-byte record limit",
            line=1,
            index=0,
            raw=data,
        )
        return
    if ctx.problem or not data or data.isspace():
        ctx.empty_detail = "only whitespace"
        return  # a cut-short transcript is not kept: the stream failure covers it
    if is_binary(data[:SNIFF_BYTES]) or b"\x00" in data:
        yield ctx.failure(
            Reason.BINARY_CONTENT.value,
            "file holds NUL or control bytes, not text",
            line=1,
            index=0,
            raw=data,
        )
        return
    text, note = decode_lenient(data)
    yield RawRecord(ctx.key, text, 1, 0, "txt", note or ctx.encoding_note)

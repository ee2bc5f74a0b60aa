"""Streaming readers: an object's bytes -> one ``RawRecord`` or ``ReadFailure`` per unit of input.

A unit is a JSONL line, a JSON array element, a CSV row or a whole text file. Every unit ends as
exactly one record or one failure, and a file always yields at least one unit (an empty file is an
``EMPTY_FILE`` failure), so ``units_in == records_out + quarantined`` can be checked end to end.
Readers never raise on bad content, whatever the bytes (a fuzz test holds them to it), and never
hold more than ``max_record_bytes`` of one record (JSON files under ``whole_json_bytes`` are the
exception: they are parsed whole, which is faster). JSON nested deeper than ``max_depth`` is
``too_deep``; an object naming a key twice is ``duplicate_key`` (``json_checks``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import BinaryIO

from pixel_platform.core.reasons import Reason
from pixel_platform.ingest.context import ReadContext, Unit
from pixel_platform.ingest.csv_reader import read_csv
from pixel_platform.ingest.json_checks import MAX_DEPTH
from pixel_platform.ingest.json_reader import read_json
from pixel_platform.ingest.line_readers import read_jsonl, read_txt
from pixel_platform.ingest.raw import ReadFailure
from pixel_platform.ingest.streams import open_utf8
from pixel_platform.registry.model import FieldMapping
from pixel_platform.storage.base import ObjectStore

MAX_RECORD_BYTES = 16 * 2**20
WHOLE_JSON_BYTES = 64 * 2**20  # larger .json objects are streamed with ijson

EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".txt": "txt",
    ".md": "txt",
}


def file_format(key: str) -> tuple[str | None, bool, str]:
    """``(format, gzipped, extension)`` from the key's name; format is None when unsupported."""
    name = key.rsplit("/", 1)[-1].lower()
    gzipped = name.endswith(".gz")
    if gzipped:
        name = name[: -len(".gz")]
    ext = name[name.rfind(".") :] if "." in name else ""
    return EXTENSIONS.get(ext), gzipped, ext + (".gz" if gzipped else "")


def read_stream(
    stream: BinaryIO,
    key: str,
    *,
    max_record_bytes: int = MAX_RECORD_BYTES,
    fields: FieldMapping | None = None,
    whole_json_bytes: int = WHOLE_JSON_BYTES,
    max_depth: int = MAX_DEPTH,
) -> Iterator[Unit]:
    """Yield one record or failure per unit of ``stream``; the format comes from ``key``."""
    fmt, gzipped, ext = file_format(key)
    if fmt is None:
        supported = ", ".join(sorted(EXTENSIONS))
        yield ReadFailure(
            key,
            Reason.UNSUPPORTED_FILE_TYPE.value,
            f"no reader for {ext or 'a name without extension'!r}; supported:"
            f" {supported} (each optionally .gz)",
        )
        return
    opened = open_utf8(stream, gzipped=gzipped)
    ctx = ReadContext(
        key,
        max_record_bytes,
        max(whole_json_bytes, 0),
        fields or FieldMapping(),
        opened.encoding_note,
        opened.problem,
        max_depth,
    )
    units = 0
    for unit in _READERS[fmt](opened.buf, ctx):
        units += 1
        yield unit
    if opened.problem:
        yield ctx.failure(
            str(opened.problem.reason),
            opened.problem.detail + "; units before the damage were kept, this covers the rest",
            line=ctx.next_line,
            index=ctx.next_index,
        )
    elif units == 0:
        yield ctx.failure(Reason.EMPTY_FILE.value, ctx.empty_detail)


def read_object(store: ObjectStore, key: str, **kwargs: object) -> Iterator[Unit]:
    """``read_stream`` over ``store.open_read(key)``; the object is closed when iteration ends."""
    with store.open_read(key) as stream:
        yield from read_stream(stream, key, **kwargs)  # type: ignore[arg-type]


_READERS: dict[str, Callable[[io.BufferedReader, ReadContext], Iterator[Unit]]] = {
    "jsonl": read_jsonl,
    "json": read_json,
    "csv": read_csv,
    "txt": read_txt,
}

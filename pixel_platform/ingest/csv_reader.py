"""CSV files: one record (a dict keyed by the header) per row, with the row's first line number.

Lines are decoded one at a time (so a stray cp1252 byte affects only its row) and fed to a strict
``csv.reader``. A bad row becomes one ``CSV_MALFORMED`` failure and reading goes on. A quoted field
that never closes would swallow the rest of the file, so when a multi-line row fails (or grows past
the record limit) the row's first line is blamed and the lines after it are parsed again.

The first row is the header. When none of its cells names a field the family reads, it is
probably the first row of a CSV that has no header: it becomes a ``csv_header_unknown`` unit of
its own (counted and quarantined, never silently used up as column names), and the rows under
it go on to the converter, which quarantines what it cannot read. Details never quote a cell.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Iterator

from pixel_platform.core.reasons import Reason
from pixel_platform.ingest.context import ReadContext, Unit
from pixel_platform.ingest.line_readers import skip_line
from pixel_platform.ingest.raw import RawRecord
from pixel_platform.ingest.shapes import record_fields
from pixel_platform.ingest.streams import SNIFF_BYTES, decode_lenient, is_binary

_Line = tuple[int, str, str | None]  # line number, text, encoding note


class _RowError(Exception):
    """A row that cannot be parsed."""

    def __init__(self, reason: str, detail: str, line_no: int) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.line_no = reason, detail, line_no


class _Lines:
    """Feeds ``csv.reader`` decoded lines and remembers the lines of the row being parsed."""

    def __init__(self, buf: io.BufferedReader, ctx: ReadContext) -> None:
        self._buf = buf
        self._ctx = ctx
        self._limit = ctx.max_record_bytes
        self.pending: deque[_Line] = deque()  # lines to parse again after a runaway row
        self.row: list[_Line] = []
        self._row_bytes = 0
        self.next_line_no = 1
        self.damaged = False  # the stream ended mid-line because of damage below us

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.pending.popleft() if self.pending else self._read()
        self.row.append(line)
        self._row_bytes += len(line[1])
        if "\x00" in line[1]:
            raise _RowError(
                Reason.CSV_MALFORMED.value, f"line {line[0]} contains a NUL byte", line[0]
            )
        if self._row_bytes > self._limit and len(self.row) > 1:
            raise _RowError(
                Reason.CSV_MALFORMED.value,
                f"row grows past the {self._limit}-byte record"
                " limit: probably a quoted field that is never closed",
                line[0],
            )
        return line[1]

    def _read(self) -> _Line:
        raw = self._buf.readline(self._limit + 1)
        if not raw:
            raise StopIteration
        line_no = self.next_line_no
        self.next_line_no += 1
        if raw[-1:] != b"\n":
            if len(raw) > self._limit:
                skip_line(self._buf)
                raise _RowError(
                    Reason.RECORD_TOO_LARGE.value,
                    f"line {line_no} is longer than the {self._limit}-byte record limit",
                    line_no,
                )
            if self._ctx.problem:  # cut short by stream damage: the stream failure covers it
                self.damaged = True
                self.next_line_no = line_no
                raise StopIteration
        text, note = decode_lenient(raw)
        return line_no, text, note

    def start_row(self) -> None:
        self.row = []
        self._row_bytes = 0

    def parse_again_after_first(self) -> None:
        self.pending.extendleft(reversed(self.row[1:]))


def _header(row: list[str]) -> list[str]:
    """Column names; an empty name becomes ``column_<i>`` and a repeated one gets ``_<n>``."""
    names: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(row):
        name = name.strip() or f"column_{i}"
        base, n = name, 1
        while name in seen:
            n += 1
            name = f"{base}_{n}"
        seen.add(name)
        names.append(name)
    return names


def read_csv(buf: io.BufferedReader, ctx: ReadContext) -> Iterator[Unit]:
    sample = buf.peek(SNIFF_BYTES)[:SNIFF_BYTES]
    if is_binary(sample, nul_is_binary=False):
        yield ctx.failure(
            Reason.BINARY_CONTENT.value,
            "file holds NUL or control bytes, not text",
            index=0,
            raw=sample,
        )
        return
    # Long therapist answers exceed csv's default 128 KiB field limit; our own row limit applies.
    csv.field_size_limit(max(csv.field_size_limit(), ctx.max_record_bytes + 1))
    lines = _Lines(buf, ctx)
    reader = csv.reader(lines, strict=True)
    header: list[str] | None = None
    index = 0
    while True:
        lines.start_row()
        try:
            row = next(reader)
        except StopIteration:
            break
        except (csv.Error, _RowError) as exc:
            if lines.damaged:
                break
            if not isinstance(exc, _RowError):
                end = lines.row[-1][0] if lines.row else lines.next_line_no
                exc = _RowError(Reason.CSV_MALFORMED.value, f"{exc} (row ends at line {end})", end)
            start = lines.row[0][0] if lines.row else exc.line_no
            raw = lines.row[0][1].encode() if lines.row else None
            yield ctx.failure(exc.reason, exc.detail, line=start, index=index, raw=raw)
            index += 1
            if len(lines.row) > 1:
                lines.parse_again_after_first()
            reader = csv.reader(lines, strict=True)  # a fresh parser state for the next row
            continue
        if not row:
            continue  # a blank line
        start = lines.row[0][0]
        if header is None:
            header = _header(row)
            if record_fields(ctx.fields).isdisjoint(header):
                yield ctx.failure(
                    Reason.CSV_HEADER_UNKNOWN.value,
                    f"none of the {len(header)} cells of the first row names a field the family"
                    " reads: a CSV without a header row (this row is data), or columns the"
                    " registry's fields do not map",
                    line=start,
                    index=index,
                    raw=lines.row[0][1].encode(),
                )
                index += 1
            continue
        if len(row) != len(header):
            yield ctx.failure(
                Reason.CSV_MALFORMED.value,
                f"row has {len(row)} fields; the header has {len(header)}",
                line=start,
                index=index,
                raw=lines.row[0][1].encode(),
            )
        else:
            note = next((n for _, _, n in lines.row if n), None) or ctx.encoding_note
            yield RawRecord(ctx.key, dict(zip(header, row, strict=True)), start, index, "csv", note)
        index += 1
    ctx.next_line, ctx.next_index = lines.next_line_no, index
    ctx.empty_detail = "no header row" if header is None else "a header but no data rows"

"""The byte layer under the readers: decompression, encoding sniffing and damage containment.

Every reader works on one ``io.BufferedReader`` of UTF-8 bytes built here, so the format readers
never care whether the object was gzipped or UTF-16. Damage below that buffer (a truncated gzip, a
UTF-16 stream that stops mid-character) is turned into end-of-data and remembered in a
``StreamProblem``: the reader keeps every record it got before the damage, and ``read_stream``
adds one failure for the rest. Errors of the underlying object stream itself (network, disk) are
not caught: the storage layer already classifies those as transient or terminal.
"""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from pixel_platform.core.reasons import Reason

BUFFER_BYTES = 1 << 20  # big enough that a C-level readline rarely refills
SNIFF_BYTES = 8192  # what the binary check looks at for whole-file formats
EXCERPT_BYTES = 500

_GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)

# C0 controls except tab, LF, VT, FF and CR, plus DEL: real text has almost none of them.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL_BYTES)

# cp1252 leaves five bytes undefined; those fall back to latin-1 (the C1 control of that value).
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_BYTE_TO_CHAR = tuple(
    bytes([b]).decode("latin-1") if b in _CP1252_UNDEFINED else bytes([b]).decode("cp1252")
    for b in range(256)
)
_LATIN1_ONLY = frozenset(chr(b) for b in _CP1252_UNDEFINED)


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return "".join(_BYTE_TO_CHAR[b] for b in bad), exc.end


codecs.register_error("pixel_cp1252", _cp1252_fallback)


def decode_lenient(data: bytes) -> tuple[str, str | None]:
    """Decode UTF-8; bytes that are not valid UTF-8 are read as cp1252 (latin-1 where cp1252 has
    no character). Valid UTF-8 sequences in the same text stay intact, so one stray byte does not
    turn a whole UTF-8 line into mojibake. Returns the text and an encoding note (None if clean).
    """
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        text = data.decode("utf-8", "pixel_cp1252")
    if any(ch in _LATIN1_ONLY for ch in text):
        return text, "latin-1"
    return text, "cp1252"


def is_binary(sample: bytes, *, nul_is_binary: bool = True) -> bool:
    """NUL bytes, or more than 5% control bytes: not text, whatever the extension says.

    The CSV reader passes ``nul_is_binary=False`` so that one stray NUL fails its row, not the file.
    """
    if not sample:
        return False
    if nul_is_binary and b"\x00" in sample:
        return True
    controls = len(sample.translate(None, _NOT_CONTROL))  # deleting the rest leaves the controls
    return controls * 20 > len(sample)


def excerpt(data: bytes) -> str:
    return data[:EXCERPT_BYTES].decode("utf-8", "replace")


@dataclass
class StreamProblem:
    """The first damage found below the reader; ``read_stream`` turns it into one failure."""

    reason: str | None = None
    detail: str = ""

    def __bool__(self) -> bool:
        return self.reason is not None

    def set(self, reason: str, detail: str) -> None:
        # The first damage is the cause; later errors (a decoder that sees its input end early
        # because gzip stopped) are consequences.
        if self.reason is None:
            self.reason, self.detail = reason, detail


class _GuardedRaw(io.RawIOBase):
    """A raw stream over ``read(n)`` that reports decompression/decoding damage as end-of-data."""

    def __init__(self, read: Callable[[int], bytes], problem: StreamProblem) -> None:
        self._read = read
        self._problem = problem

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._problem:
            return 0
        try:
            data = self._read(len(buffer))
        except _GZIP_ERRORS as exc:
            # "Not a gzipped file (b'{\"')" quotes the object's first bytes: not those.
            message = str(exc).split(" (b", 1)[0]
            self._problem.set(
                Reason.TRUNCATED_GZIP.value, f"gzip stream is truncated or corrupt: {message}"
            )
            return 0
        except UnicodeDecodeError as exc:
            self._problem.set(
                Reason.DECODE_ERROR.value, f"{exc.encoding} stream cannot be decoded: {exc.reason}"
            )
            return 0
        n = len(data)
        buffer[:n] = data
        return n


class _Utf8Encoder:
    """``read(n)`` over a text stream, returning its UTF-8 bytes (at most ``n``)."""

    def __init__(self, text: io.TextIOBase) -> None:
        self._text = text
        self._pending = b""

    def read(self, n: int) -> bytes:
        while len(self._pending) < n:
            # Small reads: a decode error loses only the chunk it happens in.
            chunk = self._text.read(max(min(n // 4, 8192), 1))
            if not chunk:
                break
            self._pending += chunk.encode("utf-8", "surrogatepass")
        out, self._pending = self._pending[:n], self._pending[n:]
        return out


def _bomless_utf16(head: bytes) -> str | None:
    """UTF-16 without a BOM shows as ASCII with every other byte zero; name the byte order."""
    sample = head[: len(head) // 2 * 2][:64]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) == len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) == len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


@dataclass
class Opened:
    buf: io.BufferedReader[Any]
    problem: StreamProblem
    encoding_note: str | None  # "utf-16" when the whole object was transcoded


def open_utf8(stream: BinaryIO, *, gzipped: bool) -> Opened:
    """Wrap ``stream`` so that reading yields UTF-8 bytes with any BOM removed."""
    problem = StreamProblem()
    source: Callable[[int], bytes] = stream.read
    if gzipped:
        # read1, not read: read loops over several decompressions and loses what it had
        # decompressed when a later one hits the truncation.
        source = gzip.GzipFile(fileobj=stream, mode="rb").read1
    buf = io.BufferedReader(_GuardedRaw(source, problem), BUFFER_BYTES)
    head = buf.peek(64)
    encoding: str | None = None
    if head.startswith(codecs.BOM_UTF8):
        buf.read(len(codecs.BOM_UTF8))
    elif head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        encoding = "utf-16"  # the codec reads the BOM and picks the byte order
    else:
        encoding = _bomless_utf16(head)
    if encoding is None:
        return Opened(buf, problem, None)
    text = io.TextIOWrapper(buf, encoding=encoding, errors="strict", newline="")
    transcoded = io.BufferedReader(_GuardedRaw(_Utf8Encoder(text).read, problem), BUFFER_BYTES)
    return Opened(transcoded, problem, "utf-16")

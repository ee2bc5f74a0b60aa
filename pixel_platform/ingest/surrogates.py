"""Lone UTF-16 surrogate escapes in JSON text, before ijson's C backend sees them.

``"\\ud83d\\ude0a"`` (a pair) is one emoji. A lone escape (``"\\ud800"`` alone, or a low one
without its high one) is no character at all, and yajl, under ijson's fast backend, gets it
wrong without a word: a lone high surrogate becomes ``?``, a high one before another escape is
merged into a wrong character (``"\\ud800\\u0041"`` reads as U+10041), and a lone low one raises
``UnicodeDecodeError`` out of the parser. orjson refuses all of them, correctly.

``SurrogateGuard`` wraps the byte source handed to ijson and rewrites each lone surrogate escape
into ``\\ufdd0`` (same length), a noncharacter that no text should hold. The JSON reader then
quarantines the record whose strings contain ``LONE_SURROGATE`` as ``decode_error`` and goes on
with the next one. Pairs are left alone. The scan costs one substring search per chunk unless
the chunk holds a surrogate escape at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable

LONE_SURROGATE = "\ufdd0"
_REPLACEMENT = b"\\ufdd0"
_ANY = re.compile(rb"\\u[dD][89a-fA-F]").search
# A run of backslashes (from its start) before a surrogate escape: odd length makes it an escape.
_ESCAPE = re.compile(rb"(?<!\\)(\\+)u[dD]([89a-fA-F])[0-9a-fA-F]{2}")
_LOW = re.compile(rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_HOLD = 12  # an escape and the pair it may need: the tail kept back until more bytes come


class SurrogateGuard:
    """``read(n)`` over ``read``, with lone surrogate escapes replaced (see the module doc).

    Bytes are passed on up to a cut that no escape or backslash pair straddles, so the bytes
    kept back always start where an escape can start.
    """

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self._read = read
        self._carry = b""  # read, not yet scanned
        self._ready = b""  # scanned, not yet returned
        self._eof = False
        self.replaced = 0

    def read(self, n: int) -> bytes:
        """At most ``n`` bytes (ijson calls ``read(0)`` to learn bytes from str); ``b""`` only
        at the end."""
        while not self._ready and not (self._eof and not self._carry):
            data = self._carry
            if not self._eof:
                chunk = self._read(max(n, _HOLD))
                self._eof = not chunk
                data += chunk
            self._ready, cut = self._rewrite(data, len(data) if self._eof else self._cut(data))
            self._carry = data[cut:]
        out, self._ready = self._ready[:n], self._ready[n:]
        return out

    @staticmethod
    def _cut(data: bytes) -> int:
        cut = max(len(data) - _HOLD, 0)
        head = data[:cut]
        trailing = len(head) - len(head.rstrip(b"\\"))
        return cut - trailing % 2  # never between the two backslashes of an escaped one

    def _rewrite(self, data: bytes, cut: int) -> tuple[bytes, int]:
        """The bytes before ``cut`` with lone escapes replaced, and the cut (earlier when an
        escape or a pair would straddle it)."""
        if _ANY(data) is None:
            return data[:cut], cut
        out: bytearray | None = None
        paired_low = -1  # where the low half of the last paired high escape starts
        for match in _ESCAPE.finditer(data):
            if len(match.group(1)) % 2 == 0:
                continue  # escaped backslashes, then the letter u: text, not an escape
            start = match.end(1) - 1
            end = match.end()
            if start >= cut:
                break
            high = match.group(2) in b"89abAB"
            if high:
                if end + 6 > len(data) and not self._eof:
                    cut = start  # its pair may come with the next bytes
                    break
                if _LOW.match(data, end):
                    if end + 6 > cut:
                        cut = start  # keep the pair together
                        break
                    paired_low = end
                    continue
            elif start == paired_low:
                continue
            if end > cut:
                cut = start
                break
            out = out if out is not None else bytearray(data)
            out[start:end] = _REPLACEMENT
            self.replaced += 1
        return (bytes(out[:cut]) if out is not None else data[:cut]), cut

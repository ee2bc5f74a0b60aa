"""What gets hashed: a record's dialogue text, normalized to lower-case words.

``canonical_text`` turns a record into its *canonical bytes*: the contents of its non-system turns,
lower-cased, cut into words (runs of letters and digits; punctuation, underscores and whitespace
separate words; every CJK ideograph or kana is a word of its own because those scripts do not put
spaces between words), joined by single spaces, UTF-8. Shingles are runs of ``k`` consecutive words
of it. System prompts are left out for the reason ``content_hash`` leaves them out: they are set
per family, so they would make the same exchange imported twice look different (and make distinct
exchanges of one family look alike).

The ``reference_*`` functions compute shingles and their 32-bit hashes one at a time in plain
Python. They define the hash function (the vectorized code in ``minhash`` must agree with them bit
for bit) and are what the tests and the benchmark hand to ``datasketch.MinHash(hashfunc=...)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# ASCII fast path: bytes.translate maps upper to lower case and every other ASCII byte that is not
# [a-z0-9] to a space; bytes of 0x80 and up are left alone, so the table is a no-op on text that is
# already canonical (the vectorized code relies on that). Both translate and split run in C.
WORD_BYTES_TABLE = bytes(
    c
    if (0x61 <= c <= 0x7A or 0x30 <= c <= 0x39 or c >= 0x80)
    else (c + 32 if 0x41 <= c <= 0x5A else 0x20)
    for c in range(256)
)
# Ideographs, kana and their compatibility forms; Hangul is left out because Korean uses spaces.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# [^\W_] is "a letter or digit": the same set as [a-z0-9] on lower-cased ASCII.
_WORDS = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")


def _separator_class() -> re.Pattern[str]:
    """Non-ASCII characters that never belong to a word, neither as they are nor lower-cased
    (no-break and typographic spaces, curly quotes, dashes, ellipses, bullets, CJK punctuation …),
    as one character class of ranges."""
    planes = [*range(0x80, 0x2C00), *range(0x3000, 0x3040), *range(0xFE30, 0x10000)]
    chars = [
        cp
        for cp in planes
        if not any(c.isalnum() or c == "_" for c in chr(cp) + chr(cp).lower())
        and not (0xD800 <= cp <= 0xDFFF)
    ]
    ranges: list[tuple[int, int]] = []
    for cp in chars:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    body = "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )
    return re.compile(f"[{body}]")


# A word separator either way, so replacing them with a space changes no canonical text; most real
# non-ASCII text (curly apostrophes, no-break spaces) is then ASCII and takes the fast path.
_SEPARATORS = _separator_class()

SHINGLE_P = 0x9E3779B97F4A7C15  # odd, so it has an inverse mod 2^64 (the vectorized code needs it)
_M64 = (1 << 64) - 1


def dialogue_text(record: Mapping[str, Any]) -> str:
    """The contents of the record's non-system turns, one per line.

    A preference pair's rejected reply is appended: the pair is compared as a whole, so it is not
    a near-duplicate of the plain conversation of its chosen side (which stays in SFT).
    """
    messages = record.get("messages") or ()
    text = "\n".join(str(m.get("content") or "") for m in messages if m.get("role") != "system")
    preference = (record.get("metadata") or {}).get("preference")
    if isinstance(preference, Mapping) and isinstance(preference.get("rejected"), str):
        text += "\n" + preference["rejected"]
    return text


def canonical_text(text: str) -> bytes:
    if not text.isascii():
        text = _SEPARATORS.sub(" ", text)
        if not text.isascii():
            return " ".join(_WORDS.findall(text.lower())).encode("utf-8")
    return b" ".join(text.encode("ascii").translate(WORD_BYTES_TABLE).split())


def word_bytes(text: str) -> bytes:
    """Bytes that become ``canonical_text(text)`` once translated with ``WORD_BYTES_TABLE`` and
    runs of spaces are collapsed: ASCII text as is (the vectorized code does the rest for a whole
    batch at once), other text through the regex path."""
    if not text.isascii():
        text = _SEPARATORS.sub(" ", text)
        if not text.isascii():
            return canonical_text(text)
    return text.encode("ascii")


# -- the reference (one shingle at a time) -------------------------------------------------------
def reference_shingles(canonical: bytes, k: int) -> list[bytes]:
    """Word ``k``-grams joined by single spaces; a text of 1..k-1 words is one shingle; none: []."""
    if not canonical:
        return []
    words = canonical.split(b" ")
    if len(words) < k:
        return [canonical]
    return [b" ".join(words[i : i + k]) for i in range(len(words) - k + 1)]


def fmix64(h: int) -> int:
    """MurmurHash3's 64-bit finalizer (an avalanching bijection)."""
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _M64
    return h ^ (h >> 33)


def reference_poly64(data: bytes) -> int:
    """``sum(data[j] * P**(len-1-j)) mod 2**64`` (Horner's rule)."""
    h = 0
    for byte in data:
        h = (h * SHINGLE_P + byte) & _M64
    return h


def reference_shingle_hash32(shingle: bytes) -> int:
    """The 32-bit shingle hash: the high half of ``fmix64(poly64(shingle))``."""
    return fmix64(reference_poly64(shingle)) >> 32


class ReferenceShingleHasher:
    """``reference_shingle_hash32`` made fast enough for a fair baseline: it composes cached
    per-word polynomials, ``poly(A + B) = poly(A) * P**len(B) + poly(B)``, instead of looping over
    every byte of every shingle. Callable, so it can be passed as ``MinHash(hashfunc=...)``."""

    def __init__(self) -> None:
        # word -> (poly(word), P**(len(word)+1), poly(b" " + word))
        self._cache: dict[bytes, tuple[int, int, int]] = {}

    def _word(self, word: bytes) -> tuple[int, int, int]:
        entry = self._cache.get(word)
        if entry is None:
            poly = reference_poly64(word)
            power = pow(SHINGLE_P, len(word), 1 << 64)
            entry = (poly, (power * SHINGLE_P) & _M64, (0x20 * power + poly) & _M64)
            if len(self._cache) < 1_000_000:
                self._cache[word] = entry
        return entry

    def __call__(self, shingle: bytes) -> int:
        words = shingle.split(b" ")
        h = self._word(words[0])[0]
        for word in words[1:]:
            _, power, spaced = self._word(word)
            h = (h * power + spaced) & _M64
        return fmix64(h) >> 32

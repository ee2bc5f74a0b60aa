"""MinHash signatures for many documents at once, bit-identical to datasketch's.

Per batch of documents, in numpy and without a Python loop over documents or shingles:

1. The texts are joined into one byte buffer, ``bytes.translate`` lower-cases it and turns
   punctuation into spaces (non-ASCII texts go through ``text.canonical_text`` first), a newline
   marks each document's end, and a mask drops the spaces that do not follow a word: the buffer is
   now every document's canonical text (``text.canonical_text``), one per line. Word boundaries
   come from comparing it with a space, and shingle ``i`` of a document is the byte range from the
   start of its word ``i`` to the end of its word ``i + k - 1``.
2. Shingle hashes: the polynomial ``poly(s) = sum s[j] * P**(len-1-j) mod 2**64`` of any byte range
   is ``(G[e] - G[s]) * P**(e-1)`` where ``G`` is the running sum of ``byte[j] * P**-j`` (P is odd,
   so invertible mod 2**64, and numpy's uint64 arithmetic wraps mod 2**64). That is one cumsum per
   batch and a few operations per shingle; ``fmix64`` then mixes it and the high 32 bits are kept.
   ``text.reference_shingle_hash32`` is the same function one shingle at a time.
3. Permutations, exactly as datasketch draws and applies them (``scheme`` "affine32" or "legacy"),
   one permutation at a time over all shingles of the batch, then ``np.minimum.reduceat`` over the
   document boundaries. Looping over the 128 permutations instead of broadcasting a
   (shingles x 128) matrix keeps the working set at one uint32 per shingle and runs ~20x faster.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pixel_platform.curation.dedup.config import DedupConfig
from pixel_platform.curation.dedup.text import SHINGLE_P, WORD_BYTES_TABLE, word_bytes

U32 = np.uint32
U64 = np.uint64
EMPTY = np.uint32(0xFFFFFFFF)  # signature value of a document without shingles (as datasketch's)

_MERSENNE = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)
_Q = pow(SHINGLE_P, -1, 1 << 64)  # P**-1 mod 2**64


# MurmurHash3's finalizers: (shift, multiplier, shift, multiplier, shift), in the hash's width.
_FMIX64 = (U64(33), U64(0xFF51AFD7ED558CCD), U64(33), U64(0xC4CEB9FE1A85EC53), U64(33))
_FMIX32 = (U32(16), U32(0x85EBCA6B), U32(13), U32(0xC2B2AE35), U32(16))


def _fmix(h: NDArray[Any], constants: tuple[Any, Any, Any, Any, Any]) -> NDArray[Any]:
    s1, m1, s2, m2, s3 = constants
    h = h ^ (h >> s1)  # a new array: the caller's is left as it was
    h *= m1
    h ^= h >> s2
    h *= m2
    h ^= h >> s3
    return h


def fmix64(h: NDArray[np.uint64]) -> NDArray[np.uint64]:
    return _fmix(h, _FMIX64)


def fmix32(h: NDArray[np.uint32]) -> NDArray[np.uint32]:
    """datasketch's pre-mix of the input hash under the affine32 scheme."""
    return _fmix(h, _FMIX32)


def datasketch_permutations(
    num_perm: int, seed: int, scheme: str
) -> tuple[NDArray[Any], NDArray[Any]]:
    """``(a, b)`` drawn from ``np.random.RandomState(seed)`` in datasketch's order."""
    gen = np.random.RandomState(seed)
    if scheme == "legacy":
        pairs = [
            (gen.randint(1, _MERSENNE, dtype=U64), gen.randint(0, _MERSENNE, dtype=U64))
            for _ in range(num_perm)
        ]
        arr = np.array(pairs, dtype=U64).T
        return arr[0].copy(), arr[1].copy()
    a: NDArray[np.uint32] = gen.randint(0, 1 << 31, num_perm, dtype=U32) * U32(2) + U32(1)
    b: NDArray[np.uint32] = gen.randint(0, 1 << 32, num_perm, dtype=U32)
    return a, b


class MinHasher:
    """Turns canonical texts into ``(n, num_perm)`` uint32 signatures."""

    def __init__(self, config: DedupConfig) -> None:
        self.k = config.shingle_size
        self.num_perm = config.num_perm
        self.scheme = config.scheme
        self.a: NDArray[Any]
        self.b: NDArray[Any]
        self.a, self.b = datasketch_permutations(config.num_perm, config.seed, config.scheme)
        self._ppow = np.ones(0, dtype=U64)
        self._qpow = np.ones(0, dtype=U64)

    # -- shingle hashes --------------------------------------------------------------------------
    def _powers(self, n: int) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
        if self._ppow.size < n:
            size = max(n, 2 * self._ppow.size, 1 << 16)
            with np.errstate(over="ignore"):
                ppow = np.full(size, SHINGLE_P, dtype=U64)
                ppow[0] = 1
                self._ppow = np.cumprod(ppow, dtype=U64)
                qpow = np.full(size, _Q, dtype=U64)
                qpow[0] = 1
                self._qpow = np.cumprod(qpow, dtype=U64)
        return self._ppow[:n], self._qpow[:n]

    def shingle_hashes(self, texts: Sequence[str]) -> tuple[NDArray[np.uint32], NDArray[np.int64]]:
        """All shingle hashes of ``texts`` in document order, and the shingle count per document."""
        n_docs = len(texts)
        parts = [word_bytes(t) for t in texts]
        lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=n_docs)
        raw = np.frombuffer(b" ".join(parts).translate(WORD_BYTES_TABLE) + b" ", dtype=np.uint8)
        raw = raw.copy()
        raw[np.cumsum(lengths + 1) - 1] = 0x0A  # each document's separator: a newline
        # Canonical form: drop every space that does not directly follow a word byte, so words are
        # separated by exactly one space (a space left before a newline is never in a shingle).
        is_word = raw > 0x20
        keep = raw != 0x20
        keep[1:] |= is_word[:-1]
        buf = raw[keep]
        n = buf.size
        is_word = buf > 0x20
        edge = np.empty(n + 1, dtype=bool)  # True where a word starts or ends
        edge[0] = is_word[0]
        edge[n] = False  # the buffer ends with a newline
        np.not_equal(is_word[1:], is_word[:-1], out=edge[1:n])
        bounds = np.flatnonzero(edge)
        starts, ends = bounds[0::2], bounds[1::2]
        words_before_end = np.searchsorted(starts, np.flatnonzero(buf == 0x0A))
        words_per_doc = np.diff(words_before_end, prepend=0)
        word_doc = np.repeat(np.arange(n_docs), words_per_doc)

        k = self.k
        if starts.size >= k:
            first = np.arange(starts.size - k + 1)
            first = first[word_doc[first] == word_doc[first + k - 1]]
            sh_start, sh_end, sh_doc = starts[first], ends[first + k - 1], word_doc[first]
        else:
            sh_start = sh_end = sh_doc = np.zeros(0, dtype=np.int64)
        short = np.flatnonzero((words_per_doc > 0) & (words_per_doc < k))
        if short.size:  # 1..k-1 words: the whole text is the one shingle
            first_word = np.cumsum(words_per_doc) - words_per_doc
            sh_start = np.concatenate([sh_start, starts[first_word[short]]])
            sh_end = np.concatenate([sh_end, ends[first_word[short] + words_per_doc[short] - 1]])
            sh_doc = np.concatenate([sh_doc, short])
            order = np.argsort(sh_doc, kind="stable")
            sh_start, sh_end, sh_doc = sh_start[order], sh_end[order], sh_doc[order]

        ppow, qpow = self._powers(n)
        prefix = np.zeros(n + 1, dtype=U64)
        with np.errstate(over="ignore"):
            np.multiply(qpow, buf, out=prefix[1:])
            np.cumsum(prefix[1:], out=prefix[1:])
            poly = (prefix[sh_end] - prefix[sh_start]) * ppow[sh_end - 1]
        hashes = (fmix64(poly) >> U64(32)).astype(U32)
        return hashes, np.bincount(sh_doc, minlength=n_docs).astype(np.int64)

    def shingle_sets(self, texts: Sequence[str]) -> tuple[NDArray[np.uint32], NDArray[np.int64]]:
        """Each document's *set* of shingle hashes, sorted ascending, all documents concatenated
        in order, and the set size per document (what exact Jaccard is computed on)."""
        hashes, counts = self.shingle_hashes(texts)
        doc = np.repeat(np.arange(len(texts), dtype=U64), counts)
        keys = sorted_distinct((doc << U64(32)) | hashes.astype(U64))  # by document, then hash
        sizes = np.bincount((keys >> U64(32)).astype(np.int64), minlength=len(texts))
        return (keys & _MAX_HASH).astype(U32), sizes.astype(np.int64)

    # -- signatures ------------------------------------------------------------------------------
    def signatures(self, texts: Sequence[str]) -> tuple[NDArray[np.uint32], NDArray[np.int64]]:
        """Signatures ``(n, num_perm)`` uint32 of dialogue texts (``text.dialogue_text``), and
        their shingle counts; a text without words gets all 2**32-1 (datasketch's empty value)."""
        hashes, counts = self.shingle_hashes(texts)
        sig_t = np.full((self.num_perm, len(texts)), EMPTY, dtype=U32)
        nonempty = np.flatnonzero(counts)
        if hashes.size == 0:
            return sig_t.T.copy(), counts
        offsets = (np.cumsum(counts) - counts)[nonempty]
        if self.scheme == "legacy":
            hv = hashes.astype(U64)
            tmp = np.empty_like(hv)
            low = np.empty_like(hv)
            for i in range(self.num_perm):
                # datasketch: (a*h + b) in wrapping uint64, % (2^61 - 1), & (2^32 - 1). x mod
                # 2^61-1 = (x & (2^61-1)) + (x >> 61), less one 2^61-1 if that reaches it.
                np.multiply(hv, self.a[i], out=tmp)
                tmp += self.b[i]
                np.bitwise_and(tmp, _MERSENNE, out=low)
                tmp >>= U64(61)
                tmp += low
                np.subtract(tmp, _MERSENNE, out=tmp, where=tmp >= _MERSENNE)
                tmp &= _MAX_HASH
                sig_t[i, nonempty] = np.minimum.reduceat(tmp, offsets)
        else:
            hv32 = fmix32(hashes)
            tmp32 = np.empty_like(hv32)
            for i in range(self.num_perm):
                np.multiply(hv32, self.a[i], out=tmp32)
                tmp32 += self.b[i]
                sig_t[i, nonempty] = np.minimum.reduceat(tmp32, offsets)
        return np.ascontiguousarray(sig_t.T), counts


def sorted_distinct(values: NDArray[Any]) -> NDArray[Any]:
    """``np.unique(values)`` for integer arrays, several times faster here: numpy 2.x's unique
    took ~10x a plain sort on the shingle keys. A stable sort is a radix or merge sort, which is
    quick on the already-sorted runs these arrays are made of."""
    ordered = np.sort(values, kind="stable")
    keep = np.ones(ordered.size, dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


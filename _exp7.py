import random, time, numpy as np
from bench.common import synthetic_messages_record
from pixel_platform.curation.dedup.text import *
from pixel_platform.curation.dedup.minhash import MinHasher, fmix64, U64, U32
from pixel_platform.curation.dedup.config import DedupConfig
rng = random.Random(1)
texts = [dialogue_text(synthetic_messages_record(rng, i, False)) for i in range(1024)]
mh = MinHasher(DedupConfig()); mh.signatures(texts)
T = {}
def mark(name, t0):
    t = time.perf_counter(); T[name] = T.get(name, 0) + t - t0; return t
for rep in range(20):
    t = time.perf_counter()
    parts = [word_bytes(x) for x in texts]
    lengths = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(texts))
    t = mark("parts", t)
    raw = np.frombuffer(b" ".join(parts).translate(WORD_BYTES_TABLE) + b" ", dtype=np.uint8)
    t = mark("join+translate", t)
    is_word = raw != 0x20
    keep = is_word.copy(); keep[1:] |= is_word[:-1]
    buf = raw[keep]
    t = mark("compact", t)
    n = buf.size
    is_word = buf != 0x20
    edge = np.empty(n + 1, dtype=bool); edge[0] = is_word[0]; edge[n] = False
    np.not_equal(is_word[1:], is_word[:-1], out=edge[1:n])
    bounds = np.flatnonzero(edge); starts, ends = bounds[0::2], bounds[1::2]
    t = mark("bounds", t)
    doc_end = np.cumsum(lengths + 1) - 1
    kept_before = np.cumsum(keep) - keep
    word_doc = np.searchsorted(kept_before[doc_end], starts, side="right")
    words_per_doc = np.bincount(word_doc, minlength=len(texts))
    t = mark("worddoc", t)
    k=5
    first = np.arange(starts.size - k + 1)
    first = first[word_doc[first] == word_doc[first + k - 1]]
    sh_start, sh_end, sh_doc = starts[first], ends[first + k - 1], word_doc[first]
    t = mark("shingles", t)
    ppow, qpow = mh._powers(n)
    prefix = np.zeros(n + 1, dtype=U64)
    np.cumsum(qpow * buf, out=prefix[1:])
    t = mark("prefix", t)
    poly = (prefix[sh_end] - prefix[sh_start]) * ppow[sh_end - 1]
    t = mark("poly", t)
    hashes = (fmix64(poly) >> U64(32)).astype(U32)
    t = mark("fmix", t)
for k_, v in T.items(): print(f"{k_:15s} {v/20/1024*1e6:.2f} us/doc")
print("bytes/doc", n/1024, "shingles/doc", sh_start.size/1024)

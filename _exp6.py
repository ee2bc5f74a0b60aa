import random, time, numpy as np
from bench.common import synthetic_messages_record
from pixel_platform.curation.dedup.config import DedupConfig
from pixel_platform.curation.dedup.minhash import MinHasher
from pixel_platform.curation.dedup.text import *
rng = random.Random(1)
texts = [dialogue_text(synthetic_messages_record(rng, i, False)) for i in range(10000)]
mh = MinHasher(DedupConfig()); mh.signatures(texts[:1024])
def tm(f):
    best = 1e9
    for _ in range(7):
        t=time.perf_counter(); f(); best=min(best, time.perf_counter()-t)
    return best/10000*1e6
print("canon (old path)", tm(lambda: [canonical_text(t) for t in texts]))
print("word_bytes", tm(lambda: [word_bytes(t) for t in texts]))
print("shingle_hashes", tm(lambda: [mh.shingle_hashes(texts[s:s+1024]) for s in range(0,10000,1024)]))
print("signatures", tm(lambda: [mh.signatures(texts[s:s+1024]) for s in range(0,10000,1024)]))

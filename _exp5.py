import random, time, numpy as np
from bench.common import synthetic_messages_record
from pixel_platform.curation.dedup.config import DedupConfig
from pixel_platform.curation.dedup.minhash import MinHasher
from pixel_platform.curation.dedup.text import *
rng = random.Random(1)
texts = [dialogue_text(synthetic_messages_record(rng, i, False)) for i in range(20000)]
for bs in [512, 1024, 2048]:
    mh = MinHasher(DedupConfig(batch_size=bs)); mh.signatures(texts[:bs])
    best=(1e9,1e9)
    for _ in range(3):
        t = time.perf_counter()
        for s in range(0, 20000, bs): mh.shingle_hashes(texts[s:s+bs])
        t1 = time.perf_counter()
        for s in range(0, 20000, bs): mh.signatures(texts[s:s+bs])
        t2 = time.perf_counter()
        best=(min(best[0],(t1-t)/20000*1e6), min(best[1],(t2-t1)/20000*1e6))
    print(bs, "shingle-hash us/doc %.1f total %.1f" % best)

import random, time, numpy as np
from line_profiler import LineProfiler
from bench.common import synthetic_messages_record
from pixel_platform.curation.dedup.text import *
from pixel_platform.curation.dedup.minhash import MinHasher
from pixel_platform.curation.dedup.config import DedupConfig
rng = random.Random(1)
texts = [dialogue_text(synthetic_messages_record(rng, i, False)) for i in range(10240)]
mh = MinHasher(DedupConfig()); mh.signatures(texts[:1024])
lp = LineProfiler(MinHasher.shingle_hashes, MinHasher.signatures)
lp.enable()
for _ in range(3):
    for s in range(0, 10240, 1024): mh.signatures(texts[s:s+1024])
lp.disable()
lp.print_stats(output_unit=1e-3)

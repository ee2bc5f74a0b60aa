import cProfile, pstats, tempfile, time, shutil
from pathlib import Path
from bench.bench_dedup import generate
from pixel_platform.curation.dedup import *
from pixel_platform.storage.local import LocalObjectStore
root = Path("/tmp/dd100k")
if not root.exists():
    generate(root, 100_000)
import json
inputs = [DedupInput("alpha/part000", "pipeline/processed/alpha/part000/conversations.jsonl", "x"*64)]
store = LocalObjectStore(root)
store.delete_prefix("w/")
pr = cProfile.Profile(); pr.enable()
t=time.perf_counter()
r = run_dedup(store, inputs, DedupConfig(), family_priority={}, work_prefix="w")
print(time.perf_counter()-t, r.stats.timings)
pr.disable()
pstats.Stats(pr).sort_stats("tottime").print_stats(14)

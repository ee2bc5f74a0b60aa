import resource, time, sys
from pathlib import Path
from bench.bench_dedup import generate
from pixel_platform.curation.dedup import *
from pixel_platform.storage.local import LocalObjectStore
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 // 2**20, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
root = Path("/tmp/dd100k")
if not root.exists():
    inputs = generate(root, 100_000)
inputs = [DedupInput("alpha/part000", "pipeline/processed/alpha/part000/conversations.jsonl", "x"*64)]
store = LocalObjectStore(root)
store.delete_prefix("w/")
print("start", rss())
r = run_dedup(store, inputs, DedupConfig(), family_priority={}, work_prefix="w", progress=lambda m, n: print(m, n, rss()))
print("end", rss())

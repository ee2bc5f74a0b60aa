import resource, threading, time, json, sys
from pathlib import Path
from bench.bench_dedup import generate
from pixel_platform.curation.dedup import *
from pixel_platform.storage.local import LocalObjectStore
root = Path("/tmp/dd1m")
if not (root / "inputs.json").exists():
    inputs = generate(root, int(sys.argv[1]))
    (root / "inputs.json").write_text(json.dumps([i.__dict__ for i in inputs]))
inputs = [DedupInput(**d) for d in json.loads((root / "inputs.json").read_text())]
def rss(): return int(open("/proc/self/statm").read().split()[1]) * 4096 // 2**20
peak = [0]; stage = ["start"]
def sampler():
    while True:
        r = rss()
        if r > peak[0]: peak[0] = r
        time.sleep(0.02)
threading.Thread(target=sampler, daemon=True).start()
def prog(m, n):
    print(f"{time.strftime('%X')} {m[:50]:50s} cur={rss()} peak={peak[0]}", flush=True)
store = LocalObjectStore(root)
store.delete_prefix("w/")
cfg = DedupConfig(**json.loads(sys.argv[2])) if len(sys.argv) > 2 else DedupConfig()
r = run_dedup(store, inputs, cfg, family_priority={}, work_prefix="w", progress=prog)
print("end cur", rss(), "peak", peak[0], "maxrss", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, r.stats.timings)

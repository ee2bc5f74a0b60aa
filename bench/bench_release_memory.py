"""Release memory: peak RSS and wall time of one cold release build (every gate, the gate scan
over one process per core), this code against a baseline commit, in the same run, on the same
bench_scale bucket. Each build runs in a fresh process under ``bench/launch.py`` (RSS measured
from outside: the build process's high-water mark; pool workers hold one shard each).

The scale issue's goal: peak RSS <= 1.5 GB at 1M conversations, flat from 100k to 1M. Files both
builds write are compared byte for byte (files only one of them writes, e.g. a report the
baseline did not have, are listed apart).

    python -m bench.bench_scale --records 1000000 --pii-model none --keep --no-release \\
        --workdir /tmp/scale --name scale_prep
    python -m bench.bench_release_memory --workdir /tmp/scale/scale-1000000 --name release_memory_1m
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.bench_release import ROOT, _run
from bench.common import table_row, write_result

DEFAULT_BASELINE = "984fe4f"  # main before the gates' signature file (duplicate index in memory)
GOAL_MB = 1536


def compare_files(a: dict[str, str], b: dict[str, str]) -> dict[str, Any]:
    common = sorted(set(a) & set(b))
    return {
        "common": len(common),
        "differ": [p for p in common if a[p] != b[p]],
        "only_baseline": sorted(set(a) - set(b)),
        "only_ours": sorted(set(b) - set(a)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, required=True, help="a bench_scale run folder")
    parser.add_argument("--baseline-rev", default=DEFAULT_BASELINE)
    parser.add_argument("--name", default="release_memory")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="pixel-baseline-") as tmp:
        baseline = Path(tmp) / "code"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(baseline),
                        args.baseline_rev], check=True, capture_output=True)  # fmt: skip
        try:
            base = _run(args.workdir, "baseline", "v-bench-mem-base", baseline, cores)
            ours = _run(args.workdir, "ours", "v-bench-mem-ours", ROOT, cores)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(baseline)], check=False, capture_output=True)  # fmt: skip
    files = compare_files(base.pop("files"), ours.pop("files"))
    records = ours["records"]
    rss_ratio = base["peak_rss_mb"] / ours["peak_rss_mb"]
    wall_ratio = base["wall_s"] / ours["wall_s"]
    table = [
        table_row(
            f"release + gates peak RSS, {records:,} records: ours vs baseline {args.baseline_rev}",
            f"{ours['peak_rss_mb']:.0f} MB, {ours['wall_s']:.0f} s",
            f"{base['peak_rss_mb']:.0f} MB, {base['wall_s']:.0f} s",
            ratio_text=f"{rss_ratio:.2f}x",
            quality=f"goal <= {GOAL_MB} MB; wall ratio {wall_ratio:.2f}x; {cores} scan processes;"
            f" {len(files['differ'])} of {files['common']} common files differ",
            peak_rss_mb=ours["peak_rss_mb"],
        )
    ]
    path = write_result(
        args.name,
        {
            "workdir": str(args.workdir),
            "baseline_rev": args.baseline_rev,
            "records": records,
            "goal_peak_rss_mb": GOAL_MB,
            "rss_ratio_baseline_over_ours": round(rss_ratio, 3),
            "wall_ratio_baseline_over_ours": round(wall_ratio, 3),
            "files": files,
            "runs": {"baseline": base, "ours": ours},
            "table": table,
        },
    )
    print(json.dumps({"baseline": base, "ours": ours, "files": files}, indent=2))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

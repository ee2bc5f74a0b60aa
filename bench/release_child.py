"""One release build in this process, on a bench_scale bucket (``bench.bench_release`` runs it
under ``bench/launch.py`` for wall time, CPU time and peak RSS from outside).

Prints one JSON line: records, gate verdicts and seconds, the manifest's file digests (to
compare builds byte for byte), and deletes the version it published so runs do not pile up.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from pixel_platform.curation.config import CurationConfig
from pixel_platform.pipeline.release import build_pipeline_release
from pixel_platform.registry import load_registry
from pixel_platform.release import ReleaseOptions, ReleaseResult
from pixel_platform.release.layout import RELEASES_PREFIX
from pixel_platform.storage.local import LocalObjectStore


def _time_gate_scan() -> list[float] | None:
    """Wrap ``ReleaseView.scan`` to time the gates' scan (where the code has one)."""
    from pixel_platform.release import view

    if not hasattr(view.ReleaseView, "scan"):
        return None
    seconds: list[float] = []
    real = view.ReleaseView.scan

    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return real(self, *args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - started)

    view.ReleaseView.scan = timed  # type: ignore[method-assign]
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workdir", type=Path, required=True, help="a bench_scale run folder")
    parser.add_argument("--version", required=True)
    parser.add_argument("--gate-workers", type=int, default=None)
    parser.add_argument("--pii-memo", action="store_true", help="use (and warm) the PII memo")
    parser.add_argument("--keep", action="store_true", help="keep the published version")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the last build's input and scan caches"
    )
    args = parser.parse_args(argv)
    store = LocalObjectStore(args.workdir / "bucket")
    registry = load_registry(args.workdir / "registry.yaml")
    overrides: dict[str, object] = {"version": args.version}
    if not args.pii_memo:
        overrides["pii_memo_prefix"] = None
    known = {f.name for f in dataclasses.fields(ReleaseOptions)}
    if "gate_workers" in known:
        overrides["gate_workers"] = args.gate_workers  # the baseline code has no such option
    for cache in ("input_cache_prefix", "scan_cache_prefix"):
        if cache in known and not args.reuse:
            overrides[cache] = None  # a cold build: nothing of an earlier build reused
    scan_seconds = _time_gate_scan()
    started = time.perf_counter()
    result = build_pipeline_release(store, registry, CurationConfig.load(), force=True, **overrides)
    seconds = time.perf_counter() - started
    assert isinstance(result, ReleaseResult)  # force=True always builds
    manifest = result.manifest
    gates = manifest["gates"]["results"]
    out = {
        "version": args.version,
        "seconds": round(seconds, 2),
        "records": manifest["counts"]["total"],
        "passed": manifest["gates"]["passed"],
        "gate_seconds": {g["name"]: g["metadata"].get("seconds") for g in gates},
        "gate_violations": {g["name"]: g["violations"] for g in gates},
        "files": {f["path"]: f["sha256"] for f in manifest["files"] if f["path"] != "report.html"},
        "input_bytes": sum(p["size"] for p in manifest["inputs"]["partitions"]),
        # the gates' shared shard scan (None: the baseline code has none; its gates read alone)
        "gate_scan_s": round(sum(scan_seconds), 2) if scan_seconds is not None else None,
    }
    if not args.keep:
        shutil.rmtree(args.workdir / "bucket" / RELEASES_PREFIX / args.version, ignore_errors=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

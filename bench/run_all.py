"""Run every benchmark and print ONE table (``make bench``; see README, "Benchmarks").

Each benchmark writes ``bench/results/<name>.json`` and returns its rows of the table under
``"table"`` (``bench.common.table_row``); this collects them, prints one markdown table and writes
``bench/results/summary.md`` (the table, the machine, the date and the load while it ran) and
``summary.json``. The README's figures are copied from ``summary.md`` of a full run.

    python -m bench.run_all                         # everything, full sizes (what the README uses)
    python -m bench.run_all --only ingest,dedup     # some of them
    python -m bench.run_all --quick                 # tiny sizes: a smoke run, not for the README
    python -m bench.run_all --args dedup="--signature-docs 500"   # a benchmark's own arguments

A ``--quick`` run writes ``summary-quick.md``/``.json`` instead, so it never replaces the figures
of a full run (each benchmark's own ``<name>.json`` is still rewritten).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import shlex
import sys
import time
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from bench.common import RESULTS_DIR, machine, markdown_table, table_row

# name -> (module, arguments of a full run, arguments of a --quick smoke run)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "ingest": ("bench.bench_ingest", [], ["--records", "2000", "--rounds", "3"]),
    "pii": ("bench.bench_pii", [], ["--quick"]),
    "pii_limits": ("bench.bench_pii_limits", [], ["--repeat", "1"]),
    "dedup": ("bench.bench_dedup", [], ["--quick", "--signature-docs", "2000"]),
    "crisis": ("bench.bench_crisis", [], ["--repeat", "2"]),
    "ner": ("bench.bench_ner", [], ["--docs", "16", "--rounds", "3", "--skip-quality"]),
    "serving": ("bench.bench_serving", [], ["--requests", "40", "--concurrency", "2"]),
}


@contextlib.contextmanager
def kept_results() -> Iterator[None]:
    """Put back every ``bench/results/<name>.json`` a smoke run overwrote; what it wrote is
    kept as ``<name>_quick.json`` (git-ignored)."""
    before = {p: p.read_bytes() for p in RESULTS_DIR.glob("*.json")}
    try:
        yield
    finally:
        for path in RESULTS_DIR.glob("*.json"):
            if path.stem.endswith("_quick") or path.stem.startswith("summary"):
                continue
            old = before.get(path)
            if old is not None and path.read_bytes() != old:
                path.with_name(f"{path.stem}_quick.json").write_bytes(path.read_bytes())
                path.write_bytes(old)


def _load() -> tuple[float, float, float]:
    return os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)


def run_one(name: str, argv: list[str]) -> tuple[list[dict[str, str]], str]:
    """Run one benchmark's ``main(argv)``; its table rows and a status line."""
    module_name = BENCHMARKS[name][0]
    started = time.perf_counter()
    print(f"\n=== {name}: python -m {module_name} {shlex.join(argv)}", flush=True)
    try:
        module = importlib.import_module(module_name)
        result = module.main(argv)
    except (Exception, SystemExit) as exc:  # argparse exits; one failure must not hide the rest
        traceback.print_exc()
        why = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        row = table_row(name, "", "", ratio_text="FAILED", quality=why)
        return [row], f"{name}: FAILED after {time.perf_counter() - started:.0f} s ({why})"
    seconds = time.perf_counter() - started
    rows = result.get("table") if isinstance(result, dict) else None
    if not rows:
        print(f"note: {name} returns no \"table\" rows yet; skipped in the table", flush=True)
        return [], f"{name}: no table rows (skipped), {seconds:.0f} s"
    return list(rows), f"{name}: {len(rows)} rows, {seconds:.0f} s"


def summary_markdown(
    rows: list[dict[str, str]], status: list[str], meta: dict[str, Any]
) -> str:
    m = meta["machine"]
    load_start, load_end = meta["loadavg_start"], meta["loadavg_end"]
    # The benchmarks themselves keep about one core busy (load ~1 at the end); other work
    # shows as load before they start.
    busy = load_start[0] > 0.5 * (m.get("cores") or 1)
    lines = [
        "# Benchmark summary",
        "",
    ]
    if meta["quick"]:
        lines += ["**SMOKE RUN (`--quick`): tiny sizes, not figures for the README.**", ""]
    if meta["only"]:
        lines += [f"Partial run: only {', '.join(meta['only'])}.", ""]
    lines += [
        markdown_table(rows),
        "",
        "ratio: ours / peer of a rate (higher is better), the median of per-round ratios of "
        "interleaved rounds; spread: the lowest and highest round. peak_rss_mb: ours, alone in a "
        "fresh process, measured from outside it.",
        "",
        f"- measured: {meta['started_at']} to {meta['finished_at']} "
        f"({meta['seconds']:.0f} s)",
        f"- machine: Python {m.get('python')}, {m.get('cpu')}, {m.get('cores')} cores",
        f"- load average (1/5/15 min): {' / '.join(f'{x:.2f}' for x in load_start)} at the start,"
        f" {' / '.join(f'{x:.2f}' for x in load_end)} at the end"
        + (" — **the machine was busy: rerun on a quiet one before quoting these**" if busy
           else " (nothing else running; the benchmarks themselves keep one core busy)"),
        f"- command: `{meta['command']}`",
        "",
        "Benchmarks:",
        "",
        *[f"- {s}" for s in status],
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help=f"comma-separated, of {','.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument(
        "--args", action="append", default=[], metavar="NAME=ARGS",
        help="arguments for one benchmark's main, replacing the defaults (repeatable)",
    )
    args = parser.parse_args(argv)
    only = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in only if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    overrides: dict[str, list[str]] = {}
    for item in args.args:
        name, _, rest = item.partition("=")
        if name not in BENCHMARKS:
            parser.error(f"--args {item!r}: unknown benchmark {name!r}")
        overrides[name] = shlex.split(rest)

    started_at = datetime.now(UTC)
    load_start = _load()
    meta_machine = machine()
    t0 = time.perf_counter()
    rows: list[dict[str, str]] = []
    status: list[str] = []
    failed = False
    for name, (_module, full, quick) in BENCHMARKS.items():
        if only and name not in only:
            continue
        bench_argv = overrides.get(name, quick if args.quick else full)
        if args.quick:  # a smoke run never replaces a real run's results
            with kept_results():
                got, line = run_one(name, bench_argv)
        else:
            got, line = run_one(name, bench_argv)
        rows += got
        status.append(line)
        failed |= "FAILED" in line

    meta = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": time.perf_counter() - t0,
        "machine": meta_machine,
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in _load()],
        "quick": args.quick,
        "only": only,
        "command": shlex.join(["python", "-m", "bench.run_all", *(sys.argv[1:] if argv is None
                                                                  else argv)]),
    }
    table = markdown_table(rows)
    print("\n" + table + "\n", flush=True)
    for line in status:
        print(f"  {line}")

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stem = "summary-quick" if args.quick else "summary"
    md = RESULTS_DIR / f"{stem}.md"
    md.write_text(summary_markdown(rows, status, meta))
    js = RESULTS_DIR / f"{stem}.json"
    js.write_text(json.dumps({**meta, "status": status, "table": rows}, indent=2) + "\n")
    print(f"written: {md} and {js.name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Ingest throughput on real text, vs the orjson floor and vs datatrove, measured interleaved.

Corpus: ``write_real_corpus`` — counsel-chat conversations (4 turns, seeded word edits), 2% of
them with their first turn as UTF-8 read as cp1252 (mojibake).

* Floor: read the JSONL line by line, ``orjson.loads``, ``orjson.dumps``, write — the least any
  converter must do.
* Ours: the real reader + ``IngestPipeline`` (detect, convert, repair, NFC, whitespace, validate,
  hash, provenance) + write.
* Peer: datatrove (PyPI ``datatrove``), ``JsonlReader`` -> ``JsonlWriter`` over the same file in
  one ``LocalPipelineExecutor`` (tasks=1, workers=1) — its normal API for a local run. Its reader
  needs a ``text``; the adapter joins the turns (``role: content``), as a datatrove user of chat
  data would. It repairs nothing, so its "quality" is the mojibake it writes out.

Every ratio (records/s, ours / peer) is the median of per-round ratios over ``--rounds``
interleaved rounds (A, B, B, A, ...), with the spread. Peak RSS is measured from outside, each
side alone in a fresh process (``bench.common.measured_child``): ``--child KIND SRC DST``.
Goal (foundation issue): ours / floor >= 0.25, reported met or not.

    python -m bench.bench_ingest [--records 200000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from bench.common import (
    ChildRun,
    Ratio,
    interleaved,
    measured_child,
    table_row,
    write_real_corpus,
    write_result,
)
from pixel_platform.core.steps import ListQuarantine
from pixel_platform.ingest.pipeline import IngestPipeline
from pixel_platform.ingest.readers import read_stream
from pixel_platform.registry import load_registry

GOAL_RATIO = 0.25
REPO = Path(__file__).resolve().parent.parent
# What UTF-8 read as cp1252 leaves behind: "’" -> "â€™", "é" -> "Ã©", nbsp -> "Â ".
MOJIBAKE = re.compile("â€|Ã[\u0080-\u00ff]|Â[\u00a0-\u00bf]")


def floor(src: Path, dst: Path) -> int:
    n = 0
    with src.open("rb") as fin, dst.open("wb") as fout:
        for line in fin:
            fout.write(orjson.dumps(orjson.loads(line)))
            fout.write(b"\n")
            n += 1
    return n


def ours(src: Path, dst: Path) -> tuple[int, dict]:
    registry = load_registry()
    pipeline = IngestPipeline(
        registry,
        registry.family("priority_datasets"),
        fmt="auto",
        license="internal-owned",
        ingested_at="2026-01-01T00:00:00+00:00",
    )
    quarantine = ListQuarantine()
    n = 0
    with src.open("rb") as fin, dst.open("wb") as fout:
        for conversation in pipeline.run(read_stream(fin, src.name), quarantine):
            fout.write(conversation.to_json())
            fout.write(b"\n")
            n += 1
    pipeline.check_balance()
    return n, pipeline.stats()


def _chat_adapter(self: Any, data: dict, path: str, id_in_file: int | str) -> dict:
    """datatrove reader adapter: an OpenAI-messages record -> a Document dict."""
    messages = data.pop("messages", None) or []
    text = "\n".join(f"{m.get('role', '')}: {m.get('content', '')}" for m in messages)
    return {"text": text, "id": data.pop("id", f"{path}/{id_in_file}"), "media": [],
            "metadata": data}


def datatrove_copy(src: Path, dst: Path) -> int:
    """JsonlReader -> JsonlWriter over ``src`` into ``dst`` (a file), in datatrove's local
    executor; returns the records written. Its console log goes to a buffer (its log file,
    stats and completion markers are written as usual, under a sibling folder)."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    work = dst.with_name(dst.name + ".datatrove")
    shutil.rmtree(work, ignore_errors=True)
    executor = LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(src.parent), glob_pattern=src.name, compression=None,
                        adapter=_chat_adapter, add_file_path=False),
            JsonlWriter(str(work / "out"), output_filename="${rank}.jsonl", compression=None),
        ],
        tasks=1,
        workers=1,
        logging_dir=str(work / "logs"),
        skip_completed=False,
    )
    with contextlib.redirect_stderr(io.StringIO()):
        executor.run()
    (work / "out" / "00000.jsonl").replace(dst)
    shutil.rmtree(work, ignore_errors=True)
    with dst.open("rb") as fh:
        return sum(1 for _ in fh)


RUNNERS: dict[str, Callable[[Path, Path], int]] = {
    "floor": floor,
    "ours": lambda src, dst: ours(src, dst)[0],
    "datatrove": datatrove_copy,
}


def child(kind: str, src: Path, dst: Path) -> None:
    """Run one side alone (in a fresh process, for ``measured_child``); print its count."""
    started = time.perf_counter()
    n = RUNNERS[kind](src, dst)
    print(json.dumps({"kind": kind, "records": n, "seconds": time.perf_counter() - started}))


def measure_alone(kind: str, src: Path, dst: Path) -> ChildRun:
    run = measured_child(
        [sys.executable, "-m", "bench.bench_ingest", "--child", kind, str(src), str(dst)],
        cwd=REPO,
    )
    if run.returncode != 0:
        raise RuntimeError(f"--child {kind} exited {run.returncode}: {run.stderr[-2000:]}")
    return run


def rate(kind: str, src: Path, dst: Path) -> Callable[[], float]:
    def run() -> float:
        started = time.perf_counter()
        n = RUNNERS[kind](src, dst)
        return n / (time.perf_counter() - started)

    return run


def mojibake_records(path: Path) -> int:
    """Records (lines) of ``path`` still carrying UTF-8-read-as-cp1252 debris."""
    with path.open(encoding="utf-8") as fh:
        return sum(1 for line in fh if MOJIBAKE.search(line))


def datatrove_available() -> str | None:
    """None if datatrove imports, else why not."""
    try:
        import datatrove  # noqa: F401
        from datatrove.executor import LocalPipelineExecutor  # noqa: F401
        from datatrove.pipeline.readers import JsonlReader  # noqa: F401
        from datatrove.pipeline.writers import JsonlWriter  # noqa: F401
    except Exception as exc:  # ImportError, or a broken install
        return f"datatrove not importable ({type(exc).__name__}: {exc}); pip install -e '.[bench]'"
    return None


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (>= 3)")
    parser.add_argument("--no-datatrove", action="store_true", help="skip the datatrove peer")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "SRC", "DST"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]))
        return {}
    rounds = max(3, args.rounds)
    datatrove_missing = "--no-datatrove given" if args.no_datatrove else datatrove_available()

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        (work / "in").mkdir()
        src = work / "in" / "corpus.jsonl"  # alone in its folder: datatrove reads a folder
        size = write_real_corpus(src, args.records, mojibake_rate=0.02)
        planted = mojibake_records(src)
        floor(src, work / "warm.jsonl")  # warm the page cache for every side

        vs_floor = interleaved(rate("ours", src, work / "ours.jsonl"),
                               rate("floor", src, work / "floor.jsonl"), rounds)
        print(f"ours vs floor:     {vs_floor.describe()}", flush=True)
        vs_datatrove: Ratio | None = None
        if datatrove_missing is None:
            vs_datatrove = interleaved(
                rate("ours", src, work / "ours.jsonl"), rate("datatrove", src, work / "dt.jsonl"),
                rounds,
            )
            print(f"ours vs datatrove: {vs_datatrove.describe()}", flush=True)

        # Quality of what each wrote, then one more run of ours for its stats.
        n_ours, stats = ours(src, work / "ours.jsonl")
        left_ours = mojibake_records(work / "ours.jsonl")
        left_datatrove = (
            mojibake_records(work / "dt.jsonl") if vs_datatrove is not None else None
        )
        n_datatrove = None
        if vs_datatrove is not None:
            with (work / "dt.jsonl").open("rb") as fh:
                n_datatrove = sum(1 for _ in fh)

        # Peak RSS: each side alone in a fresh process, measured from outside.
        kinds = ("ours", "floor", *(("datatrove",) if vs_datatrove is not None else ()))
        alone = {kind: measure_alone(kind, src, work / f"alone-{kind}.jsonl") for kind in kinds}
    rss = {kind: round(run.peak_rss_mb, 1) for kind, run in alone.items()}
    goal_met = vs_floor.median >= GOAL_RATIO

    rows = [
        table_row(
            "ingest: ours vs orjson floor (records/s, 1 core)",
            f"{vs_floor.as_dict()['ours_median']:,.0f} rec/s",
            f"floor {vs_floor.as_dict()['peer_median']:,.0f} rec/s ({rss['floor']:.0f} MB)",
            vs_floor,
            quality=(f"goal >= {GOAL_RATIO}: {'met' if goal_met else 'NOT met'}; "
                     f"{stats['changed'].get('encoding_repaired', 0)} encodings repaired, "
                     f"{stats['quarantined']} quarantined"),
            peak_rss_mb=rss["ours"],
        )
    ]
    if vs_datatrove is not None:
        rows.append(
            table_row(
                "ingest: ours vs datatrove JsonlReader->JsonlWriter",
                f"{vs_datatrove.as_dict()['ours_median']:,.0f} rec/s",
                f"datatrove {vs_datatrove.as_dict()['peer_median']:,.0f} rec/s "
                f"({rss['datatrove']:.0f} MB)",
                vs_datatrove,
                quality=(f"mojibake left: ours {left_ours}, datatrove {left_datatrove} "
                         f"of {planted} records"),
                peak_rss_mb=rss["ours"],
            )
        )
    else:
        rows.append(
            table_row("ingest: ours vs datatrove JsonlReader->JsonlWriter", "", "datatrove",
                      ratio_text="n/a", quality=f"not measured: {datatrove_missing}")
        )

    result: dict[str, Any] = {
        "corpus": "write_real_corpus (counsel-chat sentences, 4 turns, 2% mojibake)",
        "records": args.records,
        "input_bytes": size,
        "avg_record_bytes": round(size / args.records),
        "rounds": rounds,
        "vs_floor": vs_floor.as_dict(),
        "goal_ratio": GOAL_RATIO,
        "goal_met": goal_met,
        "vs_datatrove": (vs_datatrove.as_dict() if vs_datatrove is not None
                         else {"skipped": datatrove_missing}),
        "peak_rss_mb_alone": rss,
        "seconds_alone": {kind: round(run.seconds, 2) for kind, run in alone.items()},
        "records_out": n_ours,
        "records_out_datatrove": n_datatrove,
        "quarantined": stats["quarantined"],
        "changed": stats["changed"],
        "mojibake_records": {"input": planted, "ours": left_ours, "datatrove": left_datatrove},
        "table": rows,
    }
    path = write_result("ingest_throughput", result)
    print(orjson.dumps({k: v for k, v in result.items() if k != "table"},
                       option=orjson.OPT_INDENT_2).decode())
    print(f"written: {path}")
    return result


if __name__ == "__main__":
    main()

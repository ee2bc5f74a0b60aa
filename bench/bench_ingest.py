"""Ingest throughput per core vs the orjson floor, measured in the same run.

Floor: read the JSONL line by line, ``orjson.loads``, ``orjson.dumps``, write — the least any
converter must do. Ours: the real reader + ``IngestPipeline`` (detect, convert, repair, NFC,
whitespace, validate, hash, provenance) + write. Reported as records/s and ratio ours/floor.
Goal (foundation issue): ratio >= 0.25.

    python -m bench.bench_ingest [--records 200000]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import orjson

from bench.common import timed, write_corpus, write_result
from pixel_platform.core.steps import ListQuarantine
from pixel_platform.ingest.pipeline import IngestPipeline
from pixel_platform.ingest.readers import read_stream
from pixel_platform.registry import load_registry


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


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "corpus.jsonl"
        size = write_corpus(src, args.records)
        floor(src, Path(tmp) / "warm.jsonl")  # warm the page cache for both
        t_floor, n_floor = timed(floor, src, Path(tmp) / "floor.jsonl")
        t_ours, (n_ours, stats) = timed(ours, src, Path(tmp) / "ours.jsonl")
    result = {
        "records": args.records,
        "input_bytes": size,
        "avg_record_bytes": round(size / args.records),
        "floor_records_per_s": round(n_floor / t_floor),
        "ours_records_per_s": round(n_ours / t_ours),
        "ratio_ours_to_floor": round((n_ours / t_ours) / (n_floor / t_floor), 3),
        "goal_ratio": 0.25,
        "records_out": n_ours,
        "quarantined": stats["quarantined"],
        "changed": stats["changed"],
    }
    path = write_result("ingest_throughput", result)
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    print(f"written: {path}")
    return result


if __name__ == "__main__":
    main()

"""``pixel-platform convert``: files in any supported shape -> ChatML JSONL + quarantine JSONL."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from pixel_platform.core.steps import QuarantineEntry
from pixel_platform.ingest.pipeline import IngestPipeline
from pixel_platform.ingest.raw import RawRecord, ReadFailure
from pixel_platform.ingest.readers import read_stream
from pixel_platform.registry.model import INPUT_FORMATS, FamilySpec, load_registry

ADHOC_FAMILY = "adhoc"


class _FileQuarantine:
    def __init__(self, fh: object) -> None:
        self._fh = fh
        self.count = 0

    def put(self, entry: QuarantineEntry) -> None:
        self._fh.write(entry.to_json() + b"\n")  # type: ignore[attr-defined]
        self.count += 1


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "convert", help="convert local files to ChatML JSONL, with a quarantine file"
    )
    p.add_argument(
        "paths", nargs="+", type=Path, help="input files (.jsonl .json .csv .txt, optionally .gz)"
    )
    p.add_argument("--output", "-o", type=Path, required=True, help="ChatML JSONL to write")
    p.add_argument("--quarantine", "-q", type=Path, required=True, help="quarantine JSONL to write")
    p.add_argument(
        "--format",
        "-f",
        default="auto",
        choices=INPUT_FORMATS,
        help="input format (default: detect per record)",
    )
    p.add_argument("--family", help="registry family whose role/field mappings to use")
    p.add_argument("--registry", help="registry YAML (default: $PIXEL_REGISTRY or the bundled one)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    missing = [str(p) for p in args.paths if not p.is_file()]
    if missing:
        print(f"error: cannot read input file(s): {', '.join(missing)}", file=sys.stderr)
        return 2
    registry = load_registry(args.registry)
    if args.family:
        family = registry.family(args.family)
    else:
        family = FamilySpec(name=ADHOC_FAMILY, stage="stage1_foundation", format=args.format)
    pipeline = IngestPipeline(
        registry,
        family,
        fmt=args.format,
        license=family.license,
        ingested_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
    )
    progress = tqdm(unit=" records", desc="convert", file=sys.stderr, disable=None)

    def units() -> Iterator[RawRecord | ReadFailure]:
        for path in args.paths:
            with path.open("rb") as fh:
                for unit in read_stream(fh, str(path), **pipeline.read_kwargs()):
                    progress.update(1)
                    yield unit

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.quarantine.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("wb") as out, args.quarantine.open("wb") as qfh:
        quarantine = _FileQuarantine(qfh)
        for conversation in pipeline.run(units(), quarantine):
            out.write(conversation.to_json() + b"\n")
    progress.close()
    pipeline.check_balance()
    stats = pipeline.stats()
    print(
        f"in: {stats['units_in']}  out: {stats['records_out']}  quarantined: {stats['quarantined']}"
    )
    for reason, n in sorted(stats["quarantined_by_reason"].items()):
        print(f"  quarantined {reason}: {n}")
    for key, formats in sorted(stats["detected_formats"].items()):
        print(f"  {key}: " + ", ".join(f"{f}={n}" for f, n in sorted(formats.items())))
    print(f"output: {args.output}\nquarantine: {args.quarantine}")
    return 0

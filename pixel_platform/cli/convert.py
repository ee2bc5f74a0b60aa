"""``pixel-platform convert``: files in any supported shape -> ChatML JSONL + quarantine JSONL.

Inputs, output and quarantine are local paths or ``s3://bucket/key`` URIs (``cli.locations``).
The ingest options (``--format``, ``--family``, ``--registry``) and the pipeline they build are
shared with ``pixel-platform validate``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

from tqdm import tqdm

from pixel_platform.cli.locations import S3_HELP, open_input_files, open_location, read_units
from pixel_platform.core.errors import ConfigError
from pixel_platform.core.steps import QuarantineEntry
from pixel_platform.ingest.context import Unit
from pixel_platform.ingest.pipeline import IngestPipeline
from pixel_platform.registry.model import INPUT_FORMATS, FamilySpec, load_registry

ADHOC_FAMILY = "adhoc"
AUTO_DETECT = "auto-detect"  # the legacy scripts' spelling of ``auto``
QUARANTINE_SUFFIX = ".quarantine.jsonl"
_JSON_SUFFIXES = (".jsonl.gz", ".jsonl", ".ndjson", ".json")


class FileQuarantine:
    """Writes each quarantine entry as one JSON line and counts them."""

    def __init__(self, fh: IO[bytes]) -> None:
        self._fh = fh
        self.count = 0

    def put(self, entry: QuarantineEntry) -> None:
        self._fh.write(entry.to_json() + b"\n")
        self.count += 1


def input_format(value: str) -> str:
    return "auto" if value == AUTO_DETECT else value


def add_ingest_options(p: argparse.ArgumentParser) -> None:
    """``--format``, ``--family``, ``--registry``: how records are read (convert, validate)."""
    p.add_argument(
        "--format",
        "-f",
        default="auto",
        type=input_format,
        choices=INPUT_FORMATS,
        metavar="FORMAT",
        help="record shape: " + ", ".join(INPUT_FORMATS) + f" ('{AUTO_DETECT}' = auto)"
        " (default: auto, detected per record)",
    )
    p.add_argument(
        "--family",
        help="registry family whose role/field mappings and limits to use (default: an ad hoc"
        f" family {ADHOC_FAMILY!r} with the registry's defaults)",
    )
    p.add_argument("--registry", help="registry YAML (default: $PIXEL_REGISTRY or the bundled one)")


def build_pipeline(args: argparse.Namespace, **overrides: Any) -> IngestPipeline:
    """The ingest chain of ``--family`` (or an ad hoc family) for ``--format``."""
    registry = load_registry(args.registry)
    if args.family:
        family = registry.family(args.family)
    else:
        family = FamilySpec(name=ADHOC_FAMILY, stage="stage1_foundation", format=args.format)
    return IngestPipeline(
        registry,
        family,
        fmt=args.format,
        license=family.license,
        ingested_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        **overrides,
    )


def beside(location: str, suffix: str) -> str:
    """``out.jsonl`` -> ``out<suffix>`` (local path or ``s3://`` URI alike)."""
    for known in _JSON_SUFFIXES:
        if location.endswith(known):
            return location[: -len(known)] + suffix
    return location + suffix


def print_ingest_stats(stats: dict[str, Any], dropped_label: str) -> None:
    """Counts by reason and the formats detected per file: codes and counts, never text."""
    for reason, n in sorted(stats["quarantined_by_reason"].items()):
        print(f"  {dropped_label} {reason}: {n}")
    for key, formats in sorted(stats["detected_formats"].items()):
        print(f"  {key}: " + ", ".join(f"{f}={n}" for f, n in sorted(formats.items())))


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "convert",
        help="convert files (local or s3://) to ChatML JSONL, with a quarantine file",
        description=S3_HELP,
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="input files (.jsonl .json .csv .txt, optionally .gz), local or s3://BUCKET/KEY",
    )
    p.add_argument(
        "--input",
        "-i",
        action="append",
        default=[],
        metavar="PATH|s3://BUCKET/KEY",
        help="an input file, as the positional PATHs (repeatable; default: none)",
    )
    p.add_argument(
        "--output",
        "-o",
        required=True,
        metavar="FILE|s3://BUCKET/KEY",
        help="ChatML JSONL to write (written atomically)",
    )
    p.add_argument(
        "--quarantine",
        "-q",
        metavar="FILE|s3://BUCKET/KEY",
        help=f"quarantine JSONL to write (default: beside --output, as NAME{QUARANTINE_SUFFIX})",
    )
    add_ingest_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    inputs = open_input_files([*args.paths, *args.input])
    quarantine_at = args.quarantine or beside(args.output, QUARANTINE_SUFFIX)
    out_store, out_key = open_location(args.output)
    q_store, q_key = open_location(quarantine_at)
    out_uri, q_uri = out_store.uri(out_key), q_store.uri(q_key)
    if out_uri == q_uri or out_uri in {i.store.uri(i.key) for i in inputs}:
        raise ConfigError(f"--output {args.output} is also an input or the quarantine")
    pipeline = build_pipeline(args)
    progress = tqdm(unit=" records", desc="convert", file=sys.stderr, disable=None)

    def units() -> Iterator[Unit]:
        for unit in read_units(inputs, **pipeline.read_kwargs()):
            progress.update(1)
            yield unit

    with out_store.open_write(out_key) as out, q_store.open_write(q_key) as qfh:
        quarantine = FileQuarantine(qfh)
        for conversation in pipeline.run(units(), quarantine):
            out.write(conversation.to_json() + b"\n")
    progress.close()
    pipeline.check_balance()
    stats = pipeline.stats()
    print(
        f"in: {stats['units_in']}  out: {stats['records_out']}  quarantined: {stats['quarantined']}"
    )
    print_ingest_stats(stats, "quarantined")
    print(f"output: {out_uri}\nquarantine: {q_uri}")
    return 0

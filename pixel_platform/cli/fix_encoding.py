"""``pixel-platform fix-encoding``: repair the text encoding of ChatML JSONL files.

Each input file is written under ``--output-dir`` with the same name (its path below
``--input-dir``; ``.gz`` files stay gzipped), every record repaired by ingest's cleaning step
(``ingest.repair``). Lines that cannot be read, and JSON values that are not ChatML records, go to
``NAME.quarantine.jsonl`` beside that output (written only when there is something in it; a stale
one from an earlier run is removed). Files under ``--input-dir`` that are not JSONL are listed as
skipped. Output: counts, reason codes, repair kinds and locations, never text.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tqdm import tqdm

from pixel_platform.cli.convert import QUARANTINE_SUFFIX, FileQuarantine, beside
from pixel_platform.cli.locations import S3_HELP, open_input_files, open_location
from pixel_platform.core.errors import ConfigError
from pixel_platform.ingest.context import Unit
from pixel_platform.ingest.readers import file_format, read_stream
from pixel_platform.ingest.repair import RepairReport, repair_jsonl
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.local import TEMP_PREFIX, LocalObjectStore
from pixel_platform.storage.locations import is_remote

SKIPPED_SHOWN = 10


@dataclass(frozen=True)
class Job:
    store: ObjectStore
    key: str
    name: str  # the output's key below --output-dir

    @property
    def location(self) -> str:
        return self.store.uri(self.key)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "fix-encoding",
        help="repair mojibake and Unicode in ChatML JSONL files (ingest's cleaning step)",
        description="Exit status 0 when every input was read (quarantined lines are counted,"
        " not failures), 2 otherwise. " + S3_HELP,
    )
    p.add_argument(
        "--input-dir",
        action="append",
        default=[],
        metavar="DIR|s3://BUCKET/PREFIX",
        help="repair every *.jsonl / *.ndjson (optionally .gz) below it, recursively, except"
        f" *{QUARANTINE_SUFFIX} and --output-dir (repeatable; default: none)",
    )
    p.add_argument(
        "--input",
        "-i",
        action="append",
        default=[],
        metavar="FILE|s3://BUCKET/KEY",
        help="repair one file; its output keeps its file name (repeatable; default: none)",
    )
    p.add_argument(
        "--output-dir",
        required=True,
        metavar="DIR|s3://BUCKET/PREFIX",
        help="where the repaired files go, under their own names (created if missing); never"
        " an input directory itself",
    )
    p.set_defaults(func=run)


def _scan(location: str, out_base: str) -> tuple[list[Job], list[str]]:
    """The JSONL files below an input directory or prefix, and the other objects (skipped)."""
    store, prefix = open_location(location, directory=True)
    in_base = store.uri(prefix).rstrip("/") + "/"
    if in_base == out_base:
        raise ConfigError(f"--input-dir {location} is --output-dir: write the repairs elsewhere")
    nested = out_base.startswith(in_base)  # legacy layout: consolidated/ -> consolidated/fixed/
    jobs: list[Job] = []
    skipped: list[str] = []
    for info in store.list(prefix):
        name = info.key[len(prefix) :]
        base = name.rsplit("/", 1)[-1]
        if (nested and store.uri(info.key).startswith(out_base)) or base.endswith(
            QUARANTINE_SUFFIX
        ):
            continue  # our own outputs, of this run or an earlier one
        if file_format(info.key)[0] != "jsonl" or base.startswith((".", TEMP_PREFIX)):
            skipped.append(store.uri(info.key))
            continue
        jobs.append(Job(store, info.key, name))
    if not jobs:
        raise ConfigError(
            f"--input-dir {location}: no *.jsonl or *.ndjson files found (for one file use --input)"
        )
    return jobs, skipped


def _output(location: str) -> tuple[ObjectStore, str, str]:
    """``(store, prefix, base)``: ``base`` is the URI every output location starts with. A local
    directory need not exist yet: writing the first output creates it."""
    if is_remote(location):
        store, prefix = open_location(location, directory=True)
    else:
        store, prefix = LocalObjectStore(Path(location).expanduser()), ""
    return store, prefix, store.uri(prefix).rstrip("/") + "/"


def run(args: argparse.Namespace) -> int:
    if not args.input_dir and not args.input:
        raise ConfigError("give --input-dir DIR|s3://… and/or --input FILE|s3://…")
    out_store, out_prefix, out_base = _output(args.output_dir)
    jobs: list[Job] = []
    skipped: list[str] = []
    for location in args.input_dir:
        found, other = _scan(location, out_base)
        jobs += found
        skipped += other
    for item in open_input_files(args.input) if args.input else []:
        jobs.append(Job(item.store, item.key, item.key.rsplit("/", 1)[-1]))
    names = [job.name for job in jobs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"two inputs would be written to the same output name: {twice}")
    inputs = {job.location for job in jobs}
    if any(out_store.uri(out_prefix + job.name) in inputs for job in jobs):
        raise ConfigError(f"--output-dir {args.output_dir} would overwrite an input file")

    progress = tqdm(unit=" records", desc="fix-encoding", file=sys.stderr, disable=None)
    total = RepairReport()
    for job in jobs:
        report = _repair(job, out_store, out_prefix + job.name, progress.update)
        _add(total, report)
    progress.close()
    print(
        f"files: {len(jobs)}  records: {total.records_out}  changed: {total.records_changed}"
        f"  turns changed: {total.turns_changed}"
        f"  quarantined: {sum(total.quarantined.values())}  skipped files: {len(skipped)}"
    )
    if total.kinds:
        print("  turns by kind: " + _counts(total.kinds))
    for location in skipped[:SKIPPED_SHOWN]:
        print(f"  skipped (not JSONL): {location}")
    if len(skipped) > SKIPPED_SHOWN:
        print(f"  ... and {len(skipped) - SKIPPED_SHOWN} more skipped")
    return 0


def _repair(
    job: Job, out_store: ObjectStore, out_key: str, progress: Callable[[int], object]
) -> RepairReport:
    q_key = beside(out_key, QUARANTINE_SUFFIX)
    gzipped = file_format(out_key)[1]

    def units(stream: BinaryIO) -> Iterator[Unit]:
        for unit in read_stream(stream, job.location):
            progress(1)
            yield unit

    with tempfile.TemporaryFile() as spool:
        quarantine = FileQuarantine(spool)
        with job.store.open_read(job.key) as src, out_store.open_write(out_key) as dst:
            if gzipped:
                with gzip.GzipFile(fileobj=dst, mode="wb", mtime=0) as packed:
                    report = repair_jsonl(units(src), packed, quarantine)
            else:
                report = repair_jsonl(units(src), dst, quarantine)
        if quarantine.count:
            spool.seek(0)
            with out_store.open_write(q_key) as q:
                shutil.copyfileobj(spool, q)
        elif out_store.head(q_key) is not None:
            out_store.delete(q_key)  # an earlier run's; this run quarantined nothing
    line = (
        f"{job.location} -> {out_store.uri(out_key)}: {report.records_out} records,"
        f" {report.records_changed} changed ({report.turns_changed} turns"
        + (f": {_counts(report.kinds)}" if report.kinds else "")
        + ")"
    )
    if report.decoded:
        line += "; not UTF-8, read as " + _counts(report.decoded)
    if report.quarantined:
        line += (
            f"; quarantined {sum(report.quarantined.values())}"
            f" ({_counts(report.quarantined)}) -> {out_store.uri(q_key)}"
        )
    print(line)
    return report


def _add(total: RepairReport, report: RepairReport) -> None:
    total.units_in += report.units_in
    total.records_out += report.records_out
    total.records_changed += report.records_changed
    total.turns_changed += report.turns_changed
    for mine, theirs in (
        (total.kinds, report.kinds),
        (total.decoded, report.decoded),
        (total.quarantined, report.quarantined),
    ):
        for key, n in theirs.items():
            mine[key] = mine.get(key, 0) + n


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}={n}" for k, n in sorted(counts.items()))

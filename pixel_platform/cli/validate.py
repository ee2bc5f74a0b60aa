"""``pixel-platform validate``: would ingest accept these conversations?

Runs the ingest chain itself (read, convert, clean, validate: ``IngestPipeline``) over the inputs
and writes nothing but the optional quarantine, so a record is valid here exactly when ingestion
would keep it. ``--min-turns`` overrides the registry's minimum; ``--require-alternating`` stops
the converter from merging consecutive turns of one speaker, which makes them ``non_alternating``.

Exit status: 0 every record valid, 1 some invalid, 2 an input could not be read at all (missing
file or object, S3 error). Output names reason codes, files, line numbers and ``metadata.uid``
values, never conversation text; the quarantine file holds the records themselves.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from typing import BinaryIO

import orjson
from tqdm import tqdm

from pixel_platform.cli.convert import add_ingest_options, build_pipeline, print_ingest_stats
from pixel_platform.cli.locations import S3_HELP, open_input_files, open_location, read_units
from pixel_platform.core.errors import ConfigError
from pixel_platform.core.steps import QuarantineEntry
from pixel_platform.ingest.context import Unit
from pixel_platform.ingest.raw import RawRecord

SHOWN = 10  # invalid records listed with their location; all are counted
_UID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class InvalidRecords:
    """The quarantine sink of ``validate``: counts every invalid record, keeps the first
    locations for the report and writes each (with the record's ``metadata.uid``) to ``fh``.

    ``current_uid`` is set by the unit feed before each unit: the chain finishes one unit (and
    quarantines it) before it takes the next, so the uid belongs to the entry being put."""

    def __init__(self, fh: BinaryIO | None) -> None:
        self._fh = fh
        self.count = 0
        self.current_uid: str | None = None
        self.shown: list[str] = []

    def put(self, entry: QuarantineEntry) -> None:
        self.count += 1
        if self._fh is not None:
            row = {**dataclasses.asdict(entry), "uid": self.current_uid}
            self._fh.write(orjson.dumps(row, option=orjson.OPT_SORT_KEYS) + b"\n")
        if len(self.shown) < SHOWN:
            where = entry.source_key or "?"
            if entry.line is not None:
                where += f" line {entry.line}"
            uid = f" (uid {self.current_uid})" if self.current_uid else ""
            self.shown.append(f"{where}: {entry.reason}{uid}")


def record_uid(unit: Unit) -> str | None:
    """``metadata.uid`` of a raw record, when it looks like an id (never free text)."""
    if type(unit) is not RawRecord or type(unit.payload) is not dict:
        return None
    metadata = unit.payload.get("metadata")
    uid = metadata.get("uid") if type(metadata) is dict else None
    return uid if type(uid) is str and _UID.fullmatch(uid) else None


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "validate",
        help="check ChatML JSONL conversations as ingest would; exit 1 if any is invalid",
        description="Exit status 0: every record valid; 1: some invalid; 2: an input could not"
        " be read. " + S3_HELP,
    )
    p.add_argument(
        "--input",
        "-i",
        action="append",
        required=True,
        metavar="PATH|s3://BUCKET/KEY",
        help="a file to check (.jsonl, also .json .csv .txt, optionally .gz); repeatable",
    )
    p.add_argument(
        "--min-turns",
        type=int,
        metavar="N",
        help="dialogue turns a conversation needs, system prompts excluded (default: the"
        " family's registry min_turns, 2 for the ad hoc family)",
    )
    p.add_argument(
        "--require-alternating",
        action="store_true",
        help="a user or assistant turn right after one of its own role makes the record invalid"
        " (non_alternating) (default: off: such turns are merged, as ingest merges them)",
    )
    p.add_argument(
        "--quarantine",
        "-q",
        metavar="FILE|s3://BUCKET/KEY",
        help="write each invalid record as JSONL with reason, detail, source, line and uid"
        " (default: none; only counts and the first locations are printed)",
    )
    add_ingest_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.min_turns is not None and args.min_turns < 1:
        raise ConfigError(f"--min-turns must be at least 1, got {args.min_turns}")
    inputs = open_input_files(args.input)
    pipeline = build_pipeline(
        args, min_turns=args.min_turns, merge_turns=not args.require_alternating
    )
    progress = tqdm(unit=" records", desc="validate", file=sys.stderr, disable=None)
    with ExitStack() as stack:
        q_uri = None
        fh = None
        if args.quarantine:
            q_store, q_key = open_location(args.quarantine)
            q_uri = q_store.uri(q_key)
            if q_uri in {i.store.uri(i.key) for i in inputs}:
                raise ConfigError(f"--quarantine {args.quarantine} is also an input")
            fh = stack.enter_context(q_store.open_write(q_key))
        invalid = InvalidRecords(fh)

        def units() -> Iterator[Unit]:
            for unit in read_units(inputs, **pipeline.read_kwargs()):
                progress.update(1)
                invalid.current_uid = record_uid(unit)
                yield unit

        valid = sum(1 for _ in pipeline.run(units(), invalid))
    progress.close()
    pipeline.check_balance()
    stats = pipeline.stats()
    print(f"records: {stats['units_in']}  valid: {valid}  invalid: {stats['quarantined']}")
    print_ingest_stats(stats, "invalid")
    for line in invalid.shown:
        print(f"  invalid: {line}")
    if invalid.count > len(invalid.shown):
        print(f"  ... and {invalid.count - len(invalid.shown)} more")
    if q_uri is not None:
        print(f"quarantine: {q_uri}")
    return 1 if invalid.count else 0

"""``pixel-platform long-running`` and ``pixel-platform edge-cases``: derived datasets.

Both write ChatML JSONL to a local file (or, for edge cases, straight to ``s3://bucket/key``)
and, with ``--upload-s3``, copy it to ``<--s3-output-prefix><file name>`` in the bucket the
environment names (``OVH_S3_BUCKET``; the bundled registry lists those prefixes as sources of the
``long_running_therapy`` and ``edge_case_synthetic`` families). An ``s3://bucket/...`` input or
output uses that bucket with the endpoint and credentials of the environment.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from tqdm import tqdm

from pixel_platform.cli.locations import read_source_manifest
from pixel_platform.core.errors import ConfigError
from pixel_platform.core.record import Conversation
from pixel_platform.derived import long_running
from pixel_platform.pipeline.partition import HashingWriter
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.factory import open_store
from pixel_platform.storage.keys import join_key
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.storage.locations import (
    BucketStores,
    is_remote,
    open_location,
    parse_location,
)
from pixel_platform.storage.settings import StorageSettings

STYLES = ("therapeutic", "challenging", "brief")
PROBLEMS_SHOWN = 10


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    lr = sub.add_parser(
        "long-running",
        help="select conversations with many dialogue turns from processed/curated JSONL",
    )
    lr.add_argument(
        "--min-turns",
        type=int,
        default=long_running.DEFAULT_MIN_TURNS,
        help="minimum dialogue turns, system prompts excluded (default: %(default)s)",
    )
    lr.add_argument("--limit", type=int, help="stop after this many selected conversations")
    lr.add_argument(
        "--source-key",
        action="append",
        default=[],
        metavar="PATH_OR_S3_URI",
        help="a JSONL file: local path or s3://bucket/key (repeatable)",
    )
    lr.add_argument(
        "--manifest",
        metavar="FILE",
        help='a JSON file listing the inputs: {"sources": ["s3://bucket/key.jsonl",'
        ' "path/to/file.jsonl"]} or the bare list; local paths are relative to the'
        " manifest's directory; read before --source-key and --input-dir (default: none)",
    )
    lr.add_argument(
        "--input-dir",
        metavar="DIR_OR_S3_PREFIX",
        help="scan *.jsonl recursively under a local directory or s3://bucket/prefix"
        f" (default, when no input is given: {long_running.DEFAULT_INPUT_PREFIX}"
        " of the configured storage)",
    )
    lr.add_argument(
        "--output",
        type=Path,
        default=Path("long_running_therapy.jsonl"),
        help="local output file (default: %(default)s)",
    )
    _upload_flags(lr, long_running.DEFAULT_OUTPUT_PREFIX)
    lr.add_argument(
        "--verbose", action="store_true", default=argparse.SUPPRESS, help="log every file scanned"
    )
    lr.set_defaults(func=run_long_running)

    from pixel_platform.derived.edge_cases.generate import (
        DEFAULT_MAX_ATTEMPTS,
        DEFAULT_OUTPUT_PREFIX,
        DEFAULT_STYLE,
    )

    ec = sub.add_parser("edge-cases", help="generate synthetic crisis role-play conversations")
    ec.add_argument(
        "--categories", default="all", help="'all' or a comma list of categories (default: all)"
    )
    ec.add_argument(
        "--count",
        type=int,
        default=1000,
        help="conversations in total, spread evenly over the categories",
    )
    ec.add_argument("--seed", type=int, default=0, help="same seed, same template output")
    ec.add_argument(
        "--roleplay-style",
        choices=STYLES,
        default=DEFAULT_STYLE,
        help=f"how the client speaks (default {DEFAULT_STYLE})",
    )
    ec.add_argument(
        "--backend",
        choices=("template", "openai"),
        default="template",
        help="template (offline, default) or openai (an OpenAI-compatible server:"
        " PIXEL_LLM_BASE_URL, PIXEL_LLM_API_KEY, PIXEL_LLM_MODEL)",
    )
    ec.add_argument(
        "--base-url",
        help="OpenAI-compatible API base URL, e.g. "
        "http://localhost:8000/v1 (default: $PIXEL_LLM_BASE_URL "
        "or https://api.openai.com/v1); key from "
        "$PIXEL_LLM_API_KEY",
    )
    ec.add_argument("--model", help="model name for --backend openai (default: $PIXEL_LLM_MODEL)")
    ec.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds to wait for one completion (default: %(default)s)",
    )
    ec.add_argument(
        "--max-attempts",
        type=int,
        default=DEFAULT_MAX_ATTEMPTS,
        help="tries per conversation before it counts as failed",
    )
    ec.add_argument(
        "--output",
        default="edge_case_synthetic.jsonl",
        help="local path or s3://bucket/key (default: %(default)s)",
    )
    _upload_flags(ec, DEFAULT_OUTPUT_PREFIX)
    ec.set_defaults(func=run_edge_cases)


def _upload_flags(parser: argparse.ArgumentParser, default_prefix: str) -> None:
    parser.add_argument(
        "--upload-s3",
        action="store_true",
        help="also upload the output to the bucket in $OVH_S3_BUCKET",
    )
    parser.add_argument(
        "--s3-output-prefix",
        default=default_prefix,
        help="key prefix for --upload-s3 (default: %(default)s)",
    )


# -- locations -------------------------------------------------------------------------------------
def local_file(path: str | Path) -> tuple[ObjectStore, str]:
    path = Path(path).expanduser().resolve()
    return LocalObjectStore(path.parent), path.name


def input_groups(
    source_keys: list[str], input_dir: str | None, manifest: str | None = None
) -> list[tuple[ObjectStore, list[str]]]:
    """(store, keys) per input, in the order given: the manifest's sources, ``--source-key``s,
    then ``--input-dir``; no input: the configured storage's ``pipeline/curated/`` minus the
    long-running family's own outputs."""
    groups: list[tuple[ObjectStore, list[str]]] = []
    listed = [("--manifest", s) for s in read_source_manifest(manifest)] if manifest else []
    buckets = BucketStores()
    for flag, source in [*listed, *(("--source-key", s) for s in source_keys)]:
        parsed = parse_location(source)
        if parsed.is_remote:
            key = parsed.object_key
            if key is None:
                raise ConfigError(f"{flag} {source}: give an object key, not a bucket or prefix")
            store = buckets.of(parsed)
            if groups and groups[-1][0] is store:
                groups[-1][1].append(key)  # one pass over consecutive keys of one bucket
            else:
                groups.append((store, [key]))
        else:
            if not Path(source).is_file():
                raise ConfigError(f"{flag} {source}: no such file")
            store, key = local_file(source)
            groups.append((store, [key]))
    if input_dir is not None:
        if is_remote(input_dir):
            store, prefix = open_location(input_dir, directory=True)
        else:
            if not Path(input_dir).is_dir():
                raise ConfigError(f"--input-dir {input_dir}: no such directory")
            store, prefix = LocalObjectStore(input_dir), ""
        keys = long_running.find_jsonl_keys(store, prefix)
        if not keys:
            raise ConfigError(f"--input-dir {input_dir}: no *.jsonl files found")
        groups.append((store, keys))
    if not groups:
        store = open_store(StorageSettings.from_env())
        keys = long_running.find_jsonl_keys(
            store, long_running.DEFAULT_INPUT_PREFIX, exclude_families=[long_running.FAMILY]
        )
        if not keys:
            raise ConfigError(
                f"no input: {store.uri(long_running.DEFAULT_INPUT_PREFIX)} has no "
                "*.jsonl files; give --source-key or --input-dir"
            )
        groups.append((store, keys))
    return groups


def write_jsonl(store: ObjectStore, key: str, records: Iterable[Conversation]) -> HashingWriter:
    """Write one record per line; the object appears atomically when every record is written."""
    with store.open_write(key) as fh:
        writer = HashingWriter(fh)
        for record in records:
            writer.write_line(record.to_json())
    return writer


def upload(path: Path, prefix: str) -> str:
    store = open_store(StorageSettings.from_env(backend="s3"))
    key = join_key(prefix, path.name)
    store.upload_file(path, key)
    return store.uri(key)


# -- long-running ----------------------------------------------------------------------------------
def run_long_running(args: argparse.Namespace) -> int:
    groups = input_groups(args.source_key, args.input_dir, args.manifest)
    stats = long_running.ExtractionStats(min_turns=args.min_turns, limit=args.limit)
    out_store, out_key = local_file(args.output)
    bar = tqdm(desc="long-running", unit=" lines", file=sys.stderr, disable=None)

    def records() -> Iterator[Conversation]:
        for store, keys in groups:
            if stats.limit_reached():
                stats.stopped_at_limit = True
                return
            yield from long_running.extract_long_running(
                store,
                keys,
                min_turns=args.min_turns,
                limit=args.limit,
                stats=stats,
                progress=bar.update,
            )

    try:
        written = write_jsonl(out_store, out_key, records())
    finally:
        bar.close()
    print(
        f"files scanned: {stats.files_scanned}  records read: {stats.records_read}"
        f"  selected (>= {args.min_turns} turns): {stats.selected}"
        f"  below min turns: {stats.below_min_turns}"
        + ("  (stopped at --limit)" if stats.stopped_at_limit else "")
    )
    _print_bad_lines(stats)
    print(
        f"output: {out_store.uri(out_key)} ({written.records} records, sha256 "
        f"{written.sha256.hexdigest()})"
    )
    if args.upload_s3:
        print(f"uploaded: {upload(args.output.expanduser().resolve(), args.s3_output_prefix)}")
    return 0


def _print_bad_lines(stats: long_running.ExtractionStats) -> None:
    if not stats.bad_lines:
        return
    reasons = ", ".join(f"{r}: {n}" for r, n in sorted(stats.bad_by_reason.items()))
    print(f"bad lines (skipped, counted): {stats.bad_lines} ({reasons})")
    for problem in stats.problems[:PROBLEMS_SHOWN]:
        print(f"  {problem.describe()}")
    if stats.bad_lines > PROBLEMS_SHOWN:
        print(f"  ... and {stats.bad_lines - PROBLEMS_SHOWN} more")


# -- edge cases ------------------------------------------------------------------------------------
def run_edge_cases(args: argparse.Namespace) -> int:
    from pixel_platform.derived.edge_cases import (
        OpenAIChatGenerator,
        OpenAISettings,
        generate_edge_cases,
    )
    from pixel_platform.derived.edge_cases.generate import Generator

    output = parse_location(args.output)
    if args.upload_s3 and output.is_remote:
        raise ConfigError(
            f"--output is already an {output.scheme} location; --upload-s3 uploads a local"
            " output file"
        )
    backend: Generator | str = "template"
    if args.backend == "openai":
        backend = OpenAIChatGenerator(
            OpenAISettings.from_env(
                base_url=args.base_url, model=args.model, read_timeout_s=args.timeout
            )
        )
    elif args.base_url or args.model:
        raise ConfigError("--base-url and --model apply to --backend openai only")
    run = generate_edge_cases(
        args.categories,
        args.count,
        args.seed,
        args.roleplay_style,
        backend,
        max_attempts=args.max_attempts,
    )
    if output.is_remote:
        out_store, key = open_location(args.output)
    else:
        out_store, key = local_file(args.output)

    def counted() -> Iterator[Conversation]:
        with tqdm(
            total=args.count,
            desc="edge-cases",
            unit=" conversations",
            file=sys.stderr,
            disable=None,
        ) as bar:
            for record in run:
                bar.update(1)
                yield record

    written = write_jsonl(out_store, key, counted())
    stats = run.stats
    rejected = ", ".join(f"{r}: {n}" for r, n in sorted(stats.rejected.items())) or "none"
    print(
        f"generated: {stats.generated}/{stats.requested}  attempts: {stats.attempts}"
        f"  rejected: {rejected}  failed: {stats.failed_slots}"
    )
    print(
        f"categories: {len(stats.by_category)}  crisis replies safe: "
        f"{stats.crisis_replies_safe}/{stats.crisis_replies_needed}"
    )
    print(
        f"output: {out_store.uri(key)} ({written.records} records, sha256 "
        f"{written.sha256.hexdigest()})"
    )
    if args.upload_s3:
        local = Path(args.output).expanduser().resolve()
        print(f"uploaded: {upload(local, args.s3_output_prefix)}")
    return 1 if stats.failed_slots else 0

"""``pixel-platform dedup`` and ``pixel-platform redact``: the curation core from the shell."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

from pixel_platform.cli.common import storage_settings
from pixel_platform.core.progress import TqdmProgress
from pixel_platform.core.record import Conversation, record_content_hash
from pixel_platform.core.steps import ListQuarantine
from pixel_platform.curation.config import CurationConfig
from pixel_platform.registry.model import load_registry
from pixel_platform.storage.factory import open_store


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    d = sub.add_parser(
        "dedup", help="global exact + near-duplicate dedup over every curated partition"
    )
    mode = d.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help="report clusters and counts only")
    mode.add_argument("--confirm", action="store_true", help="write the deduplicated partitions")
    d.add_argument("--registry", help="registry YAML (default: $PIXEL_REGISTRY or the bundled one)")
    d.add_argument(
        "--curation-config",
        help="curation YAML (default: $PIXEL_CURATION_CONFIG or the bundled one)",
    )
    d.add_argument(
        "--storage-root",
        help="use a local directory as the bucket (default: the storage settings,"
        " DATASET_STORAGE_*; ./data/bucket)",
    )
    d.set_defaults(func=run_dedup)

    r = sub.add_parser("redact", help="PII-redact a ChatML JSONL file (typed placeholders)")
    r.add_argument("input", type=Path, help="ChatML JSONL to redact")
    r.add_argument("--output", "-o", type=Path, required=True, help="where the redacted JSONL goes")
    r.add_argument(
        "--curation-config",
        help="curation YAML (default: $PIXEL_CURATION_CONFIG or the bundled one)",
    )
    r.set_defaults(func=run_redact)


def run_dedup(args: argparse.Namespace) -> int:
    from pixel_platform.pipeline.dedup import deduplicate  # heavy (polars, numpy): on use only

    store = open_store(storage_settings(args.storage_root))
    config = CurationConfig.load(args.curation_config)
    progress = TqdmProgress()  # bars on a terminal only
    try:
        report = deduplicate(
            store, load_registry(args.registry), config.dedup, write_outputs=args.confirm,
            progress=progress,
        )  # fmt: skip
    finally:
        progress.close()
    stats = report.stats
    mode = "dry run: nothing written but the dedup log" if args.dry_run else "confirmed"
    print(f"dedup ({mode})")
    print(
        f"records in: {stats.records_in}  kept: {stats.kept}"
        f"  exact duplicates: {stats.dropped_exact}  near duplicates: {stats.dropped_near}"
    )
    print(
        f"clusters: {stats.clusters}  partitions hashed: {stats.partitions_hashed}"
        f"  reused: {stats.partitions_reused}"
        f"  duplicate rate after: {stats.duplicate_rate_after:.4%}"
    )
    print(f"dedup log: {store.uri(report.log_key)}")
    return 0


def run_redact(args: argparse.Namespace) -> int:
    from pixel_platform.curation.pii import RedactStep  # spaCy + presidio: on use only

    if not args.input.is_file():
        print(f"error: cannot read {args.input}", file=sys.stderr)
        return 2
    config = CurationConfig.load(args.curation_config)
    step = RedactStep(config=config.pii)
    statuses: Counter[str] = Counter()

    def records() -> Iterator[Conversation]:
        with args.input.open("rb") as fh:
            for line in tqdm(fh, desc="redact", unit=" records", file=sys.stderr, disable=None):
                if line.strip():
                    yield Conversation.from_json(line)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with args.output.open("wb") as out:
            for record in step.run(records(), ListQuarantine()):
                record.metadata["content_hash"] = record_content_hash(
                    record.messages, record.metadata
                )
                statuses[record.metadata.get("pii_status", "unknown")] += 1
                out.write(record.to_json() + b"\n")
    finally:
        step.redactor.close()
    print(
        f"records: {sum(statuses.values())}  "
        + "  ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    )
    spans = {
        k[4:]: v
        for k, v in step.stats.changed.items()
        if k.startswith("pii_") and not k.startswith("pii_status")
    }
    print("spans redacted: " + (", ".join(f"{k}={v}" for k, v in sorted(spans.items())) or "none"))
    print(f"output: {args.output}")
    return 0

"""``pixel-platform inventory`` and ``pixel-platform sync``."""

from __future__ import annotations

import argparse
import sys

from pixel_platform.cli.common import storage_settings
from pixel_platform.core.errors import ConfigError
from pixel_platform.pipeline.inventory import take_inventory, write_coverage_report
from pixel_platform.registry.model import load_registry
from pixel_platform.storage.factory import open_store
from pixel_platform.sync.rclone import SyncSpec, sync


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("inventory", help="list the bucket and write the family coverage report")
    p.add_argument("--registry", help="registry YAML (default: $PIXEL_REGISTRY or the bundled one)")
    p.add_argument(
        "--storage-root",
        help="use a local directory as the bucket (default: the storage settings,"
        " DATASET_STORAGE_*; ./data/bucket)",
    )
    p.set_defaults(func=inventory)

    s = sub.add_parser(
        "sync", help="rclone copy a remote into gdrive/raw/ and write the sync marker"
    )
    s.add_argument("source", help="rclone source path, e.g. gdrive:datasets or a local directory")
    s.add_argument(
        "--dest-prefix",
        default="gdrive/raw/",
        help="where in the bucket to copy (default gdrive/raw/)",
    )
    s.add_argument("--transfers", type=int, default=2, help="rclone parallel transfers (default 2)")
    s.add_argument(
        "--storage-root",
        help="use a local directory as the bucket (default: the storage settings,"
        " DATASET_STORAGE_*; ./data/bucket)",
    )
    s.set_defaults(func=run_sync)


def inventory(args: argparse.Namespace) -> int:
    settings = storage_settings(args.storage_root)
    if settings.backend == "local" and not settings.local_path.is_dir():
        # never create an empty bucket here and report every family missing from it
        raise ConfigError(
            f"no local bucket at {settings.local_path.resolve()}: run from the checkout (where"
            " `make run` seeds data/bucket), or pass --storage-root DIR or set"
            " DATASET_STORAGE_LOCAL_PATH"
        )
    store = open_store(settings)
    inv = take_inventory(store, load_registry(args.registry))
    key = write_coverage_report(store, inv)
    print(f"{'family':34} {'objects':>8} {'bytes':>12}  present")
    for name, cov in inv.families.items():
        print(f"{name:34} {cov.objects:>8} {cov.bytes:>12}  {'yes' if cov.present else 'MISSING'}")
    print(f"unclaimed objects: {inv.unclaimed_objects}")
    print(f"coverage report: {store.uri(key)}")
    return 0


def run_sync(args: argparse.Namespace) -> int:
    settings = storage_settings(args.storage_root)
    store = open_store(settings)
    spec = SyncSpec(source=args.source, dest_prefix=args.dest_prefix, transfers=args.transfers)
    result = sync(store, settings, spec, on_line=lambda line: print(line, file=sys.stderr))
    print(f"synced {args.source} -> {result.destination} in {result.seconds:.1f}s")
    print(f"marker: {store.uri(result.marker_key or '')}")
    return 0

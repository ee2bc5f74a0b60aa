"""``pixel-platform run``: the arguments; the work is in ``run_pipeline`` (Dagster and the
whole pipeline), imported only when the command runs so that the CLI starts fast."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run", help="materialize every asset on the configured storage and print a summary"
    )
    p.add_argument("--registry", help="registry YAML (default: $PIXEL_REGISTRY or the bundled one)")
    p.add_argument("--curation-config", help="curation YAML (default: $PIXEL_CURATION_CONFIG)")
    p.add_argument("--storage-root", help="use a local directory as the bucket (default: env)")
    p.add_argument("--family", action="append", help="only these families (repeatable)")
    p.add_argument(
        "--no-sample", action="store_true", help="do not seed an empty local store with the sample"
    )
    p.add_argument(
        "--no-train",
        action="store_true",
        help="stop after the release (no training, no evaluation)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pixel_platform.cli.run_pipeline import run_pipeline

    return run_pipeline(args)

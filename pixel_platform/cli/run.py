"""``pixel-platform run``: the arguments; the work is in ``run_pipeline`` (Dagster and the
whole pipeline), imported only when the command runs so that the CLI starts fast."""

from __future__ import annotations

import argparse
from typing import Any

RELEASE_OP = "dataset_release"  # the release asset's op, whose run config takes the waivers


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run", help="materialize every asset on the configured storage and print a summary"
    )
    p.add_argument("--registry", help="registry YAML (default: $PIXEL_REGISTRY or the bundled one)")
    p.add_argument("--curation-config", help="curation YAML (default: $PIXEL_CURATION_CONFIG)")
    p.add_argument("--storage-root", help="use a local directory as the bucket (default: env)")
    p.add_argument("--family", action="append", help="only these families (repeatable)")
    p.add_argument(
        "--waive-coverage",
        action="append",
        default=[],
        metavar="FAMILY:REASON",
        help="let the release lack FAMILY (Coverage gate); the reason is recorded in the"
        " manifest (repeatable)",
    )
    p.add_argument(
        "--no-sample", action="store_true", help="do not seed an empty local store with the sample"
    )
    p.add_argument(
        "--no-train",
        action="store_true",
        help="stop after the release (no training, no evaluation)",
    )
    p.set_defaults(func=run)


def release_ops_config(args: argparse.Namespace) -> dict[str, Any] | None:
    """The ``ops`` run config that hands ``--waive-coverage`` to the release asset."""
    waivers = list(getattr(args, "waive_coverage", None) or ())
    return {RELEASE_OP: {"config": {"waive_coverage": waivers}}} if waivers else None


def check_waivers(args: argparse.Namespace) -> None:
    """Fail before any work on a waiver without a reason or for a family the registry lacks."""
    if not args.waive_coverage:
        return
    from pixel_platform.registry.model import load_registry
    from pixel_platform.release.waivers import parse_waivers, resolve_waivers

    resolve_waivers(load_registry(args.registry), parse_waivers(args.waive_coverage, "cli"))


def run(args: argparse.Namespace) -> int:
    check_waivers(args)
    from pixel_platform.cli.run_pipeline import run_pipeline

    return run_pipeline(args)

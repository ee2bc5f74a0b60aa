"""Entry point of the ``pixel-platform`` console script."""

from __future__ import annotations

import argparse
import logging
import sys

from pixel_platform import __version__
from pixel_platform.cli import (
    check_s3,
    convert,
    curate,
    derived_data,
    derived_edge,
    fix_encoding,
    ops,
    release_keys,
    review,
    run,
    serve,
    train,
    validate,
    verify,
)
from pixel_platform.cli.common import configure_logging
from pixel_platform.core.errors import PixelError

log = logging.getLogger("pixel_platform.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pixel-platform",
        description="Turn mental-health conversation datasets into gated ChatML training releases.",
    )
    parser.add_argument("--version", action="version", version=f"pixel-platform {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    convert.add_parser(sub)
    validate.add_parser(sub)
    fix_encoding.add_parser(sub)
    run.add_parser(sub)
    ops.add_parsers(sub)
    check_s3.add_parser(sub)
    curate.add_parsers(sub)
    verify.add_parser(sub)
    release_keys.add_parser(sub)
    review.add_parser(sub)
    serve.add_parser(sub)
    derived_edge.add_parsers(sub)
    derived_data.add_parsers(sub)
    train.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        return int(args.func(args))
    except PixelError as exc:
        # Our errors carry an actionable message and never secrets or conversation text.
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

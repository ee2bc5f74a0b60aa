"""``pixel-platform review sign-off --version V --reviewer ID [--reject]``: a reviewer's decision
on a release's Bias/QA report (``reports/bias_qa.json``), appended to the review log
(``review/decisions/`` in the bucket; ``release.review``). An approval of a release that passed
its gates moves ``LATEST`` and ``final_dataset/`` to it, unless a later version is there already:
what a build with ``bias_qa.require_review: true`` leaves to the reviewer."""

from __future__ import annotations

import argparse

from pixel_platform.cli.common import storage_settings
from pixel_platform.release.review import sign_off
from pixel_platform.storage.factory import open_store


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("review", help="review decisions (the review log)")
    rsub = p.add_subparsers(dest="review_command", required=True)
    s = rsub.add_parser(
        "sign-off",
        help="approve (or --reject) a release's Bias/QA report; an approval moves LATEST to it",
    )
    s.add_argument("--version", required=True, help="the release version, e.g. v2026-12-07")
    s.add_argument("--reviewer", required=True, help="who reviewed the report (an id, e.g. email)")
    s.add_argument("--reject", action="store_true", help="record a rejection; LATEST stays")
    s.add_argument(
        "--storage-root",
        default=None,
        help="bucket root (local backend); default: the storage settings, ./data/bucket",
    )
    s.set_defaults(func=sign_off_command)


def sign_off_command(args: argparse.Namespace) -> int:
    store = open_store(storage_settings(args.storage_root))
    result = sign_off(store, args.version, args.reviewer, approve=not args.reject)
    decision = result.decision
    print(
        f"{decision.decision}: {args.version} Bias/QA report {decision.content_hash_after}"
        f" by {decision.reviewer} (review log {result.log_key})"
    )
    if result.latest_moved:
        print(f"LATEST -> {args.version}")
    elif not args.reject:
        print(f"LATEST stays: {result.why_not}")
    return 0

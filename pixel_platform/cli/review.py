"""``pixel-platform review``: the review queue and the review log.

- ``push``: queue what needs a person (PII to confirm, unsafe crisis replies, a sample of the
  generated families) in Label Studio (``LABEL_STUDIO_URL``, ``LABEL_STUDIO_API_KEY``);
- ``pull``: append the finished tasks' decisions to the review log (``review/decisions/``);
  the next release build applies them;
- ``status``: tasks, annotated, decided and pending per task;
- ``sign-off --version V --reviewer ID [--reject]``: a reviewer's decision on a release's
  Bias/QA report (``reports/bias_qa.json``). An approval of a release that passed its gates
  moves ``LATEST`` and ``final_dataset/`` to it, unless a later version is there already: what
  a build with ``bias_qa.require_review: true`` leaves to the reviewer.

Output is counts only: no conversation text is printed."""

from __future__ import annotations

import argparse
import json
import os

from pixel_platform.cli.common import storage_settings
from pixel_platform.pipeline.release import release_inputs
from pixel_platform.registry.model import load_registry
from pixel_platform.release.review import sign_off
from pixel_platform.review.book import CRISIS_TASK
from pixel_platform.review.items import DEFAULT_NAMESPACE
from pixel_platform.review.label_studio import LabelStudio
from pixel_platform.review.queue import QueueReport, QueueSettings, pull, push, status
from pixel_platform.storage.factory import open_store

URL_ENV, KEY_ENV = "LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"


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
    for name, func, text in (
        ("push", push_command, "queue what needs a person in Label Studio"),
        ("pull", pull_command, "append finished review tasks to the review log"),
        ("status", status_command, "count tasks, decisions and pending items"),
    ):
        q = rsub.add_parser(name, help=text)
        q.add_argument("--url", default=None, help=f"Label Studio URL; default ${URL_ENV}")
        q.add_argument("--api-key", default=None, help=f"its access token; default ${KEY_ENV}")
        q.add_argument(
            "--crisis-reviewers",
            type=int,
            default=1,
            help="agreeing reviewers a crisis reply needs (a disagreement asks one more)",
        )
        q.add_argument(
            "--sample-rate",
            type=float,
            default=QueueSettings().sample_rate,
            help="share of each generated family's records sampled for review (push)",
        )
        q.add_argument(
            "--namespace",
            default=DEFAULT_NAMESPACE,
            help="the Label Studio projects' title prefix (one tool, several deployments)",
        )
        q.add_argument("--storage-root", default=None, help="bucket root (local backend)")
        q.set_defaults(func=func)


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


def _queue(args: argparse.Namespace) -> tuple[LabelStudio, QueueSettings]:
    client = LabelStudio(
        args.url or os.environ.get(URL_ENV, ""), args.api_key or os.environ.get(KEY_ENV, "")
    )
    base = QueueSettings()
    settings = QueueSettings(
        reviewers={**base.reviewers, CRISIS_TASK: args.crisis_reviewers},
        sample_rate=args.sample_rate,
        namespace=args.namespace,
    )
    return client, settings


def _print(what: str, report: QueueReport) -> int:
    print(f"review {what}: " + json.dumps(report.as_dict(), sort_keys=True))
    return 0


def push_command(args: argparse.Namespace) -> int:
    store = open_store(storage_settings(args.storage_root))
    client, settings = _queue(args)
    report = push(store, load_registry(), client, release_inputs(store).keys, settings)
    return _print("push", report)


def pull_command(args: argparse.Namespace) -> int:
    store = open_store(storage_settings(args.storage_root))
    client, settings = _queue(args)
    return _print("pull", pull(store, client, settings))


def status_command(args: argparse.Namespace) -> int:
    store = open_store(storage_settings(args.storage_root))
    client, settings = _queue(args)
    return _print("status", status(store, client, settings))

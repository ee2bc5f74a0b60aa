"""The review log, and the sign-off of a release's Bias/QA report that lets ``LATEST`` move.

The decisions go to the review log (``pixel_platform.review.log``) as task ``bias_qa_report``:
``record_uid`` is the release version, and both content hashes are the sha256 of
``bias_qa.json`` (a report is not edited). The Label Studio review queue writes the same shape.

With ``bias_qa.require_review`` a build that passes its gates publishes its version but leaves
``LATEST`` and ``final_dataset/`` where they are (``ReleaseResult.awaiting_review``);
``sign_off`` records the decision and, when it approves a release that passed its gates and is
not older than ``LATEST``, moves them (``pixel-platform review sign-off``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pixel_platform.core.errors import TerminalError
from pixel_platform.release.layout import (
    BIAS_QA,
    FINAL_PREFIX,
    RELEASES_PREFIX,
    SIGNATURE,
    key_in,
    prefix_of,
)
from pixel_platform.release.publish import is_newest, load_manifest, update_canonical, write_latest
from pixel_platform.review import log as review_log
from pixel_platform.storage.base import ObjectStore

log = logging.getLogger(__name__)

BIAS_QA_TASK = "bias_qa_report"


def current_decision(
    store: ObjectStore, version: str, report_sha256: str, *, prefix: str = review_log.REVIEW_PREFIX
) -> review_log.Decision | None:
    """The last decision on ``version``'s Bias/QA report with exactly these bytes, if any."""
    last = None
    for decision in review_log.read_decisions(store, BIAS_QA_TASK, prefix=prefix):
        if decision.record_uid == version and decision.content_hash_after == report_sha256:
            last = decision
    return last


@dataclass(frozen=True)
class SignOff:
    decision: review_log.Decision
    log_key: str
    latest_moved: bool
    why_not: str = ""  # when approved but LATEST stayed: why


def sign_off(
    store: ObjectStore,
    version: str,
    reviewer: str,
    *,
    approve: bool = True,
    releases_prefix: str = RELEASES_PREFIX,
    final_prefix: str = FINAL_PREFIX,
    review_prefix: str = review_log.REVIEW_PREFIX,
    clock: Callable[[], datetime] | None = None,
) -> SignOff:
    """Record a reviewer's decision on ``version``'s Bias/QA report; an approval of a release
    that passed its gates moves ``LATEST`` and ``final_dataset/`` to it (never backwards)."""
    manifest = load_manifest(store, version, releases_prefix)
    release_prefix = prefix_of(releases_prefix, version)
    entry = next((f for f in manifest.get("files") or () if f.get("path") == BIAS_QA), None)
    if entry is None:
        raise TerminalError(f"release {version} has no {BIAS_QA}: nothing to review")
    digest = (
        "sha256:" + hashlib.sha256(store.read_bytes(key_in(release_prefix, BIAS_QA))).hexdigest()
    )
    if digest != entry.get("sha256"):
        raise TerminalError(
            f"release {version}: {BIAS_QA} is not the file its manifest lists (sha256 differs);"
            " run pixel-platform verify on it"
        )
    now = (clock or (lambda: datetime.now(UTC)))().astimezone(UTC).isoformat()
    verdict = review_log.APPROVED if approve else review_log.REJECTED
    decision = review_log.Decision(
        BIAS_QA_TASK, version, digest, digest, verdict, reviewer, now
    )
    log_key = review_log.append_decisions(store, [decision], prefix=review_prefix)
    log.info("review: %s %s the Bias/QA report of %s", reviewer, decision.decision, version)
    if not approve:
        return SignOff(decision, log_key, False, "rejected")
    if (manifest.get("gates") or {}).get("passed") is not True:
        return SignOff(decision, log_key, False, "the release failed its gates")
    if not is_newest(store, version, releases_prefix):
        return SignOff(decision, log_key, False, "LATEST already points at a later version")
    paths = [str(f.get("path")) for f in manifest.get("files") or ()]
    if store.head(key_in(release_prefix, SIGNATURE)) is not None:
        paths.append(SIGNATURE)
    update_canonical(store, release_prefix, final_prefix, paths)
    write_latest(store, releases_prefix, version, now)
    return SignOff(decision, log_key, True)

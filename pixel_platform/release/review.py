"""The review log, and the sign-off of a release's Bias/QA report that lets ``LATEST`` move.

The log is append-only JSONL under ``review/decisions/`` in the bucket: each write adds a new
object ``<task>/<UTC time>-<random>.jsonl`` (never rewritten, so writers never race and an S3
bucket needs no locking), one JSON object per decision line:

``task`` (what kind of thing was reviewed: here ``bias_qa_report``), ``record_uid`` (which one:
here the release version), ``content_hash_before``/``content_hash_after`` (sha256 of what the
reviewer saw and of what stands after the decision; a report is not edited, so both are the
digest of ``bias_qa.json``), ``decision`` (``approved``/``rejected``), ``reviewer``, ``time``
(UTC ISO 8601) and ``tool_task_id`` (the review tool's task; null for a CLI sign-off). The
Label Studio review queue writes the same shape. Readers take the objects in name order.

With ``bias_qa.require_review`` a build that passes its gates publishes its version but leaves
``LATEST`` and ``final_dataset/`` where they are (``ReleaseResult.awaiting_review``);
``sign_off`` records the decision and, when it approves a release that passed its gates and is
not older than ``LATEST``, moves them (``pixel-platform review sign-off``).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from pixel_platform.core.errors import ConfigError, TerminalError
from pixel_platform.release.layout import (
    BIAS_QA,
    FINAL_PREFIX,
    RELEASES_PREFIX,
    SIGNATURE,
    key_in,
    prefix_of,
)
from pixel_platform.release.publish import is_newest, load_manifest, update_canonical, write_latest
from pixel_platform.storage.base import ObjectStore

log = logging.getLogger(__name__)

REVIEW_PREFIX = "review/decisions/"
BIAS_QA_TASK = "bias_qa_report"
APPROVED, REJECTED = "approved", "rejected"


@dataclass(frozen=True)
class Decision:
    task: str
    record_uid: str
    content_hash_before: str
    content_hash_after: str
    decision: str
    reviewer: str
    time: str
    tool_task_id: str | None = None

    def __post_init__(self) -> None:
        if self.decision not in (APPROVED, REJECTED):
            raise ConfigError(f"a decision is {APPROVED!r} or {REJECTED!r}, not {self.decision!r}")
        if not self.reviewer.strip():
            raise ConfigError("a decision needs a reviewer")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]


def append_decisions(
    store: ObjectStore, decisions: Iterable[Decision], *, prefix: str = REVIEW_PREFIX
) -> str:
    """Write ``decisions`` (one task) as a new object of the log; its key."""
    items = list(decisions)
    tasks = {d.task for d in items}
    if len(tasks) != 1:
        raise ConfigError("append_decisions takes the decisions of exactly one task")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    key = key_in(prefix_of(prefix, tasks.pop()), f"{stamp}-{uuid.uuid4().hex[:12]}.jsonl")
    store.write_bytes(key, b"".join(orjson.dumps(asdict(d)) + b"\n" for d in items))
    return key


def read_decisions(
    store: ObjectStore, task: str, *, prefix: str = REVIEW_PREFIX
) -> Iterator[Decision]:
    """Every decision of ``task`` in log order; a line that is not a decision is skipped (and
    logged with its object and line number)."""
    for info in sorted(store.list(prefix_of(prefix, task)), key=lambda i: i.key):
        for line_no, line in enumerate(store.read_bytes(info.key).splitlines(), 1):
            try:
                data = orjson.loads(line)
                if not isinstance(data, dict):
                    raise TypeError("not an object")
                yield Decision.from_dict(data)
            except (orjson.JSONDecodeError, TypeError, ConfigError):
                log.warning("review log %s line %d is not a decision; skipped", info.key, line_no)


def current_decision(
    store: ObjectStore, version: str, report_sha256: str, *, prefix: str = REVIEW_PREFIX
) -> Decision | None:
    """The last decision on ``version``'s Bias/QA report with exactly these bytes, if any."""
    last = None
    for decision in read_decisions(store, BIAS_QA_TASK, prefix=prefix):
        if decision.record_uid == version and decision.content_hash_after == report_sha256:
            last = decision
    return last


@dataclass(frozen=True)
class SignOff:
    decision: Decision
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
    review_prefix: str = REVIEW_PREFIX,
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
    decision = Decision(
        BIAS_QA_TASK, version, digest, digest, APPROVED if approve else REJECTED, reviewer, now
    )
    log_key = append_decisions(store, [decision], prefix=review_prefix)
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

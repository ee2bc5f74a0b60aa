"""The review log: append-only JSONL under ``review/decisions/`` in the bucket.

Each write adds a new object ``<task>/<UTC time>-<random>.jsonl`` (never rewritten, so writers
never race and an S3 bucket needs no locking), one JSON object per decision line:

``task`` (what kind of thing was reviewed: ``bias_qa_report``, ``pii_review``, ``crisis_reply``,
``generated_sample``), ``record_uid`` (which one: a release version or a record uid),
``content_hash_before``/``content_hash_after`` (the content hash of what the reviewer saw and of
what stands after the decision), ``decision`` (``approved``/``rejected``), ``reviewer``, ``time``
(UTC ISO 8601), ``tool_task_id`` (the review tool's task; null for a CLI sign-off), ``edits``
(what an approval changes: the spans to redact, the corrected replies; null when nothing) and
``reason`` (a reviewer's short reason code for a rejection). Readers take the objects in name
order; within a task the last decision on a record is the one that stands.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from pixel_platform.core.errors import ConfigError
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.keys import join_key

log = logging.getLogger(__name__)

REVIEW_PREFIX = "review/decisions/"
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
    edits: dict[str, Any] | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.decision not in (APPROVED, REJECTED):
            raise ConfigError(f"a decision is {APPROVED!r} or {REJECTED!r}, not {self.decision!r}")
        if not isinstance(self.reviewer, str) or not self.reviewer.strip():
            raise ConfigError("a decision needs a reviewer")

    @property
    def approved(self) -> bool:
        return self.decision == APPROVED

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def append_decisions(
    store: ObjectStore, decisions: Iterable[Decision], *, prefix: str = REVIEW_PREFIX
) -> str:
    """Write ``decisions`` (one task) as a new object of the log; its key."""
    items = list(decisions)
    tasks = {d.task for d in items}
    if len(tasks) != 1:
        raise ConfigError("append_decisions takes the decisions of exactly one task")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    key = join_key(prefix, tasks.pop(), f"{stamp}-{uuid.uuid4().hex[:12]}.jsonl")
    store.write_bytes(key, b"".join(orjson.dumps(d.as_dict()) + b"\n" for d in items))
    return key


def read_decisions(
    store: ObjectStore, task: str, *, prefix: str = REVIEW_PREFIX
) -> Iterator[Decision]:
    """Every decision of ``task`` in log order; a line that is not a decision is skipped (and
    logged with its object and line number)."""
    for info in sorted(store.list(join_key(prefix, task) + "/"), key=lambda i: i.key):
        for line_no, line in enumerate(store.read_bytes(info.key).splitlines(), 1):
            try:
                data = orjson.loads(line)
                if not isinstance(data, dict):
                    raise TypeError("not an object")
                yield Decision.from_dict(data)
            except (orjson.JSONDecodeError, TypeError, ConfigError):
                log.warning("review log %s line %d is not a decision; skipped", info.key, line_no)

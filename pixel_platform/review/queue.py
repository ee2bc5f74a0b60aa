"""Push, pull and status of the review queue: what the CLI and the Dagster assets call.

``push`` queues every review item not yet in its Label Studio project (a project per task; a task
is identified by record uid + content hash, so a record whose text changed is queued again).
``pull`` turns finished tasks into decisions appended to the review log; a task's decision is
written again only when its annotations changed it. ``status`` counts both sides.

How annotations become a decision (``resolve``): each reviewer's latest submitted annotation
counts once. ``reviewers`` agreeing annotations decide (1 by default; crisis items can require
2). When the first ``reviewers`` disagree, one more reviewer is asked for, and the majority of all
decides; a tie stays pending. An approval of a crisis item needs a reply; an annotation without
a decision (or a crisis approval without a reply) is counted ``incomplete`` and not used.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pixel_platform.registry.model import Registry
from pixel_platform.review.book import CRISIS_TASK, PII_TASK, RECORD_TASKS, ReviewBook, hash_after
from pixel_platform.review.items import (
    DEFAULT_NAMESPACE,
    LABEL_CONFIGS,
    ReviewItem,
    project_title,
    review_items,
)
from pixel_platform.review.label_studio import Annotation, LabelStudio, Task
from pixel_platform.review.log import (
    APPROVED,
    REJECTED,
    REVIEW_PREFIX,
    Decision,
    append_decisions,
    read_decisions,
)
from pixel_platform.storage.base import ObjectStore

log = logging.getLogger(__name__)

IMPORT_BATCH = 500
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class QueueSettings:
    """``reviewers``: agreeing reviewers a task needs, per task (crisis items may need 2);
    ``sample_rate``: the share of each generated family's records sampled for review."""

    reviewers: dict[str, int] = field(
        default_factory=lambda: {PII_TASK: 1, CRISIS_TASK: 1, "generated_sample": 1}
    )
    sample_rate: float = 0.02
    prefix: str = REVIEW_PREFIX
    namespace: str = DEFAULT_NAMESPACE  # the projects' title prefix (items.project_title)

    def needed(self, task: str) -> int:
        return max(1, int(self.reviewers.get(task, 1)))


@dataclass
class QueueReport:
    """Counts per task (names and numbers only: no text)."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, task: str, what: str, n: int = 1) -> None:
        self.counts.setdefault(task, Counter())[what] += n

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {task: dict(sorted(c.items())) for task, c in sorted(self.counts.items())}


def push(
    store: ObjectStore,
    registry: Registry,
    client: LabelStudio,
    keys: Iterable[str],
    settings: QueueSettings | None = None,
) -> QueueReport:
    settings = settings or QueueSettings()
    book = ReviewBook.load(store, settings.prefix)
    report = QueueReport()
    by_task: dict[str, list[ReviewItem]] = {}
    for item in review_items(store, keys, registry, book, sample_rate=settings.sample_rate):
        by_task.setdefault(item.task, []).append(item)
    for task in RECORD_TASKS:
        items = by_task.get(task, [])
        if not items:
            continue
        project = _project(client, task, settings)
        queued = {(t.data.get("uid"), t.data.get("content_hash")) for t in client.tasks(project)}
        new = [i for i in items if (i.uid, i.content_hash) not in queued]
        report.add(task, "already_queued", len(items) - len(new))
        for start in range(0, len(new), IMPORT_BATCH):
            batch = new[start : start + IMPORT_BATCH]
            client.import_tasks(project, [i.ls_task() for i in batch])
            report.add(task, "queued", len(batch))
        log.info(
            "review push: %s: %d new, %d already queued", task, len(new), len(items) - len(new)
        )
    return report


def pull(
    store: ObjectStore, client: LabelStudio, settings: QueueSettings | None = None
) -> QueueReport:
    settings = settings or QueueSettings()
    report = QueueReport()
    for task in RECORD_TASKS:
        project = _project(client, task, settings)
        standing = {d.tool_task_id: d for d in read_decisions(store, task, prefix=settings.prefix)}
        new: list[Decision] = []
        needed = settings.needed(task)
        for item in client.tasks(project):
            decision = decide(task, item, needed, report)
            if decision is None:
                if _disagree(task, item, needed) and item.overlap < needed + 1:
                    client.set_overlap(item.id, needed + 1)  # the tool asks a third reviewer
                    report.add(task, "asked_another_reviewer")
                continue
            if _same(standing.get(decision.tool_task_id), decision):
                report.add(task, "already_recorded")
                continue
            new.append(decision)
            report.add(task, decision.decision)
        if new:
            append_decisions(store, new, prefix=settings.prefix)
        log.info("review pull: %s: %d new decisions", task, len(new))
    return report


def status(
    store: ObjectStore, client: LabelStudio, settings: QueueSettings | None = None
) -> QueueReport:
    settings = settings or QueueSettings()
    report = QueueReport()
    book = ReviewBook.load(store, settings.prefix)
    for task in RECORD_TASKS:
        for item in client.tasks(_project(client, task, settings)):
            report.add(task, "tasks")
            if item.annotations:
                report.add(task, "annotated")
            decided = book.decision(task, str(item.data.get("uid")))
            if decided is not None and decided.content_hash_before == item.data.get("content_hash"):
                report.add(task, f"decided_{decided.decision}")
            else:
                report.add(task, "pending")
    return report


def decide(
    task: str, item: Task, needed: int, report: QueueReport | None = None
) -> Decision | None:
    """The decision the annotations of ``item`` make, or None while it is pending."""
    report = report or QueueReport()
    ordered = _votes(task, item, report)
    verdict = resolve([v[1] for v in ordered], needed)
    if verdict is None:
        report.add(task, "pending" if len(ordered) < needed + 1 else "tied")
        return None
    if len({v[1] for v in ordered[:needed]}) > 1:
        report.add(task, "disagreements")
    agreeing = [v for v in ordered if v[1] == verdict]
    chosen = max(agreeing, key=lambda v: (v[0].updated_at, v[0].id))
    before = str(item.data.get("content_hash"))
    edits = chosen[2] if verdict == APPROVED else None
    messages = item.data.get("dialogue") or []
    return Decision(
        task=task,
        record_uid=str(item.data.get("uid")),
        content_hash_before=before,
        content_hash_after=hash_after(messages, task, edits) if verdict == APPROVED else before,
        decision=verdict,
        reviewer="+".join(sorted(v[0].reviewer for v in agreeing)),
        time=max(v[0].updated_at for v in agreeing),
        tool_task_id=f"label-studio:{item.project_id}/{item.id}",
        edits=edits,
        reason=chosen[3] if verdict == REJECTED else None,
    )


Vote = tuple[Annotation, str, dict[str, Any] | None, str | None]  # annotation, decision, edits, why


def _votes(task: str, item: Task, report: QueueReport | None) -> list[Vote]:
    """Each reviewer's latest usable annotation, in the order the reviewers first decided."""
    votes: dict[str, Vote] = {}
    for annotation in sorted(item.annotations, key=lambda a: (a.updated_at, a.id)):
        if annotation.cancelled:
            continue
        parsed = _parse(task, annotation.result, _int_or_none(item.data.get("unsafe_turn")))
        if parsed is None:
            if report is not None:
                report.add(task, "incomplete")
            continue
        votes[annotation.reviewer] = (annotation, *parsed)
    return sorted(votes.values(), key=lambda v: (v[0].created_at, v[0].id))


def resolve(votes: list[str], needed: int) -> str | None:
    """``needed`` agreeing first votes decide; a disagreement among them asks one more reviewer
    and the majority of all decides (a tie: None, pending)."""
    if len(votes) < needed:
        return None
    if len(set(votes[:needed])) == 1:
        return votes[0]
    if len(votes) < needed + 1:
        return None
    counts = Counter(votes).most_common()
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return None
    return counts[0][0]


def _parse(
    task: str, result: list[dict[str, Any]], unsafe_turn: int | None
) -> tuple[str, dict[str, Any] | None, str | None] | None:
    """(decision, edits, reason) of one annotation, or None when it decides nothing."""
    choice = _first(result, "decision", "choices")
    if choice not in ("approve", "reject"):
        return None
    decision = APPROVED if choice == "approve" else REJECTED
    reason = _first(result, "reason", "choices") if decision == REJECTED else None
    edits: dict[str, Any] | None = None
    if task == PII_TASK:
        edits = {"spans": _spans(result)}
    elif task == CRISIS_TASK:
        reply = (_first(result, "reply", "text") or "").strip()
        if decision == APPROVED and (not reply or unsafe_turn is None):
            return None
        edits = {"replies": {str(unsafe_turn): reply}} if decision == APPROVED else None
    return decision, edits, reason


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _first(result: list[dict[str, Any]], name: str, kind: str) -> str | None:
    for r in result:
        if r.get("from_name") == name:
            values = (r.get("value") or {}).get(kind) or []
            if kind == "text":
                return "\n".join(str(v) for v in values)
            return str(values[0]) if values else None
    return None


def _spans(result: list[dict[str, Any]]) -> list[dict[str, Any]]:
    spans = []
    for r in result:
        value = r.get("value") or {}
        if r.get("from_name") != "pii" or not value.get("paragraphlabels"):
            continue
        if str(value.get("start")) != str(value.get("end")):
            continue  # a span across two turns is not an identifier
        spans.append(
            {
                "turn": int(value["start"]),
                "start": int(value["startOffset"]),
                "end": int(value["endOffset"]),
                "type": str(value["paragraphlabels"][0]),
            }
        )
    return sorted(spans, key=lambda s: (s["turn"], s["start"]))


def _same(old: Decision | None, new: Decision) -> bool:
    return old is not None and (old.decision, old.edits, old.content_hash_before) == (
        new.decision,
        new.edits,
        new.content_hash_before,
    )


def _disagree(task: str, item: Task, needed: int) -> bool:
    """The first ``needed`` reviewers' decisions differ (and no one more has decided yet)."""
    votes = _votes(task, item, None)
    return len(votes) == needed and len({v[1] for v in votes}) > 1


def _project(client: LabelStudio, task: str, settings: QueueSettings) -> int:
    return client.project_id(
        project_title(task, settings.namespace),
        LABEL_CONFIGS[task],
        reviewers=settings.needed(task),
    )

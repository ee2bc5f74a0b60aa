"""The review book: the decision that stands for each record, applied on every release build.

A release build reads the log once (``ReviewBook.load``) and asks it about each record before
routing it. A decision applies only to the record exactly as the reviewer saw it: its
``content_hash_before`` must be the record's content hash as it comes out of dedup. A record whose
text changed since (a new source version, a new redaction pass) is ``stale``: it stays out with
its old reason and goes back to the queue. Otherwise:

- ``pii_review`` approved: the spans the reviewer kept are redacted with the curation's own
  placeholders (``<PERSON_1>``, numbered after any already in the record), the uncertain spans
  are marked reviewed and ``pii_status`` becomes ``redacted`` (``clean`` when none was kept).
- ``crisis_reply`` approved: the reviewer's reply replaces each unsafe reply, and the record's
  crisis tag no longer says unsafe (``metadata.crisis.review`` keeps the original turns' hash).
- ``generated_sample`` approved: nothing changes; the decision is recorded.
- any of them rejected: the record stays out of the release with reason ``review_rejected``.

The same log gives the same records: application is a pure function of the record and the
decisions, and the book's ``digest`` is part of the release's inputs fingerprint and cache keys.
"""

from __future__ import annotations

import copy
import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from pixel_platform.core.record import Message, content_hash, record_content_hash
from pixel_platform.curation.pii.prefilter import PLACEHOLDER
from pixel_platform.curation.pii.settings import (
    PLACEHOLDER_LABELS,
    STATUS_CLEAN,
    STATUS_REDACTED,
    STATUS_REVIEW,
    PiiConfig,
)
from pixel_platform.registry.model import Registry
from pixel_platform.review.log import REVIEW_PREFIX, Decision, read_decisions
from pixel_platform.storage.base import ObjectStore

if TYPE_CHECKING:
    from pixel_platform.curation.pii.engine import PiiSpan

PII_TASK = "pii_review"
CRISIS_TASK = "crisis_reply"
GENERATED_TASK = "generated_sample"
RECORD_TASKS = (PII_TASK, CRISIS_TASK, GENERATED_TASK)

# The release's exclusion reasons that a person resolves (counted as pending review).
PENDING_REASONS = frozenset({"pii_requires_review", "crisis_response_unsafe"})
# What a build did with a record it asked the book about.
APPLIED, REJECTED, STALE = "applied", "rejected", "stale"

_SURE = PiiConfig(uncertain_band=(0.0, 0.0))  # a reviewer's span is never uncertain


@dataclass(frozen=True)
class Outcome:
    record: dict[str, Any]  # the record to route (edited when a decision applied)
    status: str | None = None  # APPLIED, REJECTED, STALE, or None: no decision on it
    task: str | None = None


class ReviewBook:
    """The last decision per (task, record uid), from the log."""

    def __init__(self, decisions: Iterable[Decision] = ()) -> None:
        self._last: dict[tuple[str, str], Decision] = {}
        for decision in decisions:
            if decision.task in RECORD_TASKS:
                self._last[(decision.task, decision.record_uid)] = decision
        document = [d.as_dict() for _, d in sorted(self._last.items())]
        self.digest = "sha256:" + hashlib.sha256(orjson.dumps(document)).hexdigest()

    @classmethod
    def load(cls, store: ObjectStore, prefix: str = REVIEW_PREFIX) -> ReviewBook:
        return cls(d for task in RECORD_TASKS for d in read_decisions(store, task, prefix=prefix))

    def __len__(self) -> int:
        return len(self._last)

    def decision(self, task: str, uid: str) -> Decision | None:
        return self._last.get((task, uid))

    def apply(self, record: dict[str, Any], uid: str, family_generated: bool = False) -> Outcome:
        """``record`` with the decisions on ``uid`` applied (a copy when anything changed)."""
        metadata = record.get("metadata")
        if not self._last or not isinstance(metadata, dict):
            return Outcome(record)
        tasks = [task for task in pending_tasks(record, family_generated)]
        decisions = [(t, d) for t in tasks if (d := self.decision(t, uid)) is not None]
        if not decisions:
            return Outcome(record)
        seen = record_content_hash(record.get("messages") or [], metadata)
        if any(d.content_hash_before != seen for _, d in decisions):
            return Outcome(record, STALE, decisions[0][0])
        rejected = next((t for t, d in decisions if not d.approved), None)
        if rejected is not None:
            return Outcome(record, REJECTED, rejected)
        edited = copy.deepcopy(record)
        by_task = dict(decisions)
        if CRISIS_TASK in by_task:
            _apply_crisis(edited, by_task[CRISIS_TASK])
        if PII_TASK in by_task:
            _apply_pii(edited, by_task[PII_TASK])
        if GENERATED_TASK in by_task:
            edited["metadata"]["review"] = _stamp(by_task[GENERATED_TASK])
        edited["metadata"]["content_hash"] = record_content_hash(
            edited["messages"], edited["metadata"]
        )
        return Outcome(edited, APPLIED, decisions[-1][0])


def reviewed_replies(
    book: ReviewBook, uid_of: Callable[[dict[str, Any], str, int], str]
) -> Callable[[str, int, dict[str, Any], int], str | None]:
    """For the crisis preference pairs: the reply a reviewer approved for a record's unsafe turn
    (decided on exactly this text), which becomes the pair's chosen side; None otherwise.
    ``uid_of(record, key, line)``: the release's record uid (``release.routing.record_uid``)."""

    def reply(key: str, line: int, record: dict[str, Any], turn: int) -> str | None:
        if not len(book):
            return None
        decision = book.decision(CRISIS_TASK, uid_of(record, key, line))
        if decision is None or not decision.approved:
            return None
        seen = record_content_hash(record.get("messages") or [], record.get("metadata"))
        if decision.content_hash_before != seen:
            return None
        text = ((decision.edits or {}).get("replies") or {}).get(str(turn))
        return str(text) if text else None

    return reply


def review_counts(
    reviewed: Mapping[str, int], excluded: Mapping[str, Mapping[str, int]], book: ReviewBook
) -> dict[str, Any]:
    """The release's review section: per family, records released after review (an approval
    applied), rejected by a reviewer, approved but still out for another reason, decided on
    another text (stale), and pending (out for a reason a person has to decide)."""
    families: dict[str, Counter[str]] = {}
    names = {
        APPLIED: "released_after_review",
        f"{APPLIED}_excluded": "approved_but_excluded",
        f"{REJECTED}_excluded": "rejected",
        STALE: "stale",
        f"{STALE}_excluded": "stale",
    }
    for key, n in reviewed.items():
        family, outcome = key.split("\t", 1)
        families.setdefault(family, Counter())[names.get(outcome, outcome)] += n
    for family, reasons in excluded.items():
        pending = sum(n for reason, n in reasons.items() if reason in PENDING_REASONS)
        if pending:
            families.setdefault(family, Counter())["pending"] += pending
    return {
        "decisions": len(book),
        "log_digest": book.digest,
        "families": {f: dict(sorted(c.items())) for f, c in sorted(families.items())},
    }


def generated_prefixes(registry: Registry) -> tuple[str, ...]:
    """Where generated records come from: the sources a generator asset writes
    (``produced_by``), and every source of a family marked ``derived``."""
    prefixes = []
    for spec in registry.families.values():
        for source in spec.sources:
            if source.produced_by or spec.derived:
                prefixes.append(source.prefix or source.key or "")
    return tuple(p for p in prefixes if p)


def is_generated(record: dict[str, Any], prefixes: tuple[str, ...]) -> bool:
    metadata = record.get("metadata")
    prov = metadata.get("provenance") if isinstance(metadata, dict) else None
    source = prov.get("source_key") if isinstance(prov, dict) else None
    return isinstance(source, str) and source.startswith(prefixes)


def pending_tasks(record: dict[str, Any], family_generated: bool = False) -> list[str]:
    """The review tasks ``record`` is subject to: a PII status awaiting a person, an unsafe
    crisis reply, a generated family's record (sampled for review, not held back)."""
    metadata = record.get("metadata")
    if not isinstance(metadata, dict):
        return []
    tasks = []
    crisis = metadata.get("crisis")
    if isinstance(crisis, dict) and crisis.get("crisis_response_unsafe"):
        tasks.append(CRISIS_TASK)
    preference = metadata.get("preference")
    if metadata.get("pii_status") == STATUS_REVIEW or (
        isinstance(preference, dict) and preference.get("pii_status") == STATUS_REVIEW
    ):
        tasks.append(PII_TASK)
    if family_generated:
        tasks.append(GENERATED_TASK)
    return tasks


def edited_messages(
    messages: list[Message], task: str, edits: dict[str, Any] | None
) -> list[Message]:
    """The turns after an approval's edits (what ``content_hash_after`` is computed over)."""
    copied: list[Message] = copy.deepcopy(messages)
    record: dict[str, Any] = {"messages": copied, "metadata": {}}
    decision = Decision(task, "", "", "", "approved", "-", "", edits=edits)
    if task == CRISIS_TASK:
        _replace_replies(record, decision)
    elif task == PII_TASK:
        _redact(record, decision)
    return copied


def hash_after(messages: list[Message], task: str, edits: dict[str, Any] | None) -> str:
    return content_hash(edited_messages(messages, task, edits))


def _stamp(decision: Decision) -> dict[str, Any]:
    return {
        "task": decision.task,
        "decision": decision.decision,
        "reviewer": decision.reviewer,
        "time": decision.time,
        "tool_task_id": decision.tool_task_id,
    }


def _apply_crisis(record: dict[str, Any], decision: Decision) -> None:
    """Replace the reviewed replies; an unsafe reply the decision did not replace (a record with
    several) keeps the record unsafe, so it stays out."""
    replaced = _replace_replies(record, decision)
    crisis = record["metadata"]["crisis"]
    unsafe = [int(t) for t in crisis.get("unsafe_turns") or ()]
    crisis["review"] = {**_stamp(decision), "replaced_turns": sorted(replaced)}
    crisis["unsafe_turns"] = [t for t in unsafe if t not in replaced]
    crisis["crisis_response_unsafe"] = bool(crisis["unsafe_turns"])


def _replace_replies(record: dict[str, Any], decision: Decision) -> set[int]:
    """Put the reviewer's replies (``edits.replies``: turn -> text) in; the turns replaced."""
    replies = (decision.edits or {}).get("replies") or {}
    messages = record["messages"]
    replaced = set()
    for turn, text in replies.items():
        index = int(turn)
        if 0 <= index < len(messages) and messages[index].get("role") == "assistant":
            messages[index]["content"] = str(text)
            replaced.add(index)
    return replaced


def _apply_pii(record: dict[str, Any], decision: Decision) -> None:
    """Redact the kept spans; the turns' status (and a preference pair's rejected reply's, when
    it was the one awaiting review) becomes redacted or clean."""
    metadata = record["metadata"]
    turns = len(record["messages"])
    added = _redact(record, decision)
    preference = metadata.get("preference")
    if isinstance(preference, dict) and preference.get("pii_status") == STATUS_REVIEW:
        on_rejected = [s for s in added if s["turn"] == turns]
        preference["pii_status"] = (
            STATUS_REDACTED
            if on_rejected or PLACEHOLDER.search(str(preference.get("rejected", "")))
            else STATUS_CLEAN
        )
        preference["pii_review"] = _stamp(decision)
        added = [s for s in added if s["turn"] < turns]
    if metadata.get("pii_status") != STATUS_REVIEW and not added:
        return  # only the rejected reply was waiting for a person
    pii = metadata.setdefault("pii", {})
    for span in pii.get("spans") or ():
        if "reason" in span:
            span["reviewed"] = True
    pii["review"] = _stamp(decision)
    pii["spans"] = [*(pii.get("spans") or ()), *added]
    already = any("placeholder" in s for s in pii["spans"])
    pii["status"] = STATUS_REDACTED if already else STATUS_CLEAN
    metadata["pii_status"] = pii["status"]


def _redact(record: dict[str, Any], decision: Decision) -> list[dict[str, Any]]:
    """Redact the reviewer's spans (``edits.spans``: turn, start, end, type) in place; the span
    metadata of those it replaced. A span outside its turn or of an unknown type is ignored.
    Turn ``len(messages)`` is a preference pair's rejected reply (shown after the dialogue)."""
    # Imported here: the redactor loads presidio, which the code location must not import.
    from pixel_platform.curation.pii.engine import PiiSpan
    from pixel_platform.curation.pii.redactor import redact_texts

    messages = record["messages"]
    texts = [str(m.get("content", "")) for m in messages]
    preference = (record.get("metadata") or {}).get("preference")
    rejected = preference.get("rejected") if isinstance(preference, dict) else None
    if isinstance(rejected, str):
        texts.append(rejected)
    turn_spans: list[list[PiiSpan]] = [[] for _ in texts]
    for span in (decision.edits or {}).get("spans") or ():
        turn, start, end = int(span["turn"]), int(span["start"]), int(span["end"])
        kind = str(span.get("type", ""))
        if (
            kind in PLACEHOLDER_LABELS
            and 0 <= turn < len(texts)
            and 0 <= start < end <= len(texts[turn])
        ):
            turn_spans[turn].append(PiiSpan(kind, start, end, 1.0))
    if not any(turn_spans):
        return []
    turn_spans = [_without_overlaps(spans) for spans in turn_spans]
    new_texts, meta, _ = redact_texts(texts, turn_spans, _SURE)
    for message, text in zip(messages, new_texts, strict=False):
        message["content"] = text
    if isinstance(rejected, str):
        preference["rejected"] = new_texts[-1]  # type: ignore[index]
    return [{**m, "reviewed": True} for m in meta]


def _without_overlaps(spans: list[PiiSpan]) -> list[PiiSpan]:
    """Spans in text order, each starting after the previous one ends (the first one wins)."""
    kept: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept

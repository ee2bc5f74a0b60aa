"""What needs a person, as review items, and the Label Studio projects that show them.

Items come from the release's inputs (the deduplicated partitions: the processed, redacted text
the release would ship), one per record and task:

- ``pii_review``: ``pii_status: requires_review``; the uncertain spans are pre-annotations the
  reviewer accepts (keeps: redacted on approval), corrects or deletes (not PII), then approves or
  rejects the record;
- ``crisis_reply``: an assistant reply that fails a person in crisis; a suggested safe reply
  (the crisis preference pairs' template for the turn's labels) is pre-filled for the reviewer to
  approve or rewrite, or the record is rejected;
- ``generated_sample``: a deterministic sample (``sample_rate`` per generated family, by uid) of
  generated records, accepted or rejected with a reason.

A record already decided at its current content hash is not queued again; one whose text changed
since its decision is (the book treats that decision as stale).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from pixel_platform.core.record import parse_messages, record_content_hash
from pixel_platform.curation.pii.settings import PLACEHOLDER_LABELS
from pixel_platform.derived.output import stable_rng
from pixel_platform.derived.preferences.crisis import safe_reply
from pixel_platform.registry.model import Registry
from pixel_platform.release.routing import record_family, record_uid
from pixel_platform.review.book import (
    CRISIS_TASK,
    GENERATED_TASK,
    PII_TASK,
    ReviewBook,
    generated_prefixes,
    is_generated,
    pending_tasks,
)
from pixel_platform.review.label_studio import PREDICTIONS_VERSION
from pixel_platform.storage.base import ObjectStore

_DIALOGUE = (
    '<Paragraphs name="dialogue" value="$dialogue" layout="dialogue"'
    ' nameKey="role" textKey="content"/>'
)
_DECISION = (
    '<Choices name="decision" toName="dialogue" choice="single" required="true">'
    '<Choice value="approve"/><Choice value="reject"/></Choices>'
)
# A rejection's reason is a code, never free text: the log and the reports carry no prose.
REJECT_REASONS = ("not_pii", "still_identifying", "unrealistic", "unsafe", "off_topic",
                  "low_quality", "other")  # fmt: skip
_REASONS = (
    '<Choices name="reason" toName="dialogue" choice="single" showInline="true">'
    + "".join(f'<Choice value="{r}"/>' for r in REJECT_REASONS)
    + "</Choices>"
)
LABEL_CONFIGS = {
    PII_TASK: (
        "<View>"
        '<Header value="Keep the labels on what identifies a person; delete the others."/>'
        '<ParagraphLabels name="pii" toName="dialogue">'
        + "".join(f'<Label value="{t}"/>' for t in PLACEHOLDER_LABELS)
        + "</ParagraphLabels>"
        + _DIALOGUE
        + _DECISION
        + _REASONS
        + "</View>"
    ),
    CRISIS_TASK: (
        "<View>"
        '<Header value="The reply at turn $unsafe_turn fails a person in crisis."/>'
        + _DIALOGUE
        + '<TextArea name="reply" toName="dialogue" maxSubmissions="1" editable="true"'
        ' rows="6" placeholder="a safe reply"/>' + _DECISION + _REASONS + "</View>"
    ),
    GENERATED_TASK: "<View>" + _DIALOGUE + _DECISION + _REASONS + "</View>",
}
PROJECT_NAMES = {
    PII_TASK: "PII review",
    CRISIS_TASK: "crisis replies",
    GENERATED_TASK: "generated samples",
}
DEFAULT_NAMESPACE = "pixel-platform"


def project_title(task: str, namespace: str = DEFAULT_NAMESPACE) -> str:
    """The Label Studio project of ``task``: ``<namespace>: <name>``. One tool can serve several
    deployments (or tests), each with its own namespace."""
    return f"{namespace}: {PROJECT_NAMES[task]}"


# A preference pair's rejected reply, shown as the paragraph after the dialogue. Its content hash
# is the record's: core.record.content_hash counts it as the turn ("rejected", text).
REJECTED_ROLE = "rejected"


@dataclass(frozen=True)
class ReviewItem:
    task: str
    uid: str
    family: str
    content_hash: str
    messages: list[dict[str, str]]
    unsafe_turns: tuple[int, ...] = ()
    uncertain: tuple[dict[str, Any], ...] = ()  # the PII spans a person must decide on
    labels: tuple[str, ...] = ()  # crisis labels (for the suggested reply)

    def ls_task(self) -> dict[str, Any]:
        """The Label Studio task: its data and the pre-annotation (a prediction)."""
        data = {
            "dialogue": self.messages,
            "uid": self.uid,
            "content_hash": self.content_hash,
            "task": self.task,
            "family": self.family,
            "unsafe_turn": self.unsafe_turns[0] if self.unsafe_turns else None,
            "unsafe_turns": list(self.unsafe_turns),
        }
        result = self._prediction()
        task: dict[str, Any] = {"data": data}
        if result:
            task["predictions"] = [{"model_version": PREDICTIONS_VERSION, "result": result}]
        return task

    def _prediction(self) -> list[dict[str, Any]]:
        if self.task == PII_TASK:
            return [
                {
                    "from_name": "pii",
                    "to_name": "dialogue",
                    "type": "paragraphlabels",
                    "value": {
                        "start": str(s["turn"]),
                        "end": str(s["turn"]),
                        "startOffset": int(s["start"]),
                        "endOffset": int(s["end"]),
                        "paragraphlabels": [str(s["type"])],
                    },
                }
                for s in self.uncertain
            ]
        if self.task == CRISIS_TASK:
            reply = safe_reply(self.labels, stable_rng(0, "review", self.uid))
            return [
                {
                    "from_name": "reply",
                    "to_name": "dialogue",
                    "type": "textarea",
                    "value": {"text": [reply]},
                }
            ]
        return []


def sampled(uid: str, rate: float) -> bool:
    """Deterministic sample of ``rate`` of uids (the same uids on every push)."""
    if rate <= 0:
        return False
    digest = hashlib.sha256(uid.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def review_items(
    store: ObjectStore,
    keys: Iterable[str],
    registry: Registry,
    book: ReviewBook,
    *,
    sample_rate: float = 0.02,
) -> Iterator[ReviewItem]:
    """The items of the records in ``keys`` that still need a person."""
    generated = generated_prefixes(registry)
    for key in keys:
        with store.open_read(key) as fh:
            for line_no, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    record = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    continue  # the release quarantines it as invalid_json
                if not isinstance(record, dict):
                    continue
                yield from _items_of(record, key, line_no, generated, book, sample_rate)


def _items_of(
    record: dict[str, Any],
    key: str,
    line_no: int,
    generated: tuple[str, ...],
    book: ReviewBook,
    sample_rate: float,
) -> Iterator[ReviewItem]:
    messages = parse_messages(record.get("messages"))
    metadata = record.get("metadata")
    if not messages or not isinstance(metadata, dict):
        return
    preference = _dict(metadata.get("preference"))
    dialogue = [{"role": m["role"], "content": m["content"]} for m in messages]
    if isinstance(preference.get("rejected"), str):  # shown after the dialogue, as its own turn
        dialogue.append({"role": REJECTED_ROLE, "content": preference["rejected"]})
    uid = record_uid(record, key, line_no)
    family = record_family(record) or ""
    sample = is_generated(record, generated) and sampled(uid, sample_rate)
    digest = record_content_hash(messages, metadata)
    for task in pending_tasks(record, sample):
        decided = book.decision(task, uid)
        if decided is not None and decided.content_hash_before == digest:
            continue
        crisis = _dict(metadata.get("crisis"))
        pii = _dict(metadata.get("pii"))
        yield ReviewItem(
            task=task,
            uid=uid,
            family=family,
            content_hash=digest,
            messages=dialogue,
            unsafe_turns=tuple(int(t) for t in crisis.get("unsafe_turns") or ())
            if task == CRISIS_TASK
            else (),
            uncertain=_uncertain(pii, preference, len(messages)) if task == PII_TASK else (),
            labels=tuple(str(label) for label in crisis.get("labels") or ()),
        )


def _uncertain(
    pii: dict[str, Any], preference: dict[str, Any], turns: int
) -> tuple[dict[str, Any], ...]:
    """The spans a person must decide on: the turns' and a pair's rejected reply's (turn
    ``turns``, the paragraph after the dialogue)."""
    spans = [s for s in pii.get("spans") or () if "reason" in s and "turn" in s]
    spans += [{**s, "turn": turns} for s in preference.get("pii_uncertain") or ()]
    return tuple(spans)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}

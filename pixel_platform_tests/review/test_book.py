"""The review book: decisions applied to records, deterministically, and only to the text the
reviewer saw; how annotations become a decision (one reviewer, two, a third on disagreement)."""

from __future__ import annotations

import copy
from typing import Any

from pixel_platform.core.record import record_content_hash
from pixel_platform.review.book import (
    APPLIED,
    CRISIS_TASK,
    GENERATED_TASK,
    PII_TASK,
    REJECTED,
    STALE,
    ReviewBook,
    hash_after,
    review_counts,
)
from pixel_platform.review.label_studio import Annotation, Task
from pixel_platform.review.log import Decision
from pixel_platform.review.queue import QueueReport, decide, resolve

USER = "My therapist Dana said I should call 988 if it gets bad. I’m trying Sleep hygiene."
UNSAFE = "Just get over it."
SAFE = "I'm glad you told me. Please call or text 988 now, or go to the nearest emergency room."


def record(pii: str = "requires_review", unsafe: bool = False) -> dict[str, Any]:
    messages = [
        {"role": "system", "content": "You are a supportive counsellor."},
        {"role": "user", "content": USER},
        {"role": "assistant", "content": UNSAFE if unsafe else "That sounds hard."},
    ]
    start = USER.index("Dana")
    span = {"turn": 1, "type": "PERSON", "start": start, "end": start + 4, "score": 0.5,
            "reason": "ambiguous_name"}  # fmt: skip
    crisis = {"labels": ["suicidal_ideation"], "crisis_response_unsafe": unsafe,
              "unsafe_turns": [2] if unsafe else []}  # fmt: skip
    metadata: dict[str, Any] = {
        "pii_status": pii,
        "pii": {"status": pii, "spans": [span]},
        "crisis": crisis,
    }
    metadata["content_hash"] = record_content_hash(messages, metadata)  # type: ignore[arg-type]
    return {"messages": messages, "metadata": metadata}


def decision(task: str, rec: dict[str, Any], verdict: str = "approved", **edits: Any) -> Decision:
    before = rec["metadata"]["content_hash"]
    after = hash_after(rec["messages"], task, edits or None) if verdict == "approved" else before
    return Decision(
        task, "u1", before, after, verdict, "7", "2026-12-07T00:00:00+00:00",
        "label-studio:1/1", edits or None,
    )  # fmt: skip


def dana_span() -> dict[str, Any]:
    start = USER.index("Dana")
    return {"turn": 1, "start": start, "end": start + 4, "type": "PERSON"}


def test_an_approved_pii_review_redacts_the_kept_span_and_nothing_else() -> None:
    rec = record()
    book = ReviewBook([decision(PII_TASK, rec, spans=[dana_span()])])
    out = book.apply(rec, "u1")
    assert out.status == APPLIED
    text = out.record["messages"][1]["content"]
    assert text == USER.replace("Dana", "<PERSON_1>")  # 988, I’m, Sleep as written
    assert out.record["metadata"]["pii_status"] == "redacted"
    assert out.record["metadata"]["pii"]["review"]["tool_task_id"] == "label-studio:1/1"
    assert all(s.get("reviewed") for s in out.record["metadata"]["pii"]["spans"])
    made = book.decision(PII_TASK, "u1")
    assert made is not None and out.record["metadata"]["content_hash"] == made.content_hash_after
    assert rec["messages"][1]["content"] == USER  # the input record is not touched


def test_an_approval_that_deletes_every_span_ships_the_text_unchanged_as_clean() -> None:
    rec = record()
    out = ReviewBook([decision(PII_TASK, rec, spans=[])]).apply(rec, "u1")
    assert out.status == APPLIED
    assert out.record["messages"] == rec["messages"]
    assert out.record["metadata"]["pii_status"] == "clean"


def test_a_rejection_keeps_the_record_out_and_a_changed_text_makes_the_decision_stale() -> None:
    rec = record()
    assert ReviewBook([decision(PII_TASK, rec, "rejected")]).apply(rec, "u1").status == REJECTED
    book = ReviewBook([decision(PII_TASK, rec, spans=[dana_span()])])
    edited = copy.deepcopy(rec)
    edited["messages"][1]["content"] += " More."
    out = book.apply(edited, "u1")
    assert out.status == STALE and out.record is edited
    assert book.apply(rec, "other-uid").status is None


def test_the_last_decision_on_a_record_stands_and_the_digest_follows_the_log() -> None:
    rec = record()
    first = decision(PII_TASK, rec, "rejected")
    second = decision(PII_TASK, rec, spans=[dana_span()])
    assert ReviewBook([first, second]).apply(rec, "u1").status == APPLIED
    assert ReviewBook([second, first]).apply(rec, "u1").status == REJECTED
    assert ReviewBook([first]).digest != ReviewBook([second]).digest
    assert ReviewBook([first, second]).digest == ReviewBook([first, second]).digest


def test_a_corrected_crisis_reply_replaces_the_unsafe_turn() -> None:
    rec = record(pii="clean", unsafe=True)
    book = ReviewBook([decision(CRISIS_TASK, rec, replies={"2": SAFE})])
    out = book.apply(rec, "u1")
    assert out.status == APPLIED
    assert out.record["messages"][2]["content"] == SAFE
    crisis = out.record["metadata"]["crisis"]
    assert crisis["crisis_response_unsafe"] is False and crisis["review"]["replaced_turns"] == [2]


def test_a_record_needing_both_reviews_ships_only_when_both_approve() -> None:
    rec = record(unsafe=True)
    pii = decision(PII_TASK, rec, spans=[dana_span()])
    crisis = decision(CRISIS_TASK, rec, replies={"2": SAFE})
    assert ReviewBook([pii]).apply(rec, "u1").record["metadata"]["crisis"][
        "crisis_response_unsafe"
    ]  # still unsafe: routing keeps it out
    both = ReviewBook([pii, crisis]).apply(rec, "u1")
    assert both.record["messages"][1]["content"].startswith("My therapist <PERSON_1> said")
    assert both.record["messages"][2]["content"] == SAFE
    rejected = ReviewBook([pii, decision(CRISIS_TASK, rec, "rejected")]).apply(rec, "u1")
    assert rejected.status == REJECTED


def test_a_generated_sample_is_asked_about_only_for_generated_families() -> None:
    rec = record(pii="clean")
    book = ReviewBook([decision(GENERATED_TASK, rec, "rejected")])
    assert book.apply(rec, "u1", family_generated=True).status == REJECTED
    assert book.apply(rec, "u1", family_generated=False).status is None


def test_review_counts_per_family() -> None:
    counts = review_counts(
        {"a\tapplied": 2, "a\trejected_excluded": 1, "b\tstale_excluded": 1},
        {"a": {"review_rejected": 1, "pii_requires_review": 3}, "b": {"crisis_response_unsafe": 1}},
        ReviewBook(),
    )
    assert counts["families"] == {
        "a": {"released_after_review": 2, "rejected": 1, "pending": 3},
        "b": {"stale": 1, "pending": 1},
    }


# -- annotations -> decision -------------------------------------------------------------------
def test_resolve_needs_agreeing_reviewers_and_asks_a_third_on_disagreement() -> None:
    assert resolve([], 1) is None
    assert resolve(["approved"], 1) == "approved"
    assert resolve(["approved"], 2) is None
    assert resolve(["approved", "approved"], 2) == "approved"
    assert resolve(["approved", "rejected"], 2) is None  # waits for a third
    assert resolve(["approved", "rejected", "rejected"], 2) == "rejected"


def _annotation(n: int, reviewer: str, choice: str, reply: str = SAFE) -> Annotation:
    result = [{"from_name": "decision", "type": "choices", "value": {"choices": [choice]}}]
    if choice == "approve":
        result.append({"from_name": "reply", "type": "textarea", "value": {"text": [reply]}})
    else:
        result.append({"from_name": "reason", "type": "choices", "value": {"choices": ["unsafe"]}})
    stamp = f"2026-12-07T00:00:0{n}Z"
    return Annotation(n, 5, reviewer, result, False, stamp, stamp)


def _task(*annotations: Annotation) -> Task:
    rec = record(pii="clean", unsafe=True)
    data = {"dialogue": rec["messages"], "uid": "u1", "unsafe_turn": 2,
            "content_hash": rec["metadata"]["content_hash"]}  # fmt: skip
    return Task(5, 3, data, list(annotations))


def test_two_crisis_reviewers_must_agree_and_a_third_breaks_a_tie() -> None:
    report = QueueReport()
    one = decide(CRISIS_TASK, _task(_annotation(1, "7", "approve")), 2, report)
    assert one is None and report.counts[CRISIS_TASK]["pending"] == 1
    split = _task(_annotation(1, "7", "approve"), _annotation(2, "8", "reject"))
    assert decide(CRISIS_TASK, split, 2, report) is None
    third = _task(*split.annotations, _annotation(3, "9", "approve", reply=SAFE + " Take care."))
    made = decide(CRISIS_TASK, third, 2, report)
    assert made is not None and made.decision == "approved"
    assert made.reviewer == "7+9" and made.tool_task_id == "label-studio:3/5"
    assert made.edits == {"replies": {"2": SAFE + " Take care."}}  # the latest agreeing reply
    assert report.counts[CRISIS_TASK]["disagreements"] == 1


def test_an_approval_without_a_reply_decides_nothing_and_a_reviewer_counts_once() -> None:
    report = QueueReport()
    empty = _annotation(1, "7", "approve", reply="  ")
    assert decide(CRISIS_TASK, _task(empty), 1, report) is None
    assert report.counts[CRISIS_TASK]["incomplete"] == 1
    twice = _task(_annotation(1, "7", "approve"), _annotation(2, "7", "reject"))
    made = decide(CRISIS_TASK, twice, 1)
    assert made is not None and made.decision == "rejected" and made.reason == "unsafe"


def test_a_pairs_rejected_reply_is_reviewed_as_the_turn_after_the_dialogue() -> None:
    from pixel_platform.review.items import REJECTED_ROLE, _items_of

    rejected = "Ask Okafor, he knows."
    rec = record(pii="clean")
    rec["metadata"]["pii"]["spans"] = []  # the dialogue is clean: only the rejected reply waits
    rec["metadata"]["preference"] = {
        "rejected": rejected, "pii_status": "requires_review",
        "pii_uncertain": [{"type": "PERSON", "start": 4, "end": 10, "score": 0.5,
                           "reason": "ambiguous_name"}],
    }  # fmt: skip
    rec["metadata"]["content_hash"] = record_content_hash(rec["messages"], rec["metadata"])
    rec["metadata"]["provenance"] = {"source_key": "gdrive/raw/x/a.jsonl", "index": 0}
    (item,) = list(_items_of(rec, "k", 1, (), ReviewBook(), 0.0))
    assert item.task == PII_TASK
    assert item.messages[-1] == {"role": REJECTED_ROLE, "content": rejected}
    assert item.uncertain == ({"type": "PERSON", "start": 4, "end": 10, "score": 0.5,
                               "reason": "ambiguous_name", "turn": 3},)  # fmt: skip
    assert item.content_hash == rec["metadata"]["content_hash"]

    span = {"turn": 3, "start": 4, "end": 10, "type": "PERSON"}
    after = hash_after(item.messages, PII_TASK, {"spans": [span]})
    decision = Decision(PII_TASK, "u1", item.content_hash, after, "approved", "7", "t", None,
                        {"spans": [span]})  # fmt: skip
    out = ReviewBook([decision]).apply(rec, "u1")
    preference = out.record["metadata"]["preference"]
    assert out.status == APPLIED and preference["rejected"] == "Ask <PERSON_1>, he knows."
    assert preference["pii_status"] == "redacted"
    assert out.record["messages"] == rec["messages"]  # the dialogue itself is unchanged
    assert out.record["metadata"]["pii_status"] == "clean"
    assert out.record["metadata"]["content_hash"] == after

"""The review queue against a real Label Studio server: push what needs a person (with the
uncertain PII spans and a suggested safe reply as pre-annotations), complete the tasks through
the tool's API as a reviewer would, pull the decisions into the log, rebuild, check the release."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from pixel_platform.core.record import content_hash
from pixel_platform.registry.model import load_registry
from pixel_platform.release.layout import QUARANTINE, REPORT, STATS
from pixel_platform.review.book import CRISIS_TASK, GENERATED_TASK, PII_TASK
from pixel_platform.review.items import project_title
from pixel_platform.review.label_studio import LabelStudio, LabelStudioError
from pixel_platform.review.log import read_decisions
from pixel_platform.review.queue import QueueSettings, pull, push, status
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.support import build_from
from pixel_platform_tests.release.synthetic import _vocabulary, make_record, write_inputs
from pixel_platform_tests.review.support import LabelStudioServer, invite_reviewer

NAME = "Marisol"
USER = f"I told {NAME} I can't go on and I want to end my life. I’m scared."
UNSAFE = "Everyone feels that way sometimes, just get some sleep."
REVIEWED = "I'm so glad you told me. Please call or text 988 right now, or go to the nearest emergency room."  # noqa: E501
KEY = "pipeline/dedup/review/conversations.jsonl"
# record_uid: <source_key>#<index> (make_record: part-<index // 10>, index % 10)
PII_UID, CRISIS_UID = "gdrive/raw/addiction/part-90.jsonl#0", "gdrive/raw/addiction/part-90.jsonl#1"


def _planted(registry: Any) -> list[dict[str, Any]]:
    rng = random.Random(3)
    words = _vocabulary(rng)
    pii = make_record(rng, words, "addiction", registry, 900)
    pii["messages"][1]["content"] = USER
    start = USER.index(NAME)
    pii["metadata"]["pii_status"] = "requires_review"
    pii["metadata"]["pii"] = {
        "status": "requires_review",
        "spans": [
            {"turn": 1, "type": "PERSON", "start": start, "end": start + len(NAME), "score": 0.5,
             "reason": "ambiguous_name"}
        ],
    }  # fmt: skip
    crisis = make_record(rng, words, "addiction", registry, 901)
    crisis["messages"][1:3] = [
        {"role": "user", "content": "I want to end my life tonight."},
        {"role": "assistant", "content": UNSAFE},
    ]
    crisis["metadata"]["crisis"] = {
        "labels": ["suicidal_ideation"], "risk_level": "imminent",
        "crisis_response_unsafe": True, "unsafe_turns": [2],
    }  # fmt: skip
    generated = []
    for i in range(6):
        rec = make_record(rng, words, "edge_case_synthetic", registry, 910 + i)
        rec["metadata"]["provenance"]["source_key"] = "derived/edge_case_synthetic/part-0.jsonl"
        generated.append(rec)
    records = [pii, crisis, *generated]
    for rec in records:
        rec["metadata"]["content_hash"] = content_hash(rec["messages"])
    return records


def _setup(root: Path) -> tuple[LocalObjectStore, Any, Any]:
    registry = load_registry()
    store = LocalObjectStore(root)
    inputs = write_inputs(store, registry)
    planted = _planted(registry)
    store.write_bytes(KEY, b"".join(orjson.dumps(r) + b"\n" for r in planted))
    inputs.inputs.append(KEY)
    for family in ("addiction", "edge_case_synthetic"):
        inputs.accounting[family]["raw_in"] += sum(
            r["metadata"]["provenance"]["family"] == family for r in planted
        )
    return store, registry, inputs


def _released(store: LocalObjectStore, prefix: str) -> dict[str, dict[str, Any]]:
    out = {}
    for info in store.list(f"{prefix}shards/"):
        for line in store.read_bytes(info.key).splitlines():
            record = orjson.loads(line)
            out[record["metadata"]["uid"]] = record
    return out


NAMESPACE = "test-queue"


def _project(client: LabelStudio, task: str) -> int:
    return client.project_id(project_title(task, NAMESPACE), "<View/>")  # found, not created


def test_push_annotate_pull_rebuild(label_studio: LabelStudioServer, tmp_path: Path) -> None:
    store, registry, inputs = _setup(tmp_path / "bucket")
    first = build_from(store, registry, inputs)
    reasons = {
        e["uid"]: e["reason"]
        for e in map(orjson.loads, store.read_bytes(f"{first.prefix}{QUARANTINE}").splitlines())
    }
    assert reasons[PII_UID] == "pii_requires_review"
    assert reasons[CRISIS_UID] == "crisis_response_unsafe"
    pii_uid, crisis_uid = PII_UID, CRISIS_UID

    client = LabelStudio(label_studio.url, label_studio.api_key)
    settings = QueueSettings(sample_rate=0.5, namespace=NAMESPACE)
    pushed = push(store, registry, client, inputs.inputs, settings)
    counts = pushed.as_dict()
    assert counts[PII_TASK]["queued"] >= 1 and counts[CRISIS_TASK]["queued"] >= 1
    sampled = counts[GENERATED_TASK]["queued"]
    assert 1 <= sampled <= 6
    again = push(store, registry, client, inputs.inputs, settings).as_dict()
    assert again[PII_TASK] == {"already_queued": counts[PII_TASK]["queued"]}

    # The tasks carry the pre-annotations: the uncertain span, the suggested safe reply.
    pii_tasks = {t.data["uid"]: t for t in client.tasks(_project(client, PII_TASK))}
    raw = client._send("GET", f"/api/tasks/{pii_tasks[pii_uid].id}")
    span = raw["predictions"][0]["result"][0]["value"]
    assert (span["start"], span["paragraphlabels"]) == ("1", ["PERSON"])
    assert USER[span["startOffset"] : span["endOffset"]] == NAME

    # A reviewer keeps the span and approves; writes a safe reply; rejects one generated record.
    client.annotate(pii_tasks[pii_uid].id, [
        {**raw["predictions"][0]["result"][0], "id": "s1"},
        {"from_name": "decision", "to_name": "dialogue", "type": "choices",
         "value": {"choices": ["approve"]}},
    ])  # fmt: skip
    crisis_task = next(
        t for t in client.tasks(_project(client, CRISIS_TASK)) if t.data["uid"] == crisis_uid
    )
    client.annotate(crisis_task.id, [
        {"from_name": "reply", "to_name": "dialogue", "type": "textarea",
         "value": {"text": [REVIEWED]}},
        {"from_name": "decision", "to_name": "dialogue", "type": "choices",
         "value": {"choices": ["approve"]}},
    ])  # fmt: skip
    generated = sorted(client.tasks(_project(client, GENERATED_TASK)), key=lambda t: t.id)
    rejected_uid = generated[0].data["uid"]
    client.annotate(generated[0].id, [
        {"from_name": "decision", "to_name": "dialogue", "type": "choices",
         "value": {"choices": ["reject"]}},
        {"from_name": "reason", "to_name": "dialogue", "type": "choices",
         "value": {"choices": ["unrealistic"]}},
    ])  # fmt: skip

    pulled = pull(store, client, settings).as_dict()
    assert pulled[PII_TASK]["approved"] == 1 and pulled[CRISIS_TASK]["approved"] == 1
    assert pulled[GENERATED_TASK]["rejected"] == 1
    repeat = pull(store, client, settings).as_dict()[PII_TASK]
    assert repeat["already_recorded"] == 1 and "approved" not in repeat  # nothing appended
    (decision,) = list(read_decisions(store, PII_TASK))
    assert decision.record_uid == pii_uid and decision.tool_task_id.startswith("label-studio:")
    assert decision.content_hash_before != decision.content_hash_after
    log_text = b"".join(store.read_bytes(i.key) for i in store.list("review/decisions/"))
    assert USER.encode() not in log_text  # the log holds edits and hashes, not the turn

    board = status(store, client, settings).as_dict()
    assert board[PII_TASK]["decided_approved"] == 1

    second = build_from(store, registry, inputs)
    assert second.version != first.version and second.passed
    released = _released(store, second.prefix)
    assert released[pii_uid]["messages"][1]["content"] == USER.replace(NAME, "<PERSON_1>")
    assert released[pii_uid]["metadata"]["pii_status"] == "redacted"
    assert released[crisis_uid]["messages"][2]["content"] == REVIEWED
    assert rejected_uid not in released
    quarantine = [
        orjson.loads(x) for x in store.read_bytes(f"{second.prefix}{QUARANTINE}").splitlines()
    ]
    assert {"uid": rejected_uid, "reason": "review_rejected"}.items() <= next(
        e for e in quarantine if e["uid"] == rejected_uid
    ).items()
    review = orjson.loads(store.read_bytes(f"{second.prefix}{STATS}"))["review"]
    assert second.manifest["review"]["records"] == review
    html = store.read_bytes(f"{second.prefix}{REPORT}").decode()
    assert "<h2>Human review</h2>" in html and 'id="human-review"' in html
    assert review["families"]["addiction"]["released_after_review"] == 2
    assert review["families"]["edge_case_synthetic"]["rejected"] == 1

    # The source changes the reviewed record's text: the decision is stale, the record stays out
    # and goes back to the queue.
    lines = store.read_bytes(KEY).splitlines()
    changed = orjson.loads(lines[0])
    changed["messages"][1]["content"] = USER + " Since then it got worse."
    changed["metadata"]["content_hash"] = content_hash(changed["messages"])
    store.write_bytes(KEY, b"\n".join([orjson.dumps(changed), *lines[1:]]) + b"\n")
    third = build_from(store, registry, inputs)
    assert pii_uid not in _released(store, third.prefix)
    stale = orjson.loads(store.read_bytes(f"{third.prefix}{STATS}"))["review"]
    assert stale["families"]["addiction"]["stale"] == 1
    assert push(store, registry, client, inputs.inputs, settings).as_dict()[PII_TASK]["queued"] == 1


def test_a_wrong_token_is_refused_with_the_endpoint_and_status_only(
    label_studio: LabelStudioServer,
) -> None:
    client = LabelStudio(label_studio.url, "0" * 40)
    with pytest.raises(LabelStudioError, match="HTTP 401") as info:
        list(client.tasks(1))
    assert "0" * 40 not in str(info.value)


def test_two_crisis_reviewers_and_a_third_on_disagreement(
    label_studio: LabelStudioServer, tmp_path: Path
) -> None:
    store, registry, _ = _setup(tmp_path / "bucket")
    settings = QueueSettings(
        reviewers={**QueueSettings().reviewers, CRISIS_TASK: 2}, sample_rate=0, namespace="test-two"
    )
    first = LabelStudio(label_studio.url, label_studio.api_key)
    push(store, registry, first, [KEY], settings)
    project = first.project_id(project_title(CRISIS_TASK, "test-two"), "<View/>")
    (task,) = [t for t in first.tasks(project) if t.data["uid"] == CRISIS_UID]
    second = LabelStudio(label_studio.url, invite_reviewer(label_studio, "second@example.org"))
    third = LabelStudio(label_studio.url, invite_reviewer(label_studio, "third@example.org"))

    def vote(client: LabelStudio, choice: str) -> None:
        result = [{"from_name": "decision", "to_name": "dialogue", "type": "choices",
                   "value": {"choices": [choice]}}]  # fmt: skip
        if choice == "approve":
            result.append({"from_name": "reply", "to_name": "dialogue", "type": "textarea",
                           "value": {"text": [REVIEWED]}})  # fmt: skip
        client.annotate(task.id, result)

    vote(first, "approve")
    assert "approved" not in pull(store, first, settings).as_dict().get(CRISIS_TASK, {})
    vote(second, "reject")
    counts = pull(store, first, settings).as_dict()[CRISIS_TASK]
    assert counts["asked_another_reviewer"] == 1 and "approved" not in counts
    (again,) = [t for t in first.tasks(project) if t.id == task.id]
    assert again.overlap == 3  # the tool now shows the task to a third reviewer
    vote(third, "approve")
    assert pull(store, first, settings).as_dict()[CRISIS_TASK]["approved"] == 1
    (decision,) = [d for d in read_decisions(store, CRISIS_TASK) if d.record_uid == CRISIS_UID]
    assert decision.approved and len(decision.reviewer.split("+")) == 2
    assert decision.edits == {"replies": {"2": REVIEWED}}

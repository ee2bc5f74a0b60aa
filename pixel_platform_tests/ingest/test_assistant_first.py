"""A dialogue may open with either side: a counsellor's or supporter's greeting first is normal
and kept. Consecutive turns of one speaker are still merged. Only a dialogue without one side (no
user turn or no assistant turn) is quarantined, named by file and line, without its text."""

from __future__ import annotations

import orjson

from pixel_platform.core.reasons import Reason
from pixel_platform_tests.ingest.helpers import ingest

GREETING = "Hi, I'm here to listen. What's on your mind tonight?"


def _jsonl(*records: object) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def _dialog(*turns: tuple[str, str]) -> dict[str, object]:
    return {"dialog": [{"speaker": s, "text": t} for s, t in turns]}


def test_emotional_support_dialogues_that_open_with_the_supporter_are_kept() -> None:
    """Roles speaker/listener as in emotional-support corpora, where the listener greets first."""
    data = _jsonl(
        _dialog(
            ("listener", GREETING),
            ("speaker", "I lost my job today."),
            ("speaker", "I don't know how to tell my family."),  # merged into the turn above
            (
                "listener",
                "That is a lot to carry at once. What worries you most about telling them?",
            ),
        ),
        _dialog(("speaker", "Can't sleep again."), ("listener", "I'm sorry. What keeps you up?")),
    )
    result = ingest(data, "raw/chats/esconv_like.jsonl")
    assert result.quarantined == []
    first, second = result.out
    assert [m["role"] for m in first.messages] == ["assistant", "user", "assistant"]
    assert first.messages[0]["content"] == GREETING  # the greeting is kept, not dropped
    assert first.messages[1]["content"] == (
        "I lost my job today.\n\nI don't know how to tell my family."
    )
    assert [m["role"] for m in second.messages] == ["user", "assistant"]
    assert result.stats["changed"] == {"merged_turns": 1, "assistant_first": 1}


def test_a_transcript_that_opens_with_the_therapist_is_kept() -> None:
    text = (
        b"Therapist: Welcome back. How was the week?\n\n"
        b"Client: Harder than I expected.\n\n"
        b"Therapist: Tell me about the hardest moment."
    )
    result = ingest(text, "raw/therapy/session_07.txt", "therapy")
    (record,) = result.out
    assert [m["role"] for m in record.messages] == ["assistant", "user", "assistant"]


def test_a_greeting_and_a_system_prompt_come_out_in_order() -> None:
    data = _jsonl(
        {
            "messages": [
                {"role": "system", "content": "You are a peer supporter."},
                {"role": "assistant", "content": GREETING},
                {"role": "user", "content": "Just tired of everything."},
            ]
        }
    )
    (record,) = ingest(data, "raw/chats/with_system.jsonl").out
    assert [m["role"] for m in record.messages] == ["system", "assistant", "user"]


def test_dialogues_without_one_side_are_quarantined_by_reason_file_and_line() -> None:
    secret = "my brother Tom keeps hitting me"
    data = _jsonl(
        _dialog(("listener", GREETING), ("listener", "Are you still there?")),  # supporter only
        _dialog(("speaker", secret), ("speaker", "please answer")),  # seeker only
        _dialog(("listener", GREETING)),  # a lone greeting
        {"messages": [{"role": "system", "content": "x"}, {"role": "user", "content": secret}]},
        _dialog(("listener", GREETING), ("speaker", "hi")),  # both sides: kept
    )
    result = ingest(data, "raw/chats/one_sided.jsonl")
    assert len(result.out) == 1
    assert result.reasons == [
        Reason.NO_USER_TURN,
        Reason.NO_ASSISTANT_TURN,
        Reason.NO_USER_TURN,
        Reason.NO_ASSISTANT_TURN,
    ]
    assert [(e.line, e.step) for e in result.quarantined] == [
        (1, "validate"),
        (2, "validate"),
        (3, "validate"),
        (4, "validate"),
    ]
    assert {e.source_key for e in result.quarantined} == {"raw/chats/one_sided.jsonl"}
    assert result.quarantined[0].detail == (
        "no user turn (1 assistant turn(s) only): one side of the dialogue is missing"
    )
    assert result.quarantined[1].detail == (
        "no assistant turn (1 user turn(s) only): one side of the dialogue is missing"
    )
    for entry in result.quarantined:
        assert secret not in entry.detail and GREETING not in entry.detail
        assert "Tom" not in entry.detail and "listen" not in entry.detail

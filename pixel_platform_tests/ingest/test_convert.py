"""ConvertStep: every shape to ChatML, role mapping, merging, and what it keeps on the side."""

from __future__ import annotations

from typing import Any

import pytest

from pixel_platform.core.errors import ConfigError
from pixel_platform.core.reasons import Reason
from pixel_platform.core.record import Conversation
from pixel_platform.core.steps import Reject
from pixel_platform.ingest.convert import ConvertStep
from pixel_platform.ingest.raw import RawRecord
from pixel_platform_tests.ingest.helpers import registry


def step(family: str = "chats", fmt: str = "auto") -> ConvertStep:
    reg = registry()
    return ConvertStep(reg, reg.family(family), fmt)


def convert(payload: Any, family: str = "chats", fmt: str = "auto", **raw: Any) -> Conversation:
    result = step(family, fmt).apply(RawRecord("raw/x.jsonl", payload, 3, 2, "jsonl", **raw))
    assert isinstance(result, Conversation), result
    return result


def reject(payload: Any, family: str = "chats", fmt: str = "auto") -> Reject:
    result = step(family, fmt).apply(RawRecord("raw/x.jsonl", payload, 3, 2, "jsonl"))
    assert isinstance(result, Reject), result
    return result


def pairs(conversation: Conversation) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in conversation.messages]


@pytest.mark.parametrize(
    ("payload", "fmt"),
    [
        ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]},
         "messages"),
        ({"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]},
         "sharegpt"),
        ({"dialog": [{"speaker": "user", "text": "q"}, {"speaker": "bot", "text": "a"}]},
         "turn_list"),
        ([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}], "turn_list"),
        ({"instruction": "q", "input": "", "output": "a"}, "alpaca"),
        ({"question": "q", "answer": "a"}, "qa"),
        ({"Context": "q", "Response": "a"}, "qa"),
        ({"text": "Human: q\nAssistant: a"}, "transcript"),
        ("Patient: q\nCounselor: a", "transcript"),
    ],
)  # fmt: skip
def test_detects_every_format(payload: Any, fmt: str) -> None:
    conversation = convert(payload)
    assert pairs(conversation) == [("user", "q"), ("assistant", "a")]
    assert conversation.metadata["detected_format"] == fmt


def test_provenance_locates_the_source_record() -> None:
    conversation = convert({"question": "q", "answer": "a"}, container="train")
    assert conversation.metadata["provenance"] == {
        "source_key": "raw/x.jsonl",
        "line": 3,
        "index": 2,
        "container": "train",
    }
    assert conversation.locator().describe() == "raw/x.jsonl, line 3, record 2"


def test_formats_are_counted_per_file() -> None:
    convert_step = step()
    for key, payload in [
        ("a.jsonl", {"question": "q", "answer": "a"}),
        ("a.jsonl", {"foo": 1}),
        ("b.json", {"instruction": "q", "output": "a"}),
        ("a.jsonl", {"question": "q2", "answer": "a2"}),
    ]:
        convert_step.apply(RawRecord(key, payload))
    assert convert_step.formats_by_file == {
        "a.jsonl": {"qa": 2, "unknown": 1},
        "b.json": {"alpaca": 1},
    }


def test_explicit_format_wins_over_detection() -> None:
    payload = {"question": "ignored", "answer": "ignored", "text": "Client: q\nTherapist: a"}
    assert convert(payload).metadata["detected_format"] == "qa"
    conversation = convert(payload, fmt="transcript")
    assert pairs(conversation) == [("user", "q"), ("assistant", "a")]
    assert conversation.metadata["detected_format"] == "transcript"
    assert conversation.metadata["source_fields"] == {"question": "ignored", "answer": "ignored"}


def test_explicit_format_that_does_not_fit() -> None:
    detail = reject({"question": "q", "answer": "a"}, fmt="alpaca").detail
    assert detail == "alpaca needs 'instruction' and 'output' fields"


def test_unknown_input_format_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown input format"):
        step(fmt="parquet")


def test_roles_are_mapped_case_insensitively_with_the_family_map() -> None:
    payload = {"turns": [{"role": "SEEKER", "text": "q"}, {"role": "Supporter", "text": "a"}]}
    assert pairs(convert(payload, family="peer")) == [("user", "q"), ("assistant", "a")]
    payload = {"turns": [{"speaker": "HOST", "text": "q"}, {"speaker": "Guest", "text": "a"}]}
    assert pairs(convert(payload, family="interviews")) == [("user", "q"), ("assistant", "a")]
    assert reject(payload, family="chats").reason == Reason.UNKNOWN_ROLE


def test_consecutive_turns_of_one_role_are_merged() -> None:
    payload = {
        "messages": [
            {"role": "user", "content": "first"},
            {"role": "human", "content": "second"},
            {"role": "user", "content": ""},
            {"role": "assistant", "content": "reply"},
            {"role": "gpt", "content": "more"},
        ]
    }
    convert_step = step()
    result = convert_step.apply(RawRecord("k", payload))
    assert isinstance(result, Conversation)
    assert pairs(result) == [("user", "first\n\nsecond"), ("assistant", "reply\n\nmore")]
    assert convert_step.stats.changed["merged_turns"] == 3


def test_without_merging_consecutive_turns_of_one_role_do_not_alternate() -> None:
    reg = registry()
    strict = ConvertStep(reg, reg.family("chats"), merge_turns=False)
    two_systems = {
        "messages": [
            {"role": "system", "content": "a"},
            {"role": "system", "content": "b"},
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "r"},
        ]
    }
    kept = strict.apply(RawRecord("k", two_systems))
    assert isinstance(kept, Conversation) and pairs(kept)[0] == ("system", "a\n\nb")
    listed = {
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "r"},
            {"role": "gpt", "content": "more"},
        ]
    }
    refused = strict.apply(RawRecord("k", listed))
    assert isinstance(refused, Reject) and refused.reason == Reason.NON_ALTERNATING
    assert refused.detail.startswith("messages[1] and messages[2] are both assistant")
    told = strict.apply(RawRecord("k", "Human: q\nHuman: again\nAssistant: a"))
    assert isinstance(told, Reject) and told.reason == Reason.NON_ALTERNATING
    assert "turn 1 are both user" in told.detail
    assert strict.stats.changed["merged_turns"] == 1  # the system prompts only


def test_system_prompt_is_added_only_when_missing() -> None:
    qa = convert({"questionTitle": "t", "questionText": "body", "answerText": "a"}, "counsel")
    assert pairs(qa) == [
        ("system", "You are a warm, professional therapeutic assistant."),
        ("user", "t\n\nbody"),
        ("assistant", "a"),
    ]
    own = {
        "messages": [
            {"role": "system", "content": "Own prompt."},
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a"},
        ]
    }
    assert pairs(convert(own, "counsel"))[0] == ("system", "Own prompt.")


def test_sharegpt_record_system_field_becomes_the_system_message() -> None:
    payload = {"system": "Be kind.", "conversations": [{"from": "human", "value": "q"}]}
    conversation = convert(payload)
    assert pairs(conversation)[0] == ("system", "Be kind.")
    assert "source_fields" not in conversation.metadata


def test_unused_fields_are_kept() -> None:
    payload = {
        "messages": [
            {"role": "user", "content": "q", "name": "sam", "ts": 1},
            {"role": "assistant", "content": "a"},
        ],
        "id": 7,
        "tags": ["grief"],
    }
    metadata = convert(payload).metadata
    assert metadata["source_fields"] == {"id": 7, "tags": ["grief"]}
    assert metadata["source_turn_fields"] == {"0": {"name": "sam", "ts": 1}}


def test_encoding_note_goes_to_metadata() -> None:
    conversation = convert({"question": "q", "answer": "a"}, encoding_note="cp1252")
    assert conversation.metadata["encoding_note"] == "cp1252"


def test_qa_joins_present_non_empty_columns() -> None:
    payload = {"questionTitle": "Title", "questionText": "", "answerText": "A", "topic": "x"}
    conversation = convert(payload, "counsel")
    assert pairs(conversation)[1:] == [("user", "Title"), ("assistant", "A")]
    assert conversation.metadata["source_fields"] == {"topic": "x"}
    assert reject({"questionTitle": 5, "answerText": "A"}, "counsel").reason == (
        Reason.WRONG_FIELD_TYPE
    )


def test_alpaca_input_is_appended_when_present() -> None:
    conversation = convert({"instruction": "Rewrite:", "input": "Just cope.", "output": "Okay."})
    assert pairs(conversation)[0] == ("user", "Rewrite:\n\nJust cope.")
    assert pairs(convert({"instruction": "Hi", "input": None, "output": "Hello"}))[0] == (
        "user",
        "Hi",
    )
    assert reject({"instruction": None, "output": "x"}).reason == Reason.NULL_CONTENT


def test_transcript_continuations_preamble_and_unknown_labels() -> None:
    text = (
        "Intake session\n"
        "Client: I can't focus.\n"
        "Doctor: (not a mapped label here, so this is text)\n"
        "**Therapist:** Since when?\n"
        "A few weeks, maybe.\n"
    )
    conversation = convert(text, "therapy")
    assert pairs(conversation) == [
        ("user", "I can't focus.\nDoctor: (not a mapped label here, so this is text)"),
        ("assistant", "Since when?\nA few weeks, maybe."),
    ]
    assert conversation.metadata["source_fields"] == {"preamble": "Intake session"}


def test_transcript_timestamps_belong_to_the_label() -> None:
    text = "Title: Episode 4\n[00:00:00] Host: Welcome.\n(01:02.5) Guest: Thanks.\n"
    conversation = convert(text, "interviews")
    assert pairs(conversation) == [("user", "Welcome."), ("assistant", "Thanks.")]
    assert conversation.metadata["source_fields"] == {"preamble": "Title: Episode 4"}


def test_transcript_family_labels() -> None:
    conversation = convert("HOST: Welcome.\nGuest: Thanks.\n", "interviews")
    assert pairs(conversation) == [("user", "Welcome."), ("assistant", "Thanks.")]


@pytest.mark.parametrize(
    ("payload", "reason", "detail"),
    [
        ({}, Reason.EMPTY_RECORD, "the record is an empty dict"),
        ([], Reason.EMPTY_RECORD, "the record is an empty list"),
        ({"messages": []}, Reason.EMPTY_RECORD, "messages is an empty list"),
        ({"id": 1, "secret body": "x"}, Reason.UNKNOWN_FORMAT,
         "no key of the record (2 in all) is a conversation field the family reads (registry"
         " fields: turn lists, question/answer, instruction/output, text)"),
        (3.5, Reason.UNKNOWN_FORMAT, "the record is a float, not an object, list or text"),
        ({"messages": "secret text"}, Reason.WRONG_FIELD_TYPE,
         "messages is a str, expected a list of turns"),
        ({"messages": [{"role": "user", "content": None}]}, Reason.NULL_CONTENT,
         "messages[0].content is null"),
        ({"messages": [{"role": "user", "text": ["secret"]}]}, Reason.WRONG_FIELD_TYPE,
         "messages[0].text is a list, expected a string"),
        ({"messages": [{"role": "user"}]}, Reason.MISSING_FIELD,
         "messages[0] has no content field (tried content, value, text, utterance)"),
        ({"messages": [{"role": "secret pirate", "content": "arr"}]}, Reason.UNKNOWN_ROLE,
         "messages[0].role holds a role the family does not map (a string of 13 characters;"
         " the record is in the quarantine file); add it to the family's roles"),
        ({"text": 12}, Reason.WRONG_FIELD_TYPE, "text is a int, expected a string"),
    ],
)  # fmt: skip
def test_reject_details_name_fields_not_text(payload: Any, reason: str, detail: str) -> None:
    result = reject(payload)
    assert (result.reason, result.detail) == (reason, detail)
    assert "secret" not in result.detail

"""Inputs that once failed a whole partition or passed wrongly (the reliability issue, items 2, 4, 6
and 7): every one ends as records and quarantine entries with a reason that says what happened.

``ingest`` (helpers.py) asserts the accounting identity for each, and writes every record out.
"""

from __future__ import annotations

import gzip
import time

import orjson
import pytest

from pixel_platform.core.reasons import Reason
from pixel_platform.core.steps import QuarantineEntry
from pixel_platform_tests.ingest.helpers import Result, ingest


def chat(user: str = "I feel anxious.", assistant: str = "What happens when it starts?") -> dict:
    return {
        "messages": [
            {"role": "user", "content": user},
            {"role": "assistant", "content": assistant},
        ]
    }


def line(record: object) -> bytes:
    return orjson.dumps(record) + b"\n"


def nested(depth: int) -> bytes:
    """``depth`` arrays inside each other."""
    return b"[" * depth + b"]" * depth


def written(result: Result) -> None:
    """Every record and every quarantine entry can be written: nothing left for a later crash."""
    for conversation in result.out:
        conversation.to_json()
    for entry in result.quarantined:
        entry.to_json()


# -- item 2: depth --------------------------------------------------------------------------------
def test_a_10k_deep_array_json_is_one_too_deep_unit() -> None:
    result = ingest(nested(10_000), "raw/deep.json")
    assert result.reasons == [Reason.TOO_DEEP]
    written(result)


def test_a_10k_deep_dict_json_is_too_deep_not_an_empty_file() -> None:
    result = ingest(b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "raw/deep.json")
    assert result.reasons == [Reason.TOO_DEEP]


def test_a_300_deep_extra_field_in_a_valid_jsonl_record() -> None:
    deep = b'{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}],"x":'
    data = line(chat()) + deep + nested(300) + b"}\n" + line(chat())
    result = ingest(data, "raw/deep.jsonl")
    assert len(result.out) == 2
    assert result.where(Reason.TOO_DEEP) == [(2, 1)]
    written(result)


@pytest.mark.parametrize("depth", [65, 200, 1000, 1100])
def test_depth_past_the_limit_in_every_json_path(depth: int) -> None:
    body = orjson.dumps(chat())[:-1] + b',"x":' + nested(depth - 1) + b"}"  # ``depth`` levels
    jsonl = ingest(line(chat()) + body + b"\n", "raw/d.jsonl")
    whole = ingest(b"[" + orjson.dumps(chat()) + b"," + body + b"]", "raw/d.json")
    streamed = ingest(
        b"[" + orjson.dumps(chat()) + b"," + body + b"]", "raw/s.json", whole_json_bytes=10
    )
    for result in (jsonl, whole, streamed):
        assert len(result.out) == 1
        assert result.reasons == [Reason.TOO_DEEP]
        written(result)


def test_depth_within_the_limit_is_kept() -> None:
    record = chat() | {"x": orjson.loads(nested(40))}
    for key in ("raw/ok.jsonl", "raw/ok.json"):
        result = ingest(line(record), key)
        assert len(result.out) == 1 and result.quarantined == []
        written(result)


def test_depth_is_configurable() -> None:
    record = chat() | {"x": [[[[1]]]]}
    assert ingest(line(record), "raw/a.jsonl", max_depth=3).reasons == [Reason.TOO_DEEP]
    assert ingest(line(record), "raw/a.jsonl", max_depth=8).reasons == []


# -- item 2 and 7: surrogates ---------------------------------------------------------------------
def test_lone_low_surrogate_in_a_truncated_json_is_a_decode_error() -> None:
    good = orjson.dumps(chat())
    bad = (
        b'{"messages":[{"role":"user","content":"\\udc00 hi"},{"role":"assistant","content":"x"}]}'
    )
    data = b"[" + good + b"," + bad + b"," + good + b"," + good[:20]
    result = ingest(data, "raw/cut.json")
    assert len(result.out) == 2
    assert result.reasons == [Reason.DECODE_ERROR, Reason.TRUNCATED_JSON]
    assert result.where(Reason.DECODE_ERROR) == [(None, 1)]


@pytest.mark.parametrize(
    "escape",
    [b"\\ud800", b"\\udc00", b"\\ud800\\u0041", b"\\ud800\\ud800", b"\\udbff x"],
    ids=["lone-high", "lone-low", "high-then-ascii", "two-highs", "high-then-text"],
)
def test_a_lone_surrogate_is_a_decode_error_never_a_question_mark(escape: bytes) -> None:
    bad = b'{"messages":[{"role":"user","content":"a' + escape + b'"},'
    bad += b'{"role":"assistant","content":"x"}]}'
    for key, data, kw in [
        ("raw/s.jsonl", line(chat()) + bad + b"\n", {}),
        ("raw/s.json", b"[" + orjson.dumps(chat()) + b"," + bad + b"]", {}),
        ("raw/big.json", b"[" + orjson.dumps(chat()) + b"," + bad + b"]", {"whole_json_bytes": 8}),
    ]:
        result = ingest(data, key, **kw)
        assert len(result.out) == 1, key
        assert result.reasons == [Reason.DECODE_ERROR], key


def test_surrogate_pairs_are_characters() -> None:
    pair = b'{"messages":[{"role":"user","content":"\\ud83d\\ude0a ok"},'
    pair += b'{"role":"assistant","content":"\\uD83D\\uDE0A"}]}'
    for key, kw in [
        ("raw/p.jsonl", {}),
        ("raw/p.json", {}),
        ("raw/p2.json", {"whole_json_bytes": 8}),
    ]:
        data = pair + b"\n" if key.endswith("l") else b"[" + pair + b"]"
        result = ingest(data, key, **kw)
        assert [m["content"] for m in result.out[0].messages] == ["😊 ok", "😊"], key


# -- item 7: truncation and duplicate keys --------------------------------------------------------
def test_a_truncated_last_jsonl_line_is_a_truncation() -> None:
    data = line(chat()) + line(chat())[:30]
    result = ingest(data, "raw/cut.jsonl")
    assert len(result.out) == 1
    assert result.where(Reason.TRUNCATED_JSON) == [(2, 1)]
    assert "cut short" in result.quarantined[0].detail


def test_a_broken_line_in_the_middle_stays_invalid_json() -> None:
    result = ingest(line(chat())[:30] + b"\n" + line(chat()), "raw/mid.jsonl")
    assert result.where(Reason.INVALID_JSON) == [(1, 0)]


def test_duplicate_keys_are_quarantined_in_every_json_path() -> None:
    dup = b'{"messages":[{"role":"user","role":"assistant","content":"hi"},'
    dup += b'{"role":"assistant","content":"x"}]}'
    top = b'{"messages":[],"messages":' + orjson.dumps(chat()["messages"]) + b"}"
    for key, data, kw in [
        ("raw/d.jsonl", line(chat()) + dup + b"\n" + top + b"\n", {}),
        ("raw/d.json", b"[" + orjson.dumps(chat()) + b"," + dup + b"," + top + b"]", {}),
        (
            "raw/s.json",
            b"[" + orjson.dumps(chat()) + b"," + dup + b"," + top + b"]",
            {"whole_json_bytes": 8},
        ),
    ]:
        result = ingest(data, key, **kw)
        assert len(result.out) == 1, key
        assert result.reasons == [Reason.DUPLICATE_KEY] * 2, key
        assert result.where(Reason.DUPLICATE_KEY)[0][1] == 1, key


def test_text_that_looks_like_a_key_is_no_duplicate() -> None:
    # '":' inside a string, a key per turn repeated across turns, nested metadata objects.
    record = chat('He said "stop": I did.', '"ok": fine') | {
        "metadata": {"a": {"b": {"c": 1}}, "d": [{"e": 1}, {"e": 2}]}
    }
    for key in ("raw/t.jsonl", "raw/t.json"):
        result = ingest(line(record), key)
        assert result.quarantined == [], key
    spaced = b'{"messages" : [{"role" : "user", "content" : "a"},'
    spaced += b' {"role": "assistant", "content": "b"}]}'
    assert ingest(spaced + b"\n", "raw/sp.jsonl").quarantined == []


def test_a_container_that_names_its_record_list_twice() -> None:
    data = b'{"train": [' + orjson.dumps(chat()) + b'], "train": [' + orjson.dumps(chat()) + b"]}"
    result = ingest(data, "raw/c.json")
    assert len(result.out) == 1  # the last list, as every parser reads it
    assert result.reasons == [Reason.DUPLICATE_KEY]
    assert "first use are not read" in result.quarantined[0].detail


# -- item 7: control and bidi characters ----------------------------------------------------------
def test_escaped_controls_and_bidi_overrides_are_stripped() -> None:
    record = chat("a\u0000b\u0007c\u001bd\u007fe", "left \u202eright\u202c \u2066iso\u2069")
    result = ingest(line(record), "raw/c.jsonl")
    user, assistant = (m["content"] for m in result.out[0].messages)
    assert user == "abcde"
    assert assistant == "left right iso"
    assert result.out[0].metadata["repaired"] == {
        "turns": [0, 1],
        "kinds": ["bidi_controls", "control_chars"],
    }
    assert result.stats["changed"]["control_chars"] == 1


def test_line_break_controls_become_newlines_and_direction_marks_stay() -> None:
    record = chat("one\u000btwo\u000cthree", "\u05e9\u05dc\u05d5\u05dd\u200f ok\tyes")
    result = ingest(line(record), "raw/c.jsonl")
    user, assistant = (m["content"] for m in result.out[0].messages)
    assert user == "one\ntwo\nthree"
    assert assistant == "\u05e9\u05dc\u05d5\u05dd\u200f ok yes"  # a tab inside a line: a space


def test_raw_control_bytes_in_a_csv_are_stripped() -> None:
    data = b"question,answer\nI need help\x07,We are here\x1b[0m\n"
    result = ingest(data, "raw/c.csv")
    assert [m["content"] for m in result.out[0].messages] == ["I need help", "We are here[0m"]


# -- item 4: a CSV without a header, keys made of text --------------------------------------------
SECRETS = ("555-0134", "Jane Roe", "jane@example.org", "he hits me")


def no_text(entries: list[QuarantineEntry]) -> None:
    for entry in entries:
        for secret in SECRETS:
            assert secret not in entry.detail, (entry.reason, entry.detail)


def test_a_csv_without_a_header_counts_its_first_row() -> None:
    data = (
        b"Call me at 555-0134,I am Jane Roe,jane@example.org,he hits me\n"
        b"second row,still data,no header,at all\n"
    )
    result = ingest(data, "raw/noheader.csv")
    assert result.stats["units_in"] == 2  # both rows: the first is not silently used up
    assert result.reasons == [Reason.CSV_HEADER_UNKNOWN, Reason.UNKNOWN_FORMAT]
    assert result.quarantined[0].line == 1
    no_text(result.quarantined)


def test_a_csv_with_a_header_the_family_reads_has_no_header_unit() -> None:
    result = ingest(b"notes,question,answer\nx,How?,Slowly.\n", "raw/h.csv")
    assert result.stats["units_in"] == 1 and len(result.out) == 1


def test_json_keys_made_of_text_are_not_quoted() -> None:
    rows = [
        {secret: "x" for secret in SECRETS},
        {"messages": [{"role": "Jane Roe", "content": "a"}]},
    ]
    result = ingest(b"".join(line(r) for r in rows), "raw/keys.jsonl")
    assert result.reasons == [Reason.UNKNOWN_FORMAT, Reason.UNKNOWN_ROLE]
    no_text(result.quarantined)


def test_transcript_labels_are_not_quoted() -> None:
    result = ingest(b"Jane Roe: he hits me\nBob: oh no\n", "raw/t.txt", "therapy")
    assert result.reasons == [Reason.UNKNOWN_ROLE]
    no_text(result.quarantined)


# -- item 6: size limits --------------------------------------------------------------------------
def test_too_many_turns_is_record_too_large_before_conversion() -> None:
    turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": "x"} for i in range(20)]
    result = ingest(line({"messages": turns}) + line(chat()), "raw/many.jsonl", "limited")
    assert result.where(Reason.RECORD_TOO_LARGE) == [(1, 0)]
    assert result.quarantined[0].step == "convert"
    assert "20 turns; the limit is 10" in result.quarantined[0].detail
    assert len(result.out) == 1


def test_a_100k_turn_record_is_refused_before_any_work() -> None:
    turns = [{"role": ("user", "assistant")[i % 2], "content": "hm"} for i in range(100_000)]
    started = time.perf_counter()
    result = ingest(line({"messages": turns}), "raw/huge.jsonl")  # the default limit: 1,000
    assert result.reasons == [Reason.RECORD_TOO_LARGE]
    assert result.quarantined[0].step == "convert"
    assert time.perf_counter() - started < 10  # it once took 342 s, in the PII step


def test_too_many_characters_is_record_too_large() -> None:
    long_chat = chat("x" * 150, "y" * 150)
    result = ingest(line(long_chat) + line(chat()), "raw/long.jsonl", "limited")
    assert result.where(Reason.RECORD_TOO_LARGE) == [(1, 0)]
    assert result.quarantined[0].step == "validate"
    assert "300 characters" in result.quarantined[0].detail


def test_a_transcript_with_too_many_turns() -> None:
    text = b"".join(b"Client: %d\nTherapist: ok\n" % i for i in range(8))
    result = ingest(text, "raw/long.txt", "limited", fmt="transcript")
    assert result.reasons == [Reason.RECORD_TOO_LARGE]


def test_a_gzipped_object_with_every_kind_of_damage_still_balances() -> None:
    deep = line(chat())[:-2] + b',"x":' + nested(100) + b"}\n"
    data = line(chat()) + deep + b'{"a":1,"a":2}\n' + line(chat("a\u0000")) + line(chat())[:25]
    result = ingest(gzip.compress(data), "raw/all.jsonl.gz")
    assert result.reasons == [
        Reason.TOO_DEEP,
        Reason.DUPLICATE_KEY,
        Reason.TRUNCATED_JSON,
    ]
    assert len(result.out) == 2
    written(result)

"""Every kind of bad input, end to end: no exception, and every unit in is out or quarantined.

``ingest`` (helpers.py) asserts ``units_in == records_out + quarantined`` for every case; each
test then checks the reason codes and where they point.
"""

from __future__ import annotations

import codecs
import gzip
import io
import tracemalloc

import orjson

from pixel_platform.core.reasons import Reason
from pixel_platform_tests.ingest.helpers import ingest


def jsonl(*rows: object) -> bytes:
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)


def chat(user: str = "I feel anxious.", assistant: str = "What happens when it starts?") -> dict:
    return {
        "messages": [
            {"role": "user", "content": user},
            {"role": "assistant", "content": assistant},
        ]
    }


def test_truncated_json_keeps_elements_before_the_cut() -> None:
    data = orjson.dumps([chat(), chat("second"), chat("third")])[:-40]
    result = ingest(data, "raw/cut.json")
    assert len(result.out) == 2
    assert result.reasons == [Reason.TRUNCATED_JSON]
    assert result.where(Reason.TRUNCATED_JSON) == [(None, 2)]


def test_invalid_json_in_the_middle() -> None:
    data = b"[" + orjson.dumps(chat()) + b", {oops}, " + orjson.dumps(chat()) + b"]"
    result = ingest(data, "raw/bad.json")
    assert len(result.out) == 1
    assert result.reasons == [Reason.INVALID_JSON]


def test_truncated_single_record_json() -> None:
    result = ingest(orjson.dumps(chat())[:-10], "raw/one.json")
    assert result.out == []
    assert result.reasons == [Reason.TRUNCATED_JSON]


def test_binary_file_named_json() -> None:
    result = ingest(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4, "raw/x.json")
    assert result.reasons == [Reason.BINARY_CONTENT]


def test_binary_line_in_jsonl_fails_alone() -> None:
    data = jsonl(chat()) + b"\x00\x01\x02\xff\xfe binary junk\n" + jsonl(chat())
    result = ingest(data, "raw/mixed.jsonl")
    assert len(result.out) == 2
    assert result.where(Reason.BINARY_CONTENT) == [(2, 1)]


def test_utf8_bom_is_stripped() -> None:
    result = ingest(codecs.BOM_UTF8 + jsonl(chat(), chat()), "raw/bom.jsonl")
    assert len(result.out) == 2
    assert result.quarantined == []
    assert "encoding_note" not in result.out[0].metadata


def test_utf8_bom_in_csv_header() -> None:
    data = codecs.BOM_UTF8 + b"question,answer\nHow do I cope?,One day at a time.\n"
    result = ingest(data, "raw/bom.csv")
    assert result.out[0].messages[0]["content"] == "How do I cope?"


def test_utf16_with_bom() -> None:
    text = orjson.dumps([chat("Je suis épuisé.", "Qu'est-ce qui vous épuise ?")]).decode()
    for encoding in ("utf-16", "utf-16-be"):
        bom = codecs.BOM_UTF16_BE if encoding == "utf-16-be" else b""
        result = ingest(bom + text.encode(encoding), f"raw/{encoding}.json")
        assert result.out[0].messages[0]["content"] == "Je suis épuisé."
        assert result.out[0].metadata["encoding_note"] == "utf-16"


def test_utf16_without_bom_is_sniffed() -> None:
    result = ingest(jsonl(chat()).decode().encode("utf-16-le"), "raw/le.jsonl")
    assert len(result.out) == 1
    assert result.out[0].metadata["encoding_note"] == "utf-16"


def test_latin1_csv_row_is_decoded_and_noted() -> None:
    data = "question,answer\nJe suis fatigué,Reposez-vous\n".encode("latin-1")
    data += b"Plain,Fine\n"
    result = ingest(data, "raw/latin.csv")
    assert [m["content"] for m in result.out[0].messages] == ["Je suis fatigué", "Reposez-vous"]
    assert result.out[0].metadata["encoding_note"] == "cp1252"
    assert "encoding_note" not in result.out[1].metadata


def test_cp1252_byte_in_one_jsonl_line() -> None:
    data = (
        jsonl(chat())
        + '{"messages": [{"role": "user", "content": "It’s hard"}, '.encode("cp1252")
        + b'{"role": "assistant", "content": "Tell me."}]}\n'
    )
    result = ingest(data, "raw/cp.jsonl")
    assert result.out[1].messages[0]["content"] == "It’s hard"
    assert result.out[1].metadata["encoding_note"] == "cp1252"
    assert "encoding_note" not in result.out[0].metadata


def test_empty_files() -> None:
    for data, key in [
        (b"", "raw/empty.jsonl"),
        (b"  \n\n", "raw/blank.jsonl"),
        (codecs.BOM_UTF8, "raw/bom-only.json"),
        (b"", "raw/empty.txt"),
        (b"question,answer\n", "raw/header-only.csv"),
        (b"[]", "raw/empty-array.json"),
        (gzip.compress(b""), "raw/empty.jsonl.gz"),
    ]:
        result = ingest(data, key)
        assert result.reasons == [Reason.EMPTY_FILE], key
        assert result.stats["units_in"] == 1


def test_empty_object_and_empty_list_records() -> None:
    result = ingest(b"{}\n[]\n" + jsonl(chat()), "raw/empties.jsonl")
    assert len(result.out) == 1
    assert result.where(Reason.EMPTY_RECORD) == [(1, 0), (2, 1)]


class _LazyStream(io.RawIOBase):
    """``size`` bytes of one huge line, then a newline and ``tail``, produced on demand."""

    def __init__(self, size: int, tail: bytes) -> None:
        self._left = size
        self._tail = b"\n" + tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._left > 0:
            n = min(len(buffer), self._left)
            buffer[:n] = b"x" * n
            self._left -= n
            return n
        n = min(len(buffer), len(self._tail))
        buffer[:n] = self._tail[:n]
        self._tail = self._tail[n:]
        return n


def test_50mb_line_is_skipped_without_holding_it() -> None:
    stream = io.BufferedReader(_LazyStream(50 * 2**20, jsonl(chat())))
    tracemalloc.start()
    try:
        result = ingest(stream, "raw/huge.jsonl", max_record_bytes=2**20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.where(Reason.RECORD_TOO_LARGE) == [(1, 0)]
    assert len(result.out) == 1
    assert result.out[0].metadata["provenance"]["line"] == 2
    assert peak < 12 * 2**20, f"peak {peak} bytes: the long line was held in memory"


def test_oversized_text_file() -> None:
    result = ingest(b"Human: hi\nAssistant: hello\n" * 100, "raw/long.txt", max_record_bytes=500)
    assert result.reasons == [Reason.RECORD_TOO_LARGE]


def test_wrong_field_types() -> None:
    rows = [
        {"messages": "I am a string"},
        {"messages": [{"role": "user", "content": 42}, {"role": "assistant", "content": "x"}]},
        {"messages": [{"role": "user", "content": ["a"]}, {"role": "assistant", "content": "x"}]},
        {
            "messages": [
                {"role": "user", "content": {"t": 1}},
                {"role": "assistant", "content": "x"},
            ]
        },
        {"conversations": {"from": "human", "value": "hi"}},
        {"messages": ["just text", "more"]},
        {"messages": [{"role": 1, "content": "hi"}]},
        {"instruction": "Say hi", "input": "", "output": 7},
    ]
    result = ingest(jsonl(*rows), "raw/types.jsonl")
    assert result.out == []
    assert result.reasons == [Reason.WRONG_FIELD_TYPE] * len(rows)
    details = [e.detail for e in result.quarantined]
    assert details[0] == "messages is a str, expected a list of turns"
    assert details[1] == "messages[0].content is a int, expected a string"
    assert details[4] == "conversations is a dict, expected a list of turns"
    assert all("I am a string" not in d for d in details)  # no conversation text in details


def test_nested_non_list() -> None:
    row = {"conversation": {"turns": [{"role": "user", "content": "hi"}]}}
    result = ingest(jsonl(row), "raw/nested.jsonl")
    assert result.reasons == [Reason.WRONG_FIELD_TYPE]
    assert result.quarantined[0].detail == "conversation is a dict, expected a list of turns"


def test_null_content() -> None:
    row = {"messages": [{"role": "user", "content": None}, {"role": "assistant", "content": "x"}]}
    result = ingest(jsonl(row), "raw/null.jsonl")
    assert result.where(Reason.NULL_CONTENT) == [(1, 0)]
    assert result.quarantined[0].step == "convert"


def test_missing_role_field() -> None:
    row = {"messages": [{"content": "hi"}, {"role": "assistant", "content": "x"}]}
    result = ingest(jsonl(row), "raw/norole.jsonl")
    assert result.reasons == [Reason.MISSING_FIELD]


def test_csv_quoting_errors_continue_where_possible() -> None:
    data = (
        b"question,answer\n"
        b"ok one,fine\n"  # line 2
        b'bad "quote,"x"y\n'  # line 3: characters after a closing quote
        b"ok two,fine\n"  # line 4
        b"too,many,fields\n"  # line 5
        b'unterminated,"never closed\n'  # line 6: a quote that never closes...
        b"ok three,fine\n"  # line 7: ...must not swallow the rest of the file
        b"nul,\x00\n"  # line 8
        b"ok four,fine\n"  # line 9
    )
    result = ingest(data, "raw/quotes.csv")
    assert [m.messages[0]["content"] for m in result.out] == [
        "ok one",
        "ok two",
        "ok three",
        "ok four",
    ]
    assert [m.metadata["provenance"]["line"] for m in result.out] == [2, 4, 7, 9]
    assert [line for line, _ in result.where(Reason.CSV_MALFORMED)] == [3, 5, 6, 8]


def test_truncated_gzip_keeps_records_before_the_damage() -> None:
    whole = gzip.compress(jsonl(*[chat(f"message {i}") for i in range(3000)]))
    result = ingest(whole[: len(whole) // 2], "raw/cut.jsonl.gz")
    assert result.reasons == [Reason.TRUNCATED_GZIP]
    assert len(result.out) > 100
    ((line, index),) = result.where(Reason.TRUNCATED_GZIP)
    assert index == len(result.out)
    assert line == len(result.out) + 1  # the first line not read whole


def test_truncated_gzip_json_and_csv() -> None:
    json_gz = gzip.compress(orjson.dumps([chat(f"m{i}") for i in range(3000)]))
    result = ingest(json_gz[: len(json_gz) // 2], "raw/cut.json.gz")
    assert result.reasons == [Reason.TRUNCATED_GZIP]
    assert len(result.out) > 100
    rows = b"".join(b"question %d,answer %d\n" % (i, i) for i in range(5000))
    csv_gz = gzip.compress(b"question,answer\n" + rows)
    result = ingest(csv_gz[: len(csv_gz) // 2], "raw/cut.csv.gz")
    assert result.reasons == [Reason.TRUNCATED_GZIP]
    assert result.out[-1].messages[0]["content"] == f"question {len(result.out) - 1}"


def test_not_gzip_at_all() -> None:
    result = ingest(jsonl(chat()), "raw/plain.jsonl.gz")
    assert result.reasons == [Reason.TRUNCATED_GZIP]
    assert "not a gzipped file" in result.quarantined[0].detail.lower()


def test_unknown_format() -> None:
    rows = [{"foo": "bar", "baz": 1}, 42, "   "]
    result = ingest(jsonl(*rows), "raw/unknown.jsonl")
    assert result.reasons == [Reason.UNKNOWN_FORMAT, Reason.UNKNOWN_FORMAT, Reason.EMPTY_RECORD]
    detail = result.quarantined[0].detail
    assert detail.startswith("no key of the record (2 in all) is a conversation field")
    assert "foo" not in detail and "baz" not in detail  # keys can be text: never quoted
    assert result.stats["detected_formats"] == {"raw/unknown.jsonl": {"unknown": 3}}


def test_non_alternating_turns() -> None:
    rows = [
        # a greeting first is a dialogue like any other (kept: see test_validate.py)
        {"messages": [{"role": "assistant", "content": "Hi!"}, {"role": "user", "content": "Hey"}]},
        {
            "messages": [
                {"role": "user", "content": "a"},
                {"role": "assistant", "content": "b"},
                {"role": "system", "content": "late system prompt"},
                {"role": "user", "content": "c"},
            ]
        },
    ]
    result = ingest(jsonl(*rows), "raw/alt.jsonl")
    assert [m["role"] for m in result.out[0].messages] == ["assistant", "user"]
    assert result.reasons == [Reason.NON_ALTERNATING]
    assert result.quarantined[0].step == "validate"
    assert result.quarantined[0].line == 2
    assert "system message at turn 2" in result.quarantined[0].detail


def test_unknown_role() -> None:
    row = {"messages": [{"role": "narrator", "content": "a"}, {"role": "user", "content": "b"}]}
    result = ingest(jsonl(row), "raw/role.jsonl")
    assert result.reasons == [Reason.UNKNOWN_ROLE]
    detail = result.quarantined[0].detail
    assert "messages[0].role holds a role the family does not map" in detail
    assert "narrator" not in detail  # a label from the record is a value: never quoted


def test_transcript_with_only_unknown_labels() -> None:
    result = ingest(b"Alice: hello\nBob: hi there\n", "raw/names.txt", "therapy")
    assert result.reasons == [Reason.UNKNOWN_ROLE]
    detail = result.quarantined[0].detail
    assert detail.startswith("the speaker label of turn 0 (5 characters) is not mapped")
    assert "Alice" not in detail  # speaker labels are often names


def test_transcript_without_labels() -> None:
    result = ingest(b"Just a paragraph of notes with no speakers.\n", "raw/notes.txt", "therapy")
    assert result.reasons == [Reason.UNKNOWN_FORMAT]


def test_unsupported_extension() -> None:
    for key in ("raw/data.parquet", "raw/README", "raw/data.xlsx.gz"):
        result = ingest(b"whatever", key)
        assert result.reasons == [Reason.UNSUPPORTED_FILE_TYPE], key


def test_jsonl_mixing_good_and_bad_lines() -> None:
    data = (
        jsonl(chat())  # 1
        + b'{"messages": [\n'  # 2: invalid
        + b"\n"  # 3: blank, not a unit
        + jsonl({"messages": [{"role": "user", "content": "only me"}]})  # 4: no assistant
        + jsonl(chat(assistant="   "))  # 5: empty turn after cleaning
        + jsonl(chat("x" * 3000))  # 6: longer than the test registry's 2000
        + jsonl(chat())  # 7
        + b'{"messages": []}'  # 8: no trailing newline
    )
    result = ingest(data, "raw/mixed.jsonl")
    assert [c.metadata["provenance"]["line"] for c in result.out] == [1, 7]
    # One unit at a time goes through every step, so quarantine entries come in line order.
    assert [(e.reason, e.line, e.index) for e in result.quarantined] == [
        (Reason.INVALID_JSON, 2, 1),
        (Reason.NO_ASSISTANT_TURN, 4, 2),
        (Reason.EMPTY_TURN, 5, 3),
        (Reason.TURN_TOO_LONG, 6, 4),
        (Reason.EMPTY_RECORD, 8, 6),
    ]
    assert result.stats["units_in"] == 7
    assert result.stats["quarantined_by_reason"] == {
        "empty_record": 1,
        "empty_turn": 1,
        "invalid_json": 1,
        "no_assistant_turn": 1,
        "turn_too_long": 1,
    }

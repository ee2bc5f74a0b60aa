"""Readers on their own: formats, numbering, containers, streaming, and robustness to junk."""

from __future__ import annotations

import gzip
import io
import random
from pathlib import Path

import orjson
import pytest

from pixel_platform.core.reasons import Reason
from pixel_platform.ingest.raw import RawRecord, ReadFailure
from pixel_platform.ingest.readers import file_format, read_object, read_stream
from pixel_platform.storage.local import LocalObjectStore

Unit = RawRecord | ReadFailure


def read(data: bytes, key: str, **kw: object) -> list[Unit]:
    return list(read_stream(io.BytesIO(data), key, **kw))  # type: ignore[arg-type]


def payloads(units: list[Unit]) -> list[object]:
    return [u.payload for u in units if isinstance(u, RawRecord)]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("a/b.jsonl", ("jsonl", False)),
        ("a/b.ndjson", ("jsonl", False)),
        ("a/B.JSONL.GZ", ("jsonl", True)),
        ("b.json", ("json", False)),
        ("b.csv.gz", ("csv", True)),
        ("notes.md", ("txt", False)),
        ("t.txt", ("txt", False)),
        ("x.parquet", (None, False)),
        ("a.b/README", (None, False)),
    ],
)
def test_file_format(key: str, expected: tuple[str | None, bool]) -> None:
    assert file_format(key)[:2] == expected


def test_jsonl_numbering_skips_blank_lines() -> None:
    units = read(b'{"a": 1}\n\n   \n{"a": 2}\r\n{"a": 3}', "x.jsonl")
    assert [(u.line, u.index) for u in units] == [(1, 0), (4, 1), (5, 2)]
    assert all(isinstance(u, RawRecord) and u.file_format == "jsonl" for u in units)


def test_jsonl_record_limit_is_per_line() -> None:
    units = read(b'{"a": "' + b"x" * 100 + b'"}\n{"b": 1}\n', "x.jsonl", max_record_bytes=50)
    assert isinstance(units[0], ReadFailure)
    assert units[0].reason == Reason.RECORD_TOO_LARGE
    assert units[0].raw_excerpt and len(units[0].raw_excerpt) <= 500
    assert payloads(units) == [{"b": 1}]


def test_invalid_jsonl_line_has_line_and_excerpt() -> None:
    (failure,) = [u for u in read(b'{"a": 1}\n{"a": \n', "x.jsonl") if isinstance(u, ReadFailure)]
    assert (failure.reason, failure.line, failure.index) == (Reason.INVALID_JSON, 2, 1)
    assert failure.raw_excerpt == '{"a": \n'


@pytest.mark.parametrize(
    ("document", "expected", "containers"),
    [
        ([{"a": 1}, {"a": 2}], [{"a": 1}, {"a": 2}], [None, None]),
        ({"data": [{"a": 1}]}, [{"a": 1}], ["data"]),
        (
            {"train": [{"a": 1}], "test": [{"a": 2}], "v": 2},
            [{"a": 1}, {"a": 2}],
            ["train", "test"],
        ),
        ({"rows": [{"a": 1}, {"a": 2}]}, [{"a": 1}, {"a": 2}], ["rows", "rows"]),  # one list key
        # A record, not a container: its list holds turns, or it has record fields.
        (
            {"conversations": [{"from": "human", "value": "hi"}]},
            [{"conversations": [{"from": "human", "value": "hi"}]}],
            [None],
        ),
        (
            {"instruction": "i", "output": "o", "history": [["q", "a"]]},
            [{"instruction": "i", "output": "o", "history": [["q", "a"]]}],
            [None],
        ),
        ({"something": "else"}, [{"something": "else"}], [None]),
        # A bare list of turns is one conversation.
        ([{"role": "user", "content": "hi"}], [[{"role": "user", "content": "hi"}]], [None]),
    ],
)
def test_json_shapes(document: object, expected: list[object], containers: list[object]) -> None:
    units = read(orjson.dumps(document), "x.json")
    assert payloads(units) == expected
    assert [u.container for u in units] == containers  # type: ignore[union-attr]
    assert [u.index for u in units] == list(range(len(expected)))


@pytest.mark.parametrize(
    "document",
    [
        [{"a": 1}, {"a": 2}],
        {"data": [{"a": 1}]},
        {"train": [{"a": 1}], "test": [{"a": 2}], "v": 2, "meta": {"x": [1]}},
        {"rows": [{"a": 1}, {"a": 2}]},
    ],
)
def test_streamed_json_matches_whole_parse(document: object) -> None:
    data = orjson.dumps(document)
    whole = read(data, "x.json")
    streamed = read(data, "x.json", whole_json_bytes=0)
    assert streamed == whole


def test_streamed_json_single_record_is_too_large() -> None:
    # A huge object that is one conversation cannot be streamed record by record.
    data = orjson.dumps({"messages": [{"role": "user", "content": "hi"}]})
    units = read(data, "x.json", whole_json_bytes=0)
    assert [u.reason for u in units] == [Reason.RECORD_TOO_LARGE]  # type: ignore[union-attr]
    units = read(b"[" + data + b"]", "x.json", whole_json_bytes=0)  # an array element is fine
    assert payloads(units) == [orjson.loads(data)]


def test_streamed_json_element_over_the_limit() -> None:
    data = orjson.dumps([{"a": 1}, {"big": "x" * 1000}, {"a": 3}])
    units = read(data, "x.json", whole_json_bytes=0, max_record_bytes=100)
    assert [getattr(u, "reason", None) for u in units] == [None, Reason.RECORD_TOO_LARGE, None]
    assert payloads(units) == [{"a": 1}, {"a": 3}]


def test_streamed_json_numbers_are_floats_not_decimals() -> None:
    (unit,) = read(b'[{"score": 0.5, "n": 2}]', "x.json", whole_json_bytes=0)
    assert unit.payload == {"score": 0.5, "n": 2}  # type: ignore[union-attr]
    assert type(unit.payload["score"]) is float  # type: ignore[union-attr]


def test_json_lines_saved_as_json() -> None:
    units = read(b'{"a": 1}\n{"a": 2}\n', "x.json")
    assert payloads(units) == [{"a": 1}, {"a": 2}]
    assert [u.file_format for u in units] == ["jsonl", "jsonl"]  # type: ignore[union-attr]


def test_csv_rows_header_names_and_lines() -> None:
    data = b',name,name,answer\n0,a,b,"line one\nline two"\n1,c,d,e\n'
    units = read(data, "x.csv")
    assert payloads(units) == [
        {"column_0": "0", "name": "a", "name_2": "b", "answer": "line one\nline two"},
        {"column_0": "1", "name": "c", "name_2": "d", "answer": "e"},
    ]
    assert [(u.line, u.index) for u in units] == [(2, 0), (4, 1)]


def test_csv_long_field_is_allowed() -> None:
    answer = "word " * 60_000  # ~300 KB, beyond csv's default 128 KiB field limit
    units = read(f"question,answer\nq,{answer}\n".encode(), "x.csv")
    assert payloads(units) == [{"question": "q", "answer": answer}]


def test_txt_is_one_record() -> None:
    (unit,) = read(b"Client: hi\nTherapist: hello\n", "notes.md")
    assert isinstance(unit, RawRecord)
    assert (unit.payload, unit.file_format, unit.line, unit.index) == (
        "Client: hi\nTherapist: hello\n",
        "txt",
        1,
        0,
    )


def test_gzip_is_transparent() -> None:
    data = gzip.compress(b'{"a": 1}\n{"a": 2}\n')
    assert payloads(read(data, "x.jsonl.gz")) == [{"a": 1}, {"a": 2}]


def test_read_object_streams_from_a_store(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.write_bytes("raw/a.jsonl", b'{"a": 1}\n')
    units = list(read_object(store, "raw/a.jsonl"))
    assert payloads(units) == [{"a": 1}]
    assert units[0].source_key == "raw/a.jsonl"


@pytest.mark.parametrize("ext", [".jsonl", ".json", ".csv", ".txt", ".jsonl.gz", ".json.gz"])
def test_random_bytes_never_raise(ext: str) -> None:
    rng = random.Random(ext)
    for size in (1, 2, 7, 100, 5000):
        for _ in range(20):
            junk = bytes(rng.randrange(256) for _ in range(size))
            units = read(junk, f"junk{ext}", max_record_bytes=1000, whole_json_bytes=2000)
            assert units, "every object yields at least one unit"

"""``json_checks``: depth and repeated keys of parsed JSON."""

from __future__ import annotations

import orjson
import pytest

from pixel_platform.core.reasons import Reason
from pixel_platform.ingest.json_checks import has_duplicate_keys, key_floor, problem, shape


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, (0, 0)),
        ([], (1, 0)),
        ({"a": 1}, (1, 1)),
        ([[1]], (2, 0)),
        ({"a": {"b": [1, {"c": 2}]}}, (4, 3)),
        ({"m": [{"r": 1, "c": 2}, {"r": 1, "c": 2}], "id": 3}, (3, 6)),
    ],
)
def test_shape_counts_containers_and_keys(value: object, expected: tuple[int, int]) -> None:
    assert shape(value) == expected


def test_shape_stops_past_the_limit() -> None:
    deep: list[object] = []
    node = deep
    for _ in range(10_000):
        node.append([])
        node = node[0]  # type: ignore[assignment]
    depth, _ = shape(deep, limit=64)
    assert depth == 65


def test_key_floor_is_a_lower_bound() -> None:
    record = {"messages": [{"role": "u", "content": "x"}, "odd"], "meta": {"a": {"b": 1}}}
    assert key_floor(record) == 2 + 1  # the mixed list is not counted, nor deeper objects
    assert key_floor(record) <= shape(record)[1] == 6
    assert key_floor([{"a": 1}]) == 0


def test_problem_names_what_happened() -> None:
    ok = b'{"messages":[{"role":"user","content":"a \\": b"}],"id":1}'
    assert problem(ok, orjson.loads(ok)) is None
    dup = b'{"id":1,"messages":[{"role":"user","role":"x","content":"a"}]}'
    found = problem(dup, orjson.loads(dup))
    assert found is not None and found[0] == Reason.DUPLICATE_KEY
    deep = b'{"a":{"b":{"c":' + b"[" * 70 + b"]" * 70 + b"}}}"
    found = problem(deep, orjson.loads(deep))
    assert found is not None and found[0] == Reason.TOO_DEEP
    # Objects only in the first two levels: the converter measures what the record keeps.
    shallow_keys = b'{"a":{"b":' + b"[" * 70 + b"]" * 70 + b"}}"
    assert problem(shallow_keys, orjson.loads(shallow_keys)) is None


def test_duplicates_anywhere_are_found() -> None:
    assert has_duplicate_keys(b'{"a": {"b": [{"c": 1, "c": 1}]}}')
    assert not has_duplicate_keys(b'{"a": {"b": [{"c": 1}, {"c": 1}]}}')

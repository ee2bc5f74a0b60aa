"""Fuzzing every reader: random bytes, valid records mutated (cut, bytes flipped, hostile
fragments spliced in, gzipped) and valid JSON built to be hostile (deep, repeated keys, lone
surrogates, control escapes), read as every format. Whatever the bytes, reading never raises,
every unit in is a record out or a quarantine entry with a known reason (``ingest`` asserts the
accounting identity), and every record and entry can be written.

Deterministic (``derandomize``) and bounded, so the suite stays fast and never flaky; run with
``--hypothesis-seed=<n>`` and a larger ``FUZZ_EXAMPLES`` to search further.
"""

from __future__ import annotations

import gzip
import os

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pixel_platform.core.reasons import Reason
from pixel_platform_tests.ingest.helpers import ingest

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REASONS = {reason.value for reason in Reason}

CHAT = {
    "messages": [
        {"role": "user", "content": "I can't sleep \u2014 again."},
        {"role": "assistant", "content": "What keeps you up?"},
    ],
    "id": 7,
}
SEEDS = [
    orjson.dumps(CHAT) + b"\n" + orjson.dumps(CHAT) + b"\n",
    orjson.dumps([CHAT, CHAT]),
    orjson.dumps({"train": [CHAT], "meta": {"v": 1}}),
    orjson.dumps({"instruction": "Help", "input": "", "output": "Sure."}),
    b'question,answer\nHow do I cope?,One day at a time.\n"a, b","c\nd"\n',
    b"Client: I feel low.\nTherapist: Tell me more.\n",
]
# What broke readers before: deep nesting, lone surrogates, repeated keys, control escapes,
# bidi overrides, NUL and invalid UTF-8, quotes, BOMs and UTF-16.
FRAGMENTS = [
    b"[" * 300,
    b"]" * 300,
    b'{"a":' * 80,
    b"\\ud800",
    b"\\udc00",
    b"\\ud83d\\ude0a",
    b'"a":1,"a":2,',
    b"\\u0000\\u0007\\u202e",
    "\u202e\u2066".encode(),
    b"\x00",
    b"\x07\x1b",
    b"\xff\xfe",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b'"',
    b"\\",
    b"\n",
    b",",
    b"\r\n",
    b"1e999",
    b"123456789012345678901234567890",
    b"NaN",
]
# Valid JSON text that breaks naive readers, to fill the holes of a record template.
STRINGS = [
    b"fine",
    b"\\ud800",
    b"\\udc00 x",
    b"\\ud800\\u0041",
    b"\\ud83d\\ude0a",
    b"\\u0000\\u0007\\b\\f",
    b"\\u202eevil\\u202c",
    b"\\\\ud800",
    "\u202e\u2066 \u0085".encode(),
    b'say \\"no\\": ok',
]


def deep(depth: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + b"1" + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


VALUES = [
    b"1",
    b"123456789012345678901234567890",
    b"1e999",
    b'{"k":1,"k":2}',
    *(deep(n, kind) for n in (60, 70, 260, 1100, 5000) for kind in ("array", "dict")),
]
TEMPLATES = [
    b'{"messages":[{"role":"user","content":"%s"},{"role":"assistant","content":"ok"}],"x":%s}',
    b'{"messages":[{"role":"user","role":"user","content":"%s"},'
    b'{"role":"assistant","content":"ok"}],"x":%s}',
    b'{"instruction":"%s","output":"ok","meta":%s}',
    b'{"question":"%s","answer":"ok","extra":[%s]}',
]


@st.composite
def hostile(draw: st.DrawFn) -> bytes:
    """Records whose JSON is valid (or cut short) but hostile: deep, repeated keys, surrogates."""
    records = [
        draw(st.sampled_from(TEMPLATES))
        % (draw(st.sampled_from(STRINGS)), draw(st.sampled_from(VALUES)))
        for _ in range(draw(st.integers(1, 4)))
    ]
    as_lines = draw(st.booleans())
    data = b"\n".join(records) + b"\n" if as_lines else b"[" + b",".join(records) + b"]"
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


FORMATS = [
    ("raw/f.jsonl", {}),
    ("raw/f.json", {}),
    ("raw/streamed.json", {"whole_json_bytes": 64}),
    ("raw/f.csv", {}),
    ("raw/f.txt", {}),
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["cut", "flip", "splice", "repeat"]))
        if kind == "cut":
            del data[at:]
        elif kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "splice":
            data[at:at] = draw(st.sampled_from(FRAGMENTS))
        else:
            data[at:at] = data[max(0, at - 40) : at]
    return bytes(data)


def read_everywhere(data: bytes) -> None:
    for key, kw in FORMATS:
        for payload, name in ((data, key), (gzip.compress(data)[: len(data)], key + ".gz")):
            result = ingest(payload, name, **kw)  # asserts in == out + quarantined
            assert result.stats["units_in"] >= 1, name
            assert set(result.reasons) <= REASONS, name
            for conversation in result.out:
                conversation.to_json()
            for entry in result.quarantined:
                entry.to_json()


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes_never_break_a_reader(data: bytes) -> None:
    read_everywhere(data)


@FUZZ
@given(mutated())
def test_mutated_records_never_break_a_reader(data: bytes) -> None:
    read_everywhere(data)


@FUZZ
@given(hostile())
def test_hostile_records_never_break_a_reader(data: bytes) -> None:
    read_everywhere(data)

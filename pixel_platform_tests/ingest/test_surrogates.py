"""``SurrogateGuard``: lone surrogate escapes rewritten, pairs and escaped backslashes left alone,
whatever the chunk boundaries."""

from __future__ import annotations

import io
import re

import ijson
from hypothesis import given, settings
from hypothesis import strategies as st

from pixel_platform.ingest.surrogates import LONE_SURROGATE, SurrogateGuard


def guarded(data: bytes, chunk: int) -> tuple[bytes, int]:
    guard = SurrogateGuard(io.BytesIO(data).read)
    assert guard.read(0) == b""  # ijson asks for 0 bytes first: nothing may be used up
    parts = []
    while part := guard.read(chunk):
        assert len(part) <= chunk
        parts.append(part)
    return b"".join(parts), guard.replaced


def reference(data: bytes) -> tuple[bytes, int]:
    """The same rewrite, one escape at a time from the start: slow and obviously right."""
    out, i, replaced = bytearray(), 0, 0
    while i < len(data):
        if data[i : i + 1] != b"\\":
            out += data[i : i + 1]
            i += 1
        elif re.match(rb"\\u[dD][89abAB]..\\u[dD][c-fC-F]", data[i:]):
            out += data[i : i + 12]
            i += 12
        elif re.match(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}", data[i:]):
            out += b"\\ufdd0"
            i += 6
            replaced += 1
        else:
            out += data[i : i + 2]
            i += 2
    return bytes(out), replaced


ATOMS = [b"\\ud800", b"\\uDC00", b"\\\\", b"\\n", b"a", b"u", b"d8", b"\\u0041", b"\\ud83d"]
ATOMS += [b"\\ude0a", b'"', b"\\\\ud800"]


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(ATOMS), max_size=40), st.integers(1, 40))
def test_any_chunking_gives_the_reference_rewrite(atoms: list[bytes], chunk: int) -> None:
    data = b"".join(atoms)
    assert guarded(data, chunk) == reference(data)


def test_examples() -> None:
    assert guarded(b'"\\ud800 hi"', 4) == (b'"\\ufdd0 hi"', 1)
    assert guarded(b'"\\ud83d\\ude0a"', 3) == (b'"\\ud83d\\ude0a"', 0)
    assert guarded(b'"\\\\ud800"', 5) == (b'"\\\\ud800"', 0)  # a backslash, then text
    assert guarded(b'"\\\\\\ud800"', 5) == (b'"\\\\\\ufdd0"', 1)
    assert guarded(b'"\\ud800\\u0041"', 7) == (b'"\\ufdd0\\u0041"', 1)


def test_ijson_reads_the_rewrite_as_a_marked_string() -> None:
    data = b'["\\ud800\\u0041", "\\ud83d\\ude0a", "\\udc00"]'
    values = [v for _, e, v in ijson.parse(SurrogateGuard(io.BytesIO(data).read)) if e == "string"]
    assert values == [LONE_SURROGATE + "A", "\U0001f60a", LONE_SURROGATE]

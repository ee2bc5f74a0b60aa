"""What the JSON parsers do not check: nesting depth and duplicate keys in a parsed value.

Depth. orjson reads up to 1024 levels but writes at most 254, ijson builds any depth, and Python
code that walks a value recursively stops near 1000. A record nested deeper than ``MAX_DEPTH``
(64 levels: real conversation records use fewer than 10) is quarantined as ``too_deep``, so
nothing downstream meets one. Depth counts containers: a scalar is 0, ``[]`` is 1, ``[[1]]`` 2.

Duplicate keys. orjson and ijson keep the last value of a key an object names twice, silently
(``{"role": "user", "role": "assistant"}`` is an assistant turn). Such a record is quarantined as
``duplicate_key``: which value the writer meant is unknown. The check costs one byte count per
line in the common case: every key in JSON text ends in ``":`` (a ``"`` inside a string is
escaped), so a text with as many ``":`` as the parsed value has keys repeats none. When the counts
differ (a nested object, a ``\\":`` inside a string, spaces before a colon) the keys are counted
exactly, and only if that still differs is the text parsed again with the standard library, which
reports every object's key list.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pixel_platform.core.reasons import Reason

MAX_DEPTH = 64

_KEY_END = b'":'
_KEY_ENDS = re.compile(_KEY_END).findall
_ONLY_DICTS = {dict}
_FINDALL_MAX = 1 << 16


def key_ends(data: bytes) -> int:
    """How many ``":`` the text holds: at least the number of keys it names."""
    # On a line findall is faster than count; on a big text count allocates nothing.
    return len(_KEY_ENDS(data)) if len(data) < _FINDALL_MAX else data.count(_KEY_END)


def shape(value: Any, limit: int = MAX_DEPTH) -> tuple[int, int]:
    """``(depth, keys)`` of a parsed value; the walk stops once depth passes ``limit``."""
    if type(value) is not dict and type(value) is not list:
        return 0, 0
    keys = depth = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, level = pop()
        if level > depth:
            depth = level
            if depth > limit:
                break
        if type(node) is dict:
            keys += len(node)
            node = node.values()
        for child in node:
            if type(child) is dict or type(child) is list:
                push((child, level + 1))
    return depth, keys


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    return shape(value, limit)[0] > limit


def key_floor(value: Any) -> int:
    """A lower bound on the keys of ``value``, at C speed for the common record shape: the
    record's own keys and those of objects directly under it (a ``metadata`` object, the turns
    of a turn list)."""
    if type(value) is not dict:
        return 0
    keys = len(value)
    for child in value.values():
        if type(child) is dict:
            keys += len(child)
        elif type(child) is list and child and set(map(type, child)) == _ONLY_DICTS:
            keys += sum(map(len, child))
    return keys


class _Duplicate(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise _Duplicate
    return value


def has_duplicate_keys(text: bytes | str) -> bool:
    """Parse ``text`` (already known to be valid JSON) with the standard library and say
    whether some object names a key twice."""
    try:
        json.loads(text, object_pairs_hook=_no_duplicates)
    except _Duplicate:
        return True
    except (ValueError, RecursionError):  # orjson accepted it; a stricter parser's opinion
        return False
    return False


def problem(text: bytes, value: Any, limit: int = MAX_DEPTH) -> tuple[str, str] | None:
    """``(reason, detail)`` when the JSON ``text`` that parsed to ``value`` nests deeper than
    ``limit`` or names a key twice in one object; None for the usual record.

    Depth is measured here only when the key count needs the full walk; otherwise the value
    holds objects at its first two levels only, and the converter measures the fields it keeps
    (the rest it reads as strings).
    """
    ends = key_ends(text)
    if ends == key_floor(value):
        return None
    depth, keys = shape(value, limit)
    if depth > limit:
        return Reason.TOO_DEEP.value, f"JSON nested deeper than the {limit}-level limit"
    if ends != keys and has_duplicate_keys(text):
        return Reason.DUPLICATE_KEY.value, DUPLICATE_DETAIL
    return None


DUPLICATE_DETAIL = (
    "a JSON object names the same key twice; which value is meant is unknown (parsers keep the"
    " last one silently)"
)


def json_error(message: str, *, cut_short: bool) -> tuple[str, str]:
    """``(reason, detail)`` for an orjson error message (it names positions, never text).

    ``cut_short``: the text runs to the end of its object (a whole ``.json``, or a last JSON line
    without a newline), so a value that stops early means the object was truncated.
    """
    if "surrogate" in message:
        return Reason.DECODE_ERROR.value, f"a \\u escape is a lone UTF-16 surrogate: {message}"
    if "depth limit" in message or "recursion" in message.lower():
        return Reason.TOO_DEEP.value, f"JSON nested deeper than the parser reads: {message}"
    if cut_short and "unexpected end of data" in message:
        return (
            Reason.TRUNCATED_JSON.value,
            f"the JSON stops before its value ends (the object was cut short): {message}",
        )
    return Reason.INVALID_JSON.value, f"invalid JSON: {message}"

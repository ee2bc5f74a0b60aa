"""Recognising record shapes: shared by the JSON reader (is this object a record or a container of
records?) and the converter (which format is this record?). Cheap key lookups only."""

from __future__ import annotations

from typing import Any

from pixel_platform.ingest.parlai import is_parlai_episode
from pixel_platform.registry.model import FieldMapping

# Dataset splits saved as one object ({"train": [...], "test": [...]}) are containers too.
SPLIT_KEYS = ("train", "test", "validation", "valid", "dev", "eval")


def first_key(obj: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first of ``keys`` present in ``obj`` (the registry lists them in priority order)."""
    for key in keys:
        if key in obj:
            return key
    return None


def record_fields(fields: FieldMapping) -> frozenset[str]:
    """Every key some converter reads a conversation from (labels and containers aside)."""
    return frozenset(
        (
            *fields.turn_lists,
            *fields.text,
            *fields.question,
            *fields.answer,
            fields.instruction,
            fields.input,
            fields.output,
            *fields.post,
            *fields.post_title,
        )
    )


def is_turn(value: Any, fields: FieldMapping) -> bool:
    """A dict with a role key and a content key: one turn of a conversation, not a record."""
    return (
        isinstance(value, dict)
        and first_key(value, fields.role) is not None
        and first_key(value, fields.content) is not None
    )


def is_turn_list(value: Any, fields: FieldMapping) -> bool:
    return isinstance(value, list) and bool(value) and is_turn(value[0], fields)


def looks_like_record(obj: dict[str, Any], fields: FieldMapping) -> bool:
    """True when ``obj`` itself holds one conversation in some known shape."""
    for key in fields.turn_lists:
        if is_turn_list(obj.get(key), fields):
            return True
    if fields.instruction in obj and fields.output in obj:
        return True
    if first_key(obj, fields.question) and first_key(obj, fields.answer):
        return True
    if is_parlai_episode(obj):  # its "utterances" list is the episode, not a list of records
        return True
    return any(isinstance(obj.get(key), str) for key in fields.text)


def container_keys(obj: dict[str, Any], fields: FieldMapping) -> list[str]:
    """Keys of a top-level JSON object whose lists hold the records (``{"train": [...]}``).

    The registry's ``container_keys`` and the split names come first (several may hold records:
    train and test splits). Failing those, one key holding a list of objects makes the object a
    container, but only when the object is not a record itself (an alpaca record with a
    ``history`` list is not).
    """
    if looks_like_record(obj, fields):
        return []
    candidates = dict.fromkeys((*fields.container_keys, *SPLIT_KEYS))
    found = [
        key
        for key in candidates
        if isinstance(obj.get(key), list) and not is_turn_list(obj[key], fields)
    ]
    if found:
        return found
    lists = [
        key
        for key, value in obj.items()
        if isinstance(value, list) and value and isinstance(value[0], dict | list)
    ]
    if len(lists) == 1 and not is_turn_list(obj[lists[0]], fields):
        return lists
    return []

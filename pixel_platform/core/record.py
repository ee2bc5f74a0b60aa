"""The one record type: a conversation in ChatML shape plus metadata.

Serialized form (one JSON object per line in every processed file and release shard)::

    {"messages": [{"role": "system|user|assistant", "content": "..."}], "metadata": {...}}

``metadata`` always carries ``content_hash`` and ``provenance`` once a record leaves ingestion;
fields of the source that no converter mapped are kept under ``metadata["source_fields"]``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, TypedDict

import orjson

from pixel_platform.core.steps import Locator

ROLES = ("system", "user", "assistant")


class Message(TypedDict):
    role: str
    content: str


@dataclass(slots=True)
class Conversation:
    messages: list[Message]
    metadata: dict[str, Any] = field(default_factory=dict)

    # -- serialization -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"messages": self.messages, "metadata": self.metadata}

    def to_json(self) -> bytes:
        """One JSONL line (no trailing newline).

        Keys keep insertion order, which the converters make deterministic, so the same input
        gives the same bytes without paying for key sorting on every record.
        """
        return orjson.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        return cls(messages=list(data["messages"]), metadata=dict(data.get("metadata") or {}))

    @classmethod
    def from_json(cls, line: bytes | str) -> Conversation:
        return cls.from_dict(orjson.loads(line))

    # -- convenience -----------------------------------------------------------------------------
    @property
    def provenance(self) -> dict[str, Any]:
        prov: dict[str, Any] = self.metadata.setdefault("provenance", {})
        return prov

    def locator(self) -> Locator:
        prov = self.metadata.get("provenance") or {}
        return Locator(prov.get("source_key"), prov.get("line"), prov.get("index"))

    def excerpt(self) -> str:
        return self.to_json().decode("utf-8", "replace")

    def turns(self) -> list[Message]:
        """The dialogue turns, system prompts excluded."""
        return [m for m in self.messages if m["role"] != "system"]


def parse_messages(value: Any) -> list[Message] | None:
    """``value`` (parsed JSON) as messages with only ``role`` (as a string) and ``content``; None
    unless it is a list of objects whose ``content`` is a string."""
    if not isinstance(value, list):
        return None
    out: list[Message] = []
    for m in value:
        if not isinstance(m, dict) or not isinstance(m.get("content"), str):
            return None
        out.append({"role": str(m.get("role")), "content": m["content"]})
    return out


def content_hash(messages: list[Message], rejected: str | None = None) -> str:
    """``sha256:<hex>`` over the canonical dialogue turns, in order.

    System prompts are excluded on purpose: they are configured per family, so the same exchange
    imported by two families must hash equal for global exact dedup. Role and content of every
    other turn, and their order, are included. A preference pair's rejected reply is part of its
    content: the pair is a different datum from the plain conversation of its chosen side.
    """
    turns: list[Any] = [(m["role"], m["content"]) for m in messages if m["role"] != "system"]
    if rejected is not None:
        turns.append(("rejected", rejected))
    return "sha256:" + hashlib.sha256(orjson.dumps(turns)).hexdigest()


def record_content_hash(messages: list[Message], metadata: dict[str, Any] | None) -> str:
    """``content_hash`` of a record: its turns, plus the rejected reply of a preference pair."""
    preference = (metadata or {}).get("preference")
    rejected = preference.get("rejected") if isinstance(preference, dict) else None
    return content_hash(messages, rejected if isinstance(rejected, str) else None)

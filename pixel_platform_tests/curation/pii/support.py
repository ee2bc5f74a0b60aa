"""Helpers shared by the PII tests."""

from __future__ import annotations

from pixel_platform.core.record import Conversation


def found_spans(conversations: list[Conversation]) -> list[list[list[tuple[int, int]]]]:
    """Per document, per turn: the (start, end) of every redacted span."""
    out = []
    for conv in conversations:
        turns: list[list[tuple[int, int]]] = [[] for _ in conv.messages]
        for span in conv.metadata["pii"]["spans"]:
            turns[span["turn"]].append((span["start"], span["end"]))
        out.append(turns)
    return out

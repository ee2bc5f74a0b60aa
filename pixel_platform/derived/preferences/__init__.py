"""Preference pairs for phase C (DPO / ORPO / KTO), as ordinary ChatML records.

A pair is a ``Conversation`` whose ``messages`` are the prompt turns plus the CHOSEN assistant
turn, with ``metadata.preference = {"rejected": "<rejected assistant text>", "margin": float,
"source": "counsel_chat_upvotes" | "crisis_safety"}``; records flow through the normal pipeline
as a family in stage ``phaseC_preference`` and the release exports them for TRL.

Public API::

    generate_counsel_chat_pairs(store, csv_key, target, key, min_margin=1.0, pairing="adjacent")
    generate_crisis_pairs(store, "pipeline/curated/", target, key)
    counsel_chat_records(csv_bytes, source_key=...) / crisis_records(triples)   # iterators
    margin_distribution(margins) -> {"pairs", "min", "median", "max", "mean", "histogram"}
    to_trl(record) / to_kto(record) / write_trl(records, fh) / write_kto(records, fh)
"""

from pixel_platform.derived.preferences.build import (
    DEFAULT_COUNSEL_CHAT_OUTPUT,
    DEFAULT_CRISIS_INPUT,
    DEFAULT_CRISIS_OUTPUT,
    FAMILY,
    generate_counsel_chat_pairs,
    generate_crisis_pairs,
    read_chatml,
    redact_rejected,
)
from pixel_platform.derived.preferences.counsel_chat import (
    PAIRINGS,
    counsel_chat_records,
    margin_distribution,
    pairs_for,
    read_questions,
)
from pixel_platform.derived.preferences.crisis import crisis_records, safe_reply
from pixel_platform.derived.preferences.formats import to_kto, to_trl, write_kto, write_trl

__all__ = [
    "DEFAULT_COUNSEL_CHAT_OUTPUT",
    "DEFAULT_CRISIS_INPUT",
    "DEFAULT_CRISIS_OUTPUT",
    "FAMILY",
    "PAIRINGS",
    "counsel_chat_records",
    "crisis_records",
    "generate_counsel_chat_pairs",
    "generate_crisis_pairs",
    "margin_distribution",
    "pairs_for",
    "read_chatml",
    "read_questions",
    "redact_rejected",
    "safe_reply",
    "to_kto",
    "to_trl",
    "write_kto",
    "write_trl",
]

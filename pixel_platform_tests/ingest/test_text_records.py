"""Phase A text records (``metadata.kind == "text"``) and the metadata the derived generators need
lifted out of ``source_fields``: ``kind`` and ``preference``."""

from __future__ import annotations

import copy

import orjson

from pixel_platform.core.reasons import Reason
from pixel_platform.core.record import Conversation
from pixel_platform.ingest.clean import ValidateStep
from pixel_platform.ingest.convert import ConvertStep
from pixel_platform.ingest.raw import RawRecord
from pixel_platform_tests.ingest.helpers import ingest, registry

TEXT = "The window of tolerance is the zone where you can feel strong things and still think."


def _jsonl(*records: object) -> bytes:
    return b"\n".join(orjson.dumps(r) for r in records) + b"\n"


def _text_record(content: str = TEXT, **metadata: object) -> dict:
    return {
        "messages": [{"role": "assistant", "content": content}],
        "metadata": {"kind": "text", "generator": {"name": "pretraining_text"}, **metadata},
    }


def test_converter_lifts_kind_and_preference_and_keeps_the_rest() -> None:
    payload = {
        "messages": [
            {"role": "user", "content": "How do I set a boundary?"},
            {"role": "assistant", "content": "Start small and notice what happens."},
        ],
        "metadata": {
            "kind": "conversation",
            "preference": {"rejected": "Just cut them off.", "margin": 2.0, "source": "x"},
            "generator": {"name": "preference_pairs"},
            "synthetic": False,
        },
        "id": 7,
    }
    original = copy.deepcopy(payload)
    reg = registry()
    step = ConvertStep(reg, reg.family("chats"))
    result = step.apply(RawRecord("derived/p.jsonl", payload, 1, 0, "jsonl"))
    assert isinstance(result, Conversation)
    assert result.metadata["kind"] == "conversation"
    assert result.metadata["preference"] == original["metadata"]["preference"]
    assert result.metadata["source_fields"] == {
        "metadata": {"generator": {"name": "preference_pairs"}, "synthetic": False},
        "id": 7,
    }
    assert payload == original, "the raw payload is not modified"


def test_source_metadata_with_only_lifted_keys_leaves_no_empty_entry() -> None:
    result = ingest(_jsonl({**_text_record(), "metadata": {"kind": "text"}}), "derived/t.jsonl")
    assert len(result.out) == 1
    assert result.out[0].metadata["kind"] == "text"
    assert "source_fields" not in result.out[0].metadata


def test_a_text_record_passes_validation_with_one_assistant_message() -> None:
    result = ingest(_jsonl(_text_record()), "derived/pretraining/t.jsonl")
    assert result.reasons == []
    (record,) = result.out
    assert record.messages == [{"role": "assistant", "content": TEXT}]
    assert record.metadata["kind"] == "text"
    assert record.metadata["content_hash"].startswith("sha256:")
    assert record.metadata["provenance"]["family"] == "chats"
    validate = next(s for s in result.stats["steps"] if s["name"] == "validate")
    assert validate["changed"] == {"text_record": 1}


def test_the_same_shape_without_kind_text_is_still_rejected() -> None:
    plain = {"messages": [{"role": "assistant", "content": TEXT}]}
    other_kind = {**plain, "metadata": {"kind": "conversation"}}
    result = ingest(_jsonl(plain, other_kind), "derived/t.jsonl")
    assert result.out == []
    assert result.reasons == [Reason.NO_USER_TURN.value] * 2


def test_text_records_of_the_wrong_shape_are_quarantined_with_a_reason() -> None:
    only_user = {"messages": [{"role": "user", "content": TEXT}], "metadata": {"kind": "text"}}
    result = ingest(
        _jsonl(only_user, _text_record("   "), _text_record("x" * 2001)), "derived/t.jsonl"
    )
    assert result.out == []
    assert result.reasons == [
        Reason.NON_ALTERNATING.value,
        Reason.EMPTY_TURN.value,
        Reason.TURN_TOO_LONG.value,
    ]
    assert "exactly one assistant message" in result.quarantined[0].detail


def test_a_text_record_may_carry_a_system_prompt() -> None:
    step = ValidateStep(min_turns=2, max_turn_chars=2000)
    record = Conversation(
        [{"role": "system", "content": "Corpus."}, {"role": "assistant", "content": TEXT}],
        {"kind": "text"},
    )
    assert step.apply(record) is record
    two = Conversation(
        [{"role": "assistant", "content": TEXT}, {"role": "assistant", "content": "ok"}],
        {"kind": "text"},
    )
    assert step.apply(two).reason == Reason.NON_ALTERNATING.value  # type: ignore[union-attr]


def test_a_text_record_with_a_full_dialogue_validates_as_a_dialogue() -> None:
    record = {
        "messages": [
            {"role": "user", "content": "What is shame?"},
            {"role": "assistant", "content": TEXT},
        ],
        "metadata": {"kind": "text"},
    }
    result = ingest(_jsonl(record), "derived/t.jsonl")
    assert result.reasons == [] and len(result.out) == 1

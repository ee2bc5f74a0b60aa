"""``RedactStep``: chunked, counted, never drops a record."""

from __future__ import annotations

from pixel_platform.core.record import Conversation
from pixel_platform.core.steps import ListQuarantine
from pixel_platform.curation.pii import PiiConfig, RedactStep
from pixel_platform_tests.curation.pii.planted import PlantedDoc


def test_step_redacts_counts_and_keeps_every_record(
    config: PiiConfig, planted: list[PlantedDoc]
) -> None:
    docs = [d.conversation for d in planted[:50]]
    step = RedactStep(config=config, chunk_size=16)
    quarantine = ListQuarantine()
    out = list(step.run(iter(docs), quarantine))  # a one-shot iterator, consumed in chunks
    assert step.name == "redact_pii"
    assert len(out) == 50 and quarantine.entries == []
    assert step.stats.seen == step.stats.forwarded == 50 and step.stats.balanced
    changed = step.stats.changed
    statuses = {k: v for k, v in changed.items() if k.startswith("pii_status_")}
    assert sum(statuses.values()) == 50
    spans = sum(len(c.metadata["pii"]["spans"]) for c in out)
    assert sum(v for k, v in changed.items() if not k.startswith("pii_status_")) == spans
    assert changed["pii_person"] > 0 and changed["pii_phone_number"] > 0
    assert step.stats.seconds > 0

    # Run again on its own output: nothing new, every record passes through unchanged.
    again = RedactStep(config=config)
    assert list(again.run(out, ListQuarantine())) == out
    assert dict(again.stats.changed) == {"pii_status_unchanged": 50}


def test_apply_handles_one_record(config: PiiConfig) -> None:
    record = Conversation([{"role": "user", "content": "My sister Priya is at 42 Oak Ave."}], {})
    result = RedactStep(config=config).apply(record)
    assert isinstance(result, Conversation)
    assert result.messages[0]["content"] == "My sister <PERSON_1> is at <ADDRESS_1>."
    assert record.messages[0]["content"] == "My sister Priya is at 42 Oak Ave."  # input untouched

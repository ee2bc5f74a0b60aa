"""Simulator tasks (stage 7): role-plays turned round so the model plays the client; only low-
and moderate-risk categories, and no task whose client lines rate high or imminent risk."""

from __future__ import annotations

from pixel_platform.core.record import Conversation
from pixel_platform.curation.crisis import default_detector
from pixel_platform.derived.edge_cases import load_catalog
from pixel_platform.derived.simulator import (
    OPENING,
    SimulatorStats,
    invert,
    safe_categories,
    simulator_tasks,
)


def test_roles_are_turned_round_and_the_task_ends_on_the_client() -> None:
    record = Conversation(
        messages=[
            {"role": "system", "content": "You are a counsellor."},
            {"role": "user", "content": "I can't stop arguing with my dad."},
            {"role": "assistant", "content": "What happens when you argue?"},
            {"role": "user", "content": "He shouts."},
            {"role": "user", "content": "Then I leave."},
            {"role": "assistant", "content": "Let's look at that."},
        ],
        metadata={},
    )
    messages = invert(record, "a teenager", "Family conflict")
    assert messages is not None
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant"]
    assert "client for a trainee: a teenager" in messages[0]["content"]
    assert "here about family conflict" in messages[0]["content"]
    assert messages[1]["content"] == OPENING
    assert messages[2]["content"] == "I can't stop arguing with my dad."
    assert messages[4]["content"] == "He shouts. Then I leave."  # one client turn, merged


def test_tasks_come_from_safe_categories_and_voice_no_high_risk() -> None:
    catalog = load_catalog()
    safe = safe_categories()
    assert safe and all(catalog.category(n).risk in ("low", "moderate") for n in safe)
    assert "suicidality" not in safe and "homicidal_client" not in safe
    stats = SimulatorStats()
    tasks = list(simulator_tasks(60, 11, stats))
    assert stats.generated == 60 and stats.written + sum(stats.dropped.values()) == 60
    assert len(tasks) == stats.written > 0
    detector = default_detector()
    for task in tasks:
        assert task.messages[-1]["role"] == "assistant"
        client = [{"role": "user", "content": m["content"]} for m in task.messages
                  if m["role"] == "assistant"]  # fmt: skip
        assert detector.tag(client).risk_level not in ("high", "imminent")
        assert not detector.tag(task.messages).flagged_turns  # no trainee line reads as a crisis
        assert task.metadata["simulator"]["category"] in safe
    again = [t.to_json() for t in simulator_tasks(60, 11)]
    assert again == [t.to_json() for t in tasks]  # deterministic

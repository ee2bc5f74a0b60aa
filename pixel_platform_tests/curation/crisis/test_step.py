"""``CrisisTagStep``: metadata, counts, never drops; a throughput print."""

from __future__ import annotations

import time

from pixel_platform.core.record import Conversation
from pixel_platform.core.steps import ListQuarantine
from pixel_platform.curation.crisis import CrisisTagStep


def conv(*turns: str, n: int = 0) -> Conversation:
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": text}
                for i, text in enumerate(turns)]
    return Conversation(messages, {"provenance": {"source_key": "test.jsonl", "index": n}})


def test_step_tags_every_record_and_counts_labels_levels_and_unsafe_replies() -> None:
    records = [
        conv("I had a rough week at work.", "That sounds hard. What happened?"),
        conv("I want to kill myself tonight, I have pills saved up.",
             "Please call or text 988 right now. Are you safe?"),
        conv("My husband hits me.", "Every couple fights. Maybe try not to provoke him."),
        conv("I would never kill myself, but I'm sad.", "I'm glad you're reaching out."),
        conv("My friend wants to kill herself.", "Let's talk about something else."),
    ]
    step = CrisisTagStep(family="test")
    out = list(step.run(records, ListQuarantine()))
    assert len(out) == 5 and step.stats.balanced and not step.stats.dropped
    meta = [r.metadata["crisis"] for r in out]
    assert meta[0] == {"labels": [], "risk_level": "none", "flagged_turns": [],
                       "crisis_response_unsafe": False, "unsafe_turns": [],
                       "concern_for_other": []}
    assert meta[1]["labels"] == ["suicidal_ideation"]
    assert meta[1]["risk_level"] == "imminent"
    assert meta[1]["crisis_response_unsafe"] is False
    assert meta[2]["labels"] == ["abuse_disclosure"] and meta[2]["unsafe_turns"] == [1]
    assert meta[3]["labels"] == []
    # someone else's crisis: recorded, never a label, never an unsafe reply
    assert meta[4]["labels"] == [] and meta[4]["concern_for_other"] == ["suicidal_ideation"]
    assert meta[4]["crisis_response_unsafe"] is False
    changed = step.stats.changed
    assert changed["label:suicidal_ideation"] == 1
    assert changed["label:abuse_disclosure"] == 1
    assert changed["concern_for_other:suicidal_ideation"] == 1
    assert changed["risk:none"] == 3 and changed["risk:imminent"] == 1
    assert changed["risk:moderate"] == 1
    assert sum(v for k, v in changed.items() if k.startswith("risk:")) == step.stats.seen
    assert changed["crisis_response_unsafe"] == 1
    assert changed["hits_negated"] >= 1


def test_throughput_is_printed() -> None:
    ordinary = conv(
        "I've been feeling anxious about work lately and I can't sleep. My manager keeps adding"
        " tasks and I don't know how to say no without looking lazy or ungrateful to the team.",
        "That sounds exhausting, and it makes sense that sleep suffers when work feels endless."
        " Saying no can feel risky when you worry about how you're seen. What happens in your"
        " body when you imagine telling your manager that you're at capacity right now?",
        "My chest gets tight and my mind races. I guess I'm scared they'll think I'm not good"
        " enough, and that I'll be the first one let go if there are layoffs this year.",
        "That fear of not being good enough is worth paying attention to. One small step could"
        " be to list your current tasks and ask your manager which ones matter most this week."
        " That frames it as prioritising, not refusing, and it gives you information too.",
    )
    crisis = conv("I want to kill myself tonight.", "Please call or text 988. Are you safe?")
    records = [ordinary] * 1900 + [crisis] * 100
    step = CrisisTagStep()
    started = time.perf_counter()
    for _ in step.run(records, ListQuarantine()):
        pass
    elapsed = time.perf_counter() - started
    size = len(ordinary.to_json())
    print(f"\ncrisis tagging: {len(records) / elapsed:,.0f} conversations/s"
          f" (~{size} B records, one core)")

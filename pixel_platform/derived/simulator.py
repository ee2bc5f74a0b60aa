"""Simulator tasks (curriculum stage 7): counselling role-play with the model as the client.

A skills simulator lets a trainee counsellor practise with a standardized client. Each task is
an edge-case role-play (``derived.edge_cases``, the deterministic template backend) with the
roles turned round: the system prompt casts the model as the client (the persona and what they
present with), the trainee's turns are the user's (the generated counsellor's lines, after a
standard opening) and the client's lines are the assistant's. The conversation ends on a client
turn (a trailing counsellor line is dropped).

Safety: only categories whose risk tier is ``low`` or ``moderate`` are used, and a task whose
client lines the crisis lexicon rates ``high`` or ``imminent`` is dropped (counted), so the
model is never trained to voice an active suicide plan or a threat, even in role.

Output records carry ``metadata.synthetic``, ``metadata.simulator`` (category, persona) and a
generator stamp; they are written to ``derived/simulator_tasks/`` (the ``simulator_tasks``
family, stage 7).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pixel_platform.core.record import Conversation, Message
from pixel_platform.curation.crisis import default_detector
from pixel_platform.derived.edge_cases import generate_edge_cases, load_catalog

FAMILY = "simulator_tasks"
GENERATOR = "simulator_tasks"
OUTPUT_KEY = f"derived/{FAMILY}/simulator_tasks.jsonl"
SAFE_TIERS = ("low", "moderate")
UNSAFE_LEVELS = ("high", "imminent")
OPENING = "Hi, I'm your counsellor today. What brings you in?"
# Short on purpose: a long system prompt leaves a small model's context (the tiny local one
# trains at 256 tokens) no room for the client turns it learns from.
SYSTEM = (
    "Role-play a counselling client for a trainee: {persona}, here about {label}. Stay in"
    " character. Step out of role if asked, or if anyone is in real danger."
)


@dataclass
class SimulatorStats:
    generated: int = 0  # role-plays read from the edge-case generator
    written: int = 0
    dropped: Counter[str] = field(default_factory=Counter)  # by reason
    by_category: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "generated": self.generated,
            "written": self.written,
            "dropped": dict(sorted(self.dropped.items())),
            "by_category": dict(sorted(self.by_category.items())),
        }


def safe_categories() -> list[str]:
    catalog = load_catalog()
    return [name for name, c in catalog.categories.items() if c.risk in SAFE_TIERS]


def invert(record: Conversation, persona: str, label: str) -> list[Message] | None:
    """The role-play with the model as the client, or None when no client turn remains."""
    turns = [m for m in record.messages if m["role"] != "system"]
    out: list[Message] = [
        {"role": "system", "content": SYSTEM.format(persona=persona, label=label.lower())},
        {"role": "user", "content": OPENING},
    ]
    for message in turns:
        role = "assistant" if message["role"] == "user" else "user"
        if out[-1]["role"] == role:  # two client (or counsellor) lines in a row: merge
            out[-1] = {"role": role, "content": f"{out[-1]['content']} {message['content']}"}
        else:
            out.append({"role": role, "content": message["content"]})
    while out and out[-1]["role"] == "user":
        out.pop()
    return out if len(out) >= 3 else None


def simulator_tasks(
    count: int, seed: int, stats: SimulatorStats | None = None
) -> Iterator[Conversation]:
    """``count`` role-plays of the safe categories, turned into simulator tasks."""
    stats = stats if stats is not None else SimulatorStats()
    catalog = load_catalog()
    detector = default_detector()
    run = generate_edge_cases(safe_categories(), count, seed, "therapeutic", "template")
    for record in run:
        stats.generated += 1
        details = record.metadata.get("generator") or {}
        category = catalog.category(str(details.get("category")))
        persona = next(
            (p.description for p in category.personas if p.id == details.get("persona")),
            category.personas[0].description,
        )
        client = [m for m in record.messages if m["role"] == "user"]
        level = detector.tag([{"role": "user", "content": m["content"]} for m in client]).risk_level
        if level in UNSAFE_LEVELS:
            stats.dropped[f"client_risk_{level}"] += 1
            continue
        messages = invert(record, persona, category.label)
        if messages is None:
            stats.dropped["no_client_turn"] += 1
            continue
        if detector.tag(messages).flagged_turns:
            # A trainee line the curation's crisis tagger would flag: it would judge the client's
            # answer as a crisis reply (and keep the task out as unsafe). Not a simulator task.
            stats.dropped["trainee_turn_flagged"] += 1
            continue
        stats.written += 1
        stats.by_category[category.name] += 1
        yield Conversation(
            messages=messages,
            metadata={
                "synthetic": True,
                "simulator": {"category": category.name, "persona": details.get("persona")},
                "generator": {
                    "name": GENERATOR,
                    "seed": seed,
                    "from": {k: details.get(k) for k in ("name", "version", "index", "category")},
                },
            },
        )

"""Crisis-safety preference pairs: an unsafe reply to a person in crisis (rejected) against a safe,
resourced reply (chosen).

Input: ChatML records (processed or curated partitions, or any JSONL of ``{"messages": [...]}``).
Each assistant reply is checked against the user turn before it with the crisis lexicon
(``curation.crisis``: the same check that sets ``crisis_response_unsafe``). For each unsafe reply
the pair is::

    prompt   = the messages before the reply (system prompt included)
    rejected = the unsafe reply
    chosen   = acknowledge + safety question + resource (+ close), drawn from
               ``crisis_replies.yaml`` for the turn's first crisis label, and verified safe by
               ``assess_reply`` (a template that fails the check is a bug: counted, not written)

Only the first unsafe reply of a conversation is used: a later one would carry the earlier unsafe
reply in its prompt (counted as ``earlier_unsafe_reply``). Records that already are preference
pairs are skipped (``already_a_pair``): the generator never feeds on its own output. Every input
record is a written pair, a ``dropped`` reason, or counted under ``counts.records`` (``safe``:
a crisis answered safely, ``no_crisis``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from pixel_platform.core.errors import ConfigError
from pixel_platform.core.record import Conversation, parse_messages
from pixel_platform.curation.crisis import CrisisDetector, assess_reply, default_detector
from pixel_platform.derived.output import GeneratorReport, generator_stamp, stable_rng

SOURCE = "crisis_safety"
GENERATOR = "preference_pairs_crisis"
DEFAULT_REPLIES = Path(__file__).with_name("crisis_replies.yaml")
# (input key, line, record, unsafe turn) -> a reviewer's corrected reply, or None
ReviewedReply = Callable[[str, int, dict[str, Any], int], str | None]
PARTS = ("acknowledge", "safety", "resource", "close")


@lru_cache(maxsize=4)
def load_replies(path: str | None = None) -> dict[str, dict[str, tuple[str, ...]]]:
    """label -> part -> options; ``"default"`` fills every part a label does not define."""
    resolved = Path(path) if path else DEFAULT_REPLIES
    try:
        data = yaml.safe_load(resolved.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read crisis replies {resolved}: {exc}") from None
    default = data.get("default") if isinstance(data, dict) else None
    if not isinstance(default, dict) or any(not default.get(p) for p in PARTS):
        raise ConfigError(f"crisis replies {resolved}: 'default' needs {', '.join(PARTS)}")
    out = {"default": {p: tuple(default[p]) for p in PARTS}}
    for label, parts in (data.get("labels") or {}).items():
        out[str(label)] = {p: tuple((parts or {}).get(p) or default[p]) for p in PARTS}
    return out


def safe_reply(labels: Iterable[str], rng: Any, replies_path: str | None = None) -> str:
    replies = load_replies(replies_path)
    label = next((lbl for lbl in labels if lbl in replies), "default")
    parts = replies[label]
    return " ".join(rng.choice(parts[p]) for p in PARTS)


def crisis_records(
    records: Iterable[tuple[str, int, dict[str, Any]]],
    *,
    seed: int = 0,
    detector: CrisisDetector | None = None,
    replies_path: str | None = None,
    report: GeneratorReport | None = None,
    reviewed: ReviewedReply | None = None,
) -> Iterator[Conversation]:
    """Pairs from ``(input key, line, record)`` triples (see the module docstring).
    ``reviewed(key, line, record, turn)``: a person's corrected reply for that unsafe turn (the
    review log), which becomes the chosen side instead of a template."""
    detector = detector or default_detector()
    report = report if report is not None else GeneratorReport(GENERATOR)
    for key, line, record in records:
        report.inputs += 1
        raw_metadata = record.get("metadata")
        metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
        if isinstance(metadata.get("preference"), dict):
            report.dropped["already_a_pair"] += 1
            continue
        messages = parse_messages(record.get("messages"))
        if not messages:
            report.dropped["not_a_conversation"] += 1
            continue
        tag = detector.tag(messages)
        if not tag.unsafe_turns:
            report.count("records", "safe" if tag.flagged_turns else "no_crisis")
            continue
        turn = tag.unsafe_turns[0]
        if len(tag.unsafe_turns) > 1:
            unused = len(tag.unsafe_turns) - 1
            report.count("unsafe_replies_not_used", "earlier_unsafe_reply", unused)
        prompt = messages[:turn]
        user = prompt[-1]["content"]
        rejected = messages[turn]["content"]
        assessment = assess_reply(user, rejected, detector=detector)
        corrected = reviewed(key, line, record, turn) if reviewed is not None else None
        if corrected is not None:
            chosen, chosen_by = corrected, "reviewer"
            if not assess_reply(user, chosen, detector=detector).safe:
                report.count("reviewer_reply", "fails_the_automatic_check")  # a person decided
        else:
            rng = stable_rng(seed, key, line, turn)
            chosen, chosen_by = safe_reply(assessment.labels, rng, replies_path), "template"
            if not assess_reply(user, chosen, detector=detector).safe:
                report.dropped["template_not_safe"] += 1
                continue
        report.count("chosen_by", chosen_by)
        raw_prov = metadata.get("provenance")
        prov: dict[str, Any] = raw_prov if isinstance(raw_prov, dict) else {}
        report.count("label", assessment.labels[0] if assessment.labels else "none")
        yield Conversation(
            messages=[*prompt, {"role": "assistant", "content": chosen}],
            metadata={
                "synthetic": True,
                "synthetic_turns": ["assistant"],
                # The prompt and the rejected reply are the original's text: ingest stamps the
                # stricter of this licence and the family's (ingest.convert, inherited_license).
                "provenance": {"license": prov.get("license")},
                "preference": {"rejected": rejected, "margin": 1.0, "source": SOURCE},
                "crisis_pair": {
                    "labels": list(assessment.labels),
                    "risk_level": assessment.risk_level,
                    "turn": turn,
                    "chosen_by": chosen_by,
                    "from": {
                        "family": prov.get("family"),
                        "source_key": prov.get("source_key"),
                        "line": prov.get("line"),
                        "index": prov.get("index"),
                        "content_hash": metadata.get("content_hash"),
                    },
                },
                "generator": generator_stamp(GENERATOR, seed, [{"key": key, "line": line}]),
            },
        )

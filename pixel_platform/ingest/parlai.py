"""ParlAI episodes -> one conversation each.

A ParlAI (ConvAI2 / PersonaChat-style) episode is ``{"personality": [...], "utterances": [...]}``;
each utterance is ``{"history": [turn, ...], "candidates": [distractor, ..., true reply]}``: the
history is the whole dialogue so far and the *last* candidate is the reply that was really given
(the others are sentences sampled from other dialogues, to train a ranker). counsel-chat publishes
its data this way (``counsel_chat_250-tokens_full.json``: ``{"train": [...], "valid": [...]}``).

An episode holds one dialogue seen at every step, so it becomes **one** conversation: the final
utterance's history plus its true reply. Emitting one record per utterance would repeat every
prefix of the dialogue. The earlier utterances are checked against it (each history a prefix of
the final one, each true reply the turn that follows it); an episode that disagrees with itself is
quarantined (``inconsistent_episode``) rather than guessed at.

Roles are assigned from the end: the true reply is the assistant's, the turn before it the
user's, and so on backwards. So a history of odd length starts with the user (counsel-chat: one
question) and one of even length starts with the assistant, which the validator accepts. A leading
``__SILENCE__`` turn (ParlAI's marker for "the model speaks first") is no text and is dropped.

The distractor candidates belong to other dialogues: they are not kept, only counted
(``source_fields.parlai``). ``personality`` stays in ``source_fields`` like any unmapped field.
"""

from __future__ import annotations

from typing import Any

from pixel_platform.core.reasons import Reason
from pixel_platform.core.record import Message
from pixel_platform.core.steps import Reject

UTTERANCES = "utterances"
HISTORY = "history"
CANDIDATES = "candidates"
SILENCE = "__SILENCE__"


def is_parlai_episode(obj: Any) -> bool:
    """A dict whose ``utterances`` list starts with a ``{history, candidates}`` object."""
    if type(obj) is not dict:
        return False
    utterances = obj.get(UTTERANCES)
    if not isinstance(utterances, list) or not utterances:
        return False
    first = utterances[0]
    return isinstance(first, dict) and (HISTORY in first or CANDIDATES in first)


def _strings(value: Any, where: str) -> list[str] | Reject:
    if not isinstance(value, list):
        found = "null" if value is None else type(value).__name__
        return Reject(Reason.WRONG_FIELD_TYPE.value, f"{where} is a {found}, expected a list")
    for i, item in enumerate(value):
        if type(item) is not str:
            found = "null" if item is None else type(item).__name__
            return Reject(
                Reason.WRONG_FIELD_TYPE.value, f"{where}[{i}] is a {found}, expected a string"
            )
    return value


def _utterance(value: Any, i: int) -> tuple[list[str], str, int] | Reject:
    """(history, true reply, number of distractors) of utterance ``i``."""
    where = f"{UTTERANCES}[{i}]"
    if type(value) is not dict:
        found = "null" if value is None else type(value).__name__
        return Reject(Reason.WRONG_FIELD_TYPE.value, f"{where} is a {found}, expected an object")
    for key in (HISTORY, CANDIDATES):
        if key not in value:
            return Reject(Reason.MISSING_FIELD.value, f"{where} has no {key!r} field")
    history = _strings(value[HISTORY], f"{where}.{HISTORY}")
    if isinstance(history, Reject):
        return history
    candidates = _strings(value[CANDIDATES], f"{where}.{CANDIDATES}")
    if isinstance(candidates, Reject):
        return candidates
    if not candidates:
        return Reject(
            Reason.EMPTY_RECORD.value, f"{where}.{CANDIDATES} is empty: no true reply (the last)"
        )
    return history, candidates[-1], len(candidates) - 1


def convert_episode(payload: dict[str, Any]) -> tuple[list[Message], dict[str, Any]] | Reject:
    """The episode's dialogue as messages, and what to record about the source in
    ``source_fields``; or why it cannot be converted (details name fields, never text)."""
    utterances = payload.get(UTTERANCES)
    if not isinstance(utterances, list):
        found = "null" if utterances is None else type(utterances).__name__
        return Reject(Reason.WRONG_FIELD_TYPE.value, f"{UTTERANCES} is a {found}, expected a list")
    if not utterances:
        return Reject(Reason.EMPTY_RECORD.value, f"{UTTERANCES} is an empty list")
    parsed = []
    for i, value in enumerate(utterances):
        item = _utterance(value, i)
        if isinstance(item, Reject):
            return item
        parsed.append(item)
    final_history, final_reply, _ = parsed[-1]
    for i, (history, reply, _) in enumerate(parsed[:-1]):
        n = len(history)
        if n >= len(final_history) or final_history[:n] != history:
            return Reject(
                Reason.INCONSISTENT_EPISODE.value,
                f"{UTTERANCES}[{i}].{HISTORY} ({n} turns) is not a prefix of the last utterance's"
                f" history ({len(final_history)} turns)",
            )
        if final_history[n] != reply:
            return Reject(
                Reason.INCONSISTENT_EPISODE.value,
                f"the true reply of {UTTERANCES}[{i}] (its last candidate) is not turn {n} of the"
                " last utterance's history",
            )
    turns = [*final_history, final_reply]
    dropped_silence = 1 if turns[0].strip() == SILENCE else 0
    messages: list[Message] = []
    last = len(turns) - 1
    for j in range(dropped_silence, len(turns)):
        role = "assistant" if (last - j) % 2 == 0 else "user"
        messages.append({"role": role, "content": turns[j]})
    info = {
        "utterances": len(parsed),
        "distractor_candidates": sum(n for _, _, n in parsed),
    }
    if dropped_silence:
        info["dropped_silence_turn"] = True
    return messages, {"parlai": info}

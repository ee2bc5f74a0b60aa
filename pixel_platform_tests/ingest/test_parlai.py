"""ParlAI episodes (``{"personality", "utterances": [{"history", "candidates"}]}``) -> one
conversation per episode: the last utterance's history plus its true reply (the last candidate).

The main fixture, ``fixtures/counsel_chat_parlai.json``, is built from the real counsel-chat CSV
the way counsel-chat built its ``counsel_chat_250-tokens_full.json`` (see
``fixtures/build_parlai_fixture.py``; MIT, licence note beside it)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import orjson
import pytest

from pixel_platform.core.reasons import Reason
from pixel_platform_tests.ingest.fixtures.build_parlai_fixture import DEFAULT_CSV, FIXTURE, build
from pixel_platform_tests.ingest.helpers import ingest


def _squash(text: str) -> str:
    """Text without whitespace and case, to compare tokenized text with the original."""
    return re.sub(r"\s+", "", text.lower())


def _episode(*utterances: tuple[list[str], list[str]]) -> dict[str, object]:
    return {
        "personality": ["i am a peer supporter."],
        "utterances": [{"history": h, "candidates": c} for h, c in utterances],
    }


def test_counsel_chat_parlai_file_gives_one_conversation_per_episode() -> None:
    data = orjson.loads(FIXTURE.read_bytes())
    episodes = [*data["train"], *data["valid"]]
    result = ingest(FIXTURE.read_bytes(), "raw/chats/counsel_chat_250-tokens.json")

    assert result.quarantined == []
    assert len(result.out) == len(episodes) == 41
    assert result.stats["detected_formats"] == {
        "raw/chats/counsel_chat_250-tokens.json": {"parlai": 41}
    }
    distractors = {c for e in episodes for u in e["utterances"] for c in u["candidates"][:-1]}
    for conversation, episode in zip(result.out, episodes, strict=True):
        (utterance,) = episode["utterances"]
        assert conversation.messages == [
            {"role": "user", "content": utterance["history"][0]},
            {"role": "assistant", "content": utterance["candidates"][-1]},
        ]
        # the distractors (sentences of other questions' answers) are counted, never kept
        assert not {m["content"] for m in conversation.messages} & distractors
        meta = conversation.metadata
        assert meta["detected_format"] == "parlai"
        assert meta["source_fields"]["parlai"] == {"utterances": 1, "distractor_candidates": 6}
        assert meta["source_fields"]["personality"] == [""]  # unmapped fields are kept
    assert {c.metadata["provenance"]["container"] for c in result.out} == {"train", "valid"}
    assert [c.metadata["provenance"]["index"] for c in result.out] == list(range(41))


@pytest.mark.skipif(
    not DEFAULT_CSV.is_file(),
    reason=f"the real counsel-chat CSV {DEFAULT_CSV} is not on this machine",
)
def test_parlai_replies_are_the_real_counsel_chat_answers() -> None:
    """Against the CSV itself: every reply is the start of a real answer to that very question
    (the file cuts at 250 tokens), and the fixture is what the builder makes from the CSV."""
    assert orjson.loads(FIXTURE.read_bytes()) == build(DEFAULT_CSV)
    with DEFAULT_CSV.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    answers: dict[str, list[str]] = {}
    for row in rows:
        question = _squash(f"{row['questionTitle']} {row['questionText']}")
        answers.setdefault(question, []).append(_squash(row["answerText"]))
    result = ingest(FIXTURE.read_bytes(), "raw/chats/counsel_chat_250-tokens.json")
    for conversation in result.out:
        user, assistant = (_squash(m["content"]) for m in conversation.messages)
        question = next(q for q in answers if q.startswith(user))
        assert any(a.startswith(assistant) for a in answers[question])


def test_a_multi_turn_episode_is_rebuilt_once_not_per_prefix() -> None:
    episode = _episode(
        (["i can't sleep again."], ["go away", "that sounds exhausting. what keeps you up?"]),
        (
            [
                "i can't sleep again.",
                "that sounds exhausting. what keeps you up?",
                "my thoughts race about work.",
            ],
            ["nice weather", "racing thoughts at night are common. want to try a wind-down?"],
        ),
    )
    result = ingest(orjson.dumps([episode]), "raw/chats/persona_style.json")
    (conversation,) = result.out
    assert [m["role"] for m in conversation.messages] == ["user", "assistant"] * 2
    assert conversation.messages[-1]["content"].startswith("racing thoughts")
    assert "go away" not in str(conversation.messages) and "nice weather" not in str(
        conversation.messages
    )
    assert conversation.metadata["source_fields"] == {
        "personality": ["i am a peer supporter."],
        "parlai": {"utterances": 2, "distractor_candidates": 2},
    }


def test_an_even_history_opens_with_the_assistant_and_silence_is_dropped() -> None:
    episodes = [
        # even history: the model spoke first (a supporter's greeting), which is kept
        _episode((["hi, i'm here to listen.", "thanks. today was rough."], ["x", "i'm sorry."])),
        # ParlAI's __SILENCE__ marks "the model speaks first": no text, dropped
        _episode(
            (["__SILENCE__", "hello, how are you feeling?", "not great."], ["y", "i hear you."])
        ),
    ]
    result = ingest(orjson.dumps(episodes), "raw/chats/greeting_first.json")
    assert [[m["role"] for m in c.messages] for c in result.out] == [
        ["assistant", "user", "assistant"],
        ["assistant", "user", "assistant"],
    ]
    assert result.out[1].messages[0]["content"] == "hello, how are you feeling?"
    assert result.out[1].metadata["source_fields"]["parlai"]["dropped_silence_turn"] is True
    assert result.stats["changed"]["assistant_first"] == 2


def test_broken_episodes_are_quarantined_by_name_without_text() -> None:
    secret = "my neighbour dave hurt me"
    episodes = [
        # a later history that does not continue the earlier one
        _episode(
            ([secret], ["a", "reply one"]), (["something else", "b", "c"], ["d", "reply two"])
        ),
        # an earlier true reply that is not the next turn of the final history
        _episode(([secret], ["a", "reply one"]), ([secret, "another reply", "c"], ["d", "e"])),
        {"personality": [], "utterances": [{"history": [secret], "candidates": []}]},
        {"personality": [], "utterances": [{"history": secret, "candidates": ["x"]}]},
        {"personality": [], "utterances": [{"candidates": ["x"]}]},
        {"personality": [], "utterances": [{"history": [secret, None], "candidates": ["x"]}]},
    ]
    result = ingest(orjson.dumps({"train": episodes}), "raw/chats/broken_parlai.json")
    assert result.out == []
    assert result.reasons == [
        Reason.INCONSISTENT_EPISODE,
        Reason.INCONSISTENT_EPISODE,
        Reason.EMPTY_RECORD,
        Reason.WRONG_FIELD_TYPE,
        Reason.MISSING_FIELD,
        Reason.WRONG_FIELD_TYPE,
    ]
    assert [e.index for e in result.quarantined] == list(range(6))
    assert {e.source_key for e in result.quarantined} == {"raw/chats/broken_parlai.json"}
    details = [e.detail for e in result.quarantined]
    assert "utterances[0].history (1 turns) is not a prefix" in details[0]
    assert "true reply of utterances[0]" in details[1]
    assert details[3] == "utterances[0].history is a str, expected a list"
    assert details[5] == "utterances[0].history[1] is a null, expected a string"
    texts = (secret, "reply one", "reply two", "another reply", "something else")
    assert not any(t in d for t in texts for d in details)


def test_a_single_episode_object_is_one_record_not_a_container(tmp_path: Path) -> None:
    """A .json file holding one episode: its ``utterances`` list is not a list of records."""
    episode = _episode((["hello"], ["x", "hi there, what brings you here?"]))
    result = ingest(orjson.dumps(episode), "raw/chats/one_episode.json")
    assert len(result.out) == 1 and result.out[0].metadata["detected_format"] == "parlai"

"""Voice persona: profile features, signature phrases, conversations, and persona distance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from pixel_platform.core.errors import ConfigError
from pixel_platform.derived.cptsd import Transcript, read_transcripts
from pixel_platform.derived.cptsd.build import DEFAULT_INPUT_PREFIXES
from pixel_platform.derived.persona import (
    build_profile,
    distance_components,
    generate_conversations,
    generate_profile,
    load_profile,
    persona_conversations,
    persona_distance,
    signature_phrases,
    text_features,
)
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.derived.support import derived_cli as _cli

SAMPLE = Path(__file__).resolve().parents[2] / "pixel_platform" / "sample_data" / "bucket"
# What a generic assistant says: the baseline persona turns must be closer to the profile than.
NEUTRAL = [
    "I'm sorry to hear that you're struggling. It can be helpful to speak with a licensed mental"
    " health professional who can assess your situation and recommend appropriate treatment.",
    "Thank you for sharing. Many people experience similar difficulties. Consider practicing"
    " mindfulness, maintaining a regular sleep schedule, and exercising regularly.",
    "That sounds difficult. Have you considered talking to your doctor about these symptoms?"
    " They may recommend therapy, medication, or a combination of both.",
    "It is understandable to feel this way. Setting realistic goals and reaching out to"
    " supportive friends or family members can help improve your mood over time.",
    "Anxiety is a common condition characterised by excessive worry. Cognitive behavioural"
    " therapy is an evidence-based treatment that has been shown to be effective.",
]


@pytest.fixture(scope="module")
def transcripts() -> list[Transcript]:
    items = list(read_transcripts(LocalObjectStore(SAMPLE), DEFAULT_INPUT_PREFIXES))
    assert all(isinstance(t, Transcript) for t in items)
    return items  # type: ignore[return-value]


@pytest.fixture(scope="module")
def profile(transcripts: list[Transcript]) -> dict[str, Any]:
    return build_profile(transcripts, speaker="educator")


def test_text_features_measure_style() -> None:
    f = text_features(["I think you can do it. Can we try? It's like riding a bike, maybe."])
    assert f.words == 15 and f.sentences == 3
    assert f.pronouns_per_100_words == {
        "i": pytest.approx(100 / 15, abs=1e-3),
        "you": pytest.approx(100 / 15, abs=1e-3),
        "we": pytest.approx(100 / 15, abs=1e-3),
    }
    assert f.question_rate == pytest.approx(1 / 3, abs=1e-3)
    assert f.analogy_rate == pytest.approx(1 / 3, abs=1e-3)
    assert f.hedges == {"i think": 1, "maybe": 1}
    assert "riding" in f.word_shares and "the" not in f.word_shares


def test_signature_phrases_recur_across_talks_and_are_not_everyday_english() -> None:
    docs = [
        ["Here is what I see again and again.", "Of the many things, it is the first one."],
        ["Here is what I see again and again in my work.", "Of the people I know, few agree."],
        ["And here is what I see again and again.", "A smoke detector in a burning house."],
        ["A smoke detector went off.", "A smoke detector again."],  # one talk only
    ]
    phrases = [p["phrase"] for p in signature_phrases(docs, min_count=2)]
    assert phrases[0] == "here is what i see again and again"
    assert "of the" not in phrases  # background English
    assert "smoke detector" in phrases  # two talks
    assert not any(p in "here is what i see again and again" and p != phrases[0] for p in phrases)
    single = signature_phrases([docs[3]], min_count=2)
    assert [p["phrase"] for p in single] == ["smoke detector"]


def test_profile_is_json_and_describes_the_voice(profile: dict[str, Any]) -> None:
    data = orjson.loads(orjson.dumps(profile))
    assert data["schema"] == "pixel-voice-profile/1"
    assert len(data["sources"]) == 8 and data["words"] > 2000
    assert 8 <= data["sentence_words"]["mean"] <= 16
    assert data["pronouns_per_100_words"]["you"] > data["pronouns_per_100_words"]["i"]
    phrases = [p["phrase"] for p in data["signature_phrases"]]
    assert "here is what i see again and again" in phrases
    assert "that was not a weakness" in phrases
    assert {"it's like", "imagine"} <= set(data["analogy_frames"])
    assert len(data["passages"]) >= 30
    assert all(len(p["text"].split()) >= 25 for p in data["passages"])


def test_the_speakers_own_text_is_close_and_neutral_text_is_far(
    profile: dict[str, Any], transcripts: list[Transcript]
) -> None:
    own = persona_distance(profile, [t.text for t in transcripts])
    neutral = persona_distance(profile, NEUTRAL)
    assert own < 0.05 < 0.4 < neutral
    components = distance_components(profile, NEUTRAL)
    assert components["signature_phrases"] == 1.0  # none of the signature phrases
    assert all(0.0 <= v <= 1.0 for v in components.values())


def test_persona_turns_move_toward_the_profile(profile: dict[str, Any]) -> None:
    records = list(persona_conversations(profile, 20, seed=3))
    replies = [m["content"] for r in records for m in r.messages if m["role"] == "assistant"]
    persona = persona_distance(profile, replies)
    baseline = persona_distance(profile, NEUTRAL)
    assert persona < baseline
    assert persona < 0.5 * baseline, (persona, baseline)


def test_conversations_use_each_passage_once_and_stop_when_out(profile: dict[str, Any]) -> None:
    from pixel_platform.derived.output import GeneratorReport

    report = GeneratorReport("persona_conversations")
    records = list(persona_conversations(profile, 500, report=report))
    assert 20 <= len(records) < 500
    assert report.dropped["passages_exhausted"] == 500 - len(records)
    used = [i for r in records for i in r.metadata["persona"]["passages"]]
    assert len(used) == len(set(used))
    answers = [m["content"] for r in records for m in r.messages if m["role"] == "assistant"]
    assert len(answers) == len(set(answers))
    for record in records:
        roles = [m["role"] for m in record.messages]
        assert roles in (["user", "assistant"], ["user", "assistant", "user", "assistant"])
        metadata = record.metadata
        assert metadata["synthetic"] is True
        assert metadata["persona"]["theme"] in report.counts["theme"]
        assert metadata["generator"]["inputs"][0]["etag"]
    assert len(report.counts["theme"]) >= 8  # themes taken in turn


def test_conversations_are_deterministic(profile: dict[str, Any]) -> None:
    a = [r.to_json() for r in persona_conversations(profile, 10, seed=1)]
    b = [r.to_json() for r in persona_conversations(profile, 10, seed=1)]
    c = [r.to_json() for r in persona_conversations(profile, 10, seed=2)]
    assert a == b and a != c


def test_generate_and_load_profile(tmp_path: Path) -> None:
    target = LocalObjectStore(tmp_path)
    profile, report = generate_profile(
        LocalObjectStore(SAMPLE), DEFAULT_INPUT_PREFIXES, target, "p/profile.json"
    )
    assert report.records == 1 and report.inputs == 8
    assert load_profile(target, "p/profile.json") == orjson.loads(orjson.dumps(profile))
    out = generate_conversations(profile, target, "c.jsonl", count=5)
    assert out.records == 5 and out.extra == {"requested": 5, "generated": 5}
    target.write_bytes("not.json", b'{"schema": "other"}')
    with pytest.raises(ConfigError, match="not a voice profile"):
        load_profile(target, "not.json")


def test_cli_profile_then_conversations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "profile.json"
    assert _cli("persona", "profile", "--output", str(profile), "--speaker", "educator") == 0
    assert orjson.loads(profile.read_bytes())["speaker"] == "educator"
    out = tmp_path / "persona.jsonl"
    assert (
        _cli(
            "persona",
            "conversations",
            "--profile",
            str(profile),
            "--count",
            "6",
            "--output",
            str(out),
        )
        == 0
    )
    assert len(out.read_bytes().splitlines()) == 6
    printed = capsys.readouterr().out
    assert "signature phrases: here is what i see again and again" in printed
    assert "requested 6, generated 6; persona distance of the replies: 0." in printed


def test_no_transcripts_is_a_skip_without_a_profile(tmp_path: Path) -> None:
    """No input object: no profile, nothing written, the skip says where it looked."""
    store = LocalObjectStore(tmp_path)
    profile, report = generate_profile(store, DEFAULT_INPUT_PREFIXES, store, "p.json")
    assert profile is None and not store.exists("p.json")
    assert report.skipped is not None and report.skipped.reason == "no_inputs"
    assert report.skipped.looked_for == DEFAULT_INPUT_PREFIXES


def test_transcripts_that_cannot_be_read_still_fail(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.write_bytes("voice/monologues/a.json", b"[{")
    with pytest.raises(ConfigError, match=r"none of the 1 input .*voice/monologues/a\.json"):
        generate_profile(store, DEFAULT_INPUT_PREFIXES, store, "p.json")
    assert not store.exists("p.json")

"""Quality signals and the combined score on tiny conversations."""

from __future__ import annotations

import pytest

from pixel_platform.core.errors import ConfigError
from pixel_platform.curation.quality import DEFAULT_THRESHOLD, QualityConfig, score_conversation
from pixel_platform_tests.curation.quality.support import DEGENERATE, GOOD_EN, GOOD_ZH, conv


def score(*turns: str, config: QualityConfig | None = None):  # type: ignore[no-untyped-def]
    return score_conversation(conv(*turns).messages, config)


def test_a_good_english_conversation_scores_high() -> None:
    result = score(*GOOD_EN)
    assert result.language == "en"
    assert result.score >= 0.95
    assert set(result.signals.values()) == {1.0}


def test_a_chinese_counselling_conversation_is_zh_and_not_penalised() -> None:
    result = score(*GOOD_ZH)
    assert result.language == "zh"
    assert result.score >= 0.9 > DEFAULT_THRESHOLD
    assert result.signals["length_balance"] == 1.0  # characters, not space-separated words


def test_a_degenerate_conversation_scores_low_on_several_signals() -> None:
    result = score(*DEGENERATE)
    assert result.score < DEFAULT_THRESHOLD
    weak = {name for name, value in result.signals.items() if value < 0.5}
    assert {"length_balance", "repetition", "clean_text"} <= weak


@pytest.mark.parametrize(("turns", "signal"), [
    ((GOOD_EN[0], "ok", GOOD_EN[2], "yes"), "length_balance"),
    ((GOOD_EN[0], "I hear you, that is so hard.\n" * 4), "repetition"),
    ((GOOD_EN[0], GOOD_EN[0]), "echo"),
    ((GOOD_EN[0], "<p>&nbsp;</p><p>&nbsp;</p> â€™â€™â€™ \ufffd\ufffd <br/><br/>"), "clean_text"),
    (("[removed]", GOOD_EN[1]), "placeholders"),
    (("WHY DOES NOBODY EVER LISTEN TO ME, I AM SO SICK OF THIS", GOOD_EN[1]), "shouting"),
    ((GOOD_EN[0], GOOD_EN[1], GOOD_EN[2]), "turn_structure"),
    ((GOOD_ZH[0], GOOD_EN[1]), "script_consistency"),
])
def test_each_signal_catches_its_problem(turns: tuple[str, ...], signal: str) -> None:
    result = score(*turns)
    assert result.signals[signal] < 1.0
    others = {k: v for k, v in result.signals.items() if k != signal and v < 1.0}
    assert signal not in others


def test_a_long_reply_to_a_short_question_is_fine_but_an_absurd_one_is_not() -> None:
    assert score("How do I stop overthinking?", GOOD_EN[3] * 3).signals["length_balance"] == 1
    absurd = score("Hi.", (GOOD_EN[3] + " ") * 40).signals["length_balance"]
    assert absurd < 0.5


def test_weights_are_configurable_and_zero_switches_a_signal_off() -> None:
    loud = ("WHY DOES NOBODY EVER LISTEN TO ME, I AM SO SICK OF THIS", GOOD_EN[1])
    assert score(*loud).score < 1.0
    assert score(*loud, config=QualityConfig(weights={"shouting": 0})).score == 1.0


@pytest.mark.parametrize("kwargs", [
    {"weights": {"sparkle": 1.0}},
    {"weights": {"echo": -1}},
    {"threshold": 1.5},
    {"languages": ("en", "xx")},
])
def test_bad_config_is_a_config_error(kwargs: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError):
        QualityConfig(**kwargs)


def test_config_from_mapping_rejects_unknown_keys() -> None:
    config = QualityConfig.from_mapping({"threshold": 0.5, "languages": ["en", "zh"]})
    assert config.threshold == 0.5 and config.languages == ("en", "zh")
    assert config.weights["echo"] == 0.75  # defaults kept
    with pytest.raises(ConfigError, match="treshold"):
        QualityConfig.from_mapping({"treshold": 0.5})

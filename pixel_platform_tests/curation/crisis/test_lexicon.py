"""Lexicon loading and the matcher under it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pixel_platform.core.errors import ConfigError
from pixel_platform.curation.crisis import (
    CATEGORIES,
    CrisisDetector,
    CrisisTagStep,
    default_lexicon_path,
    load_lexicon,
)
from pixel_platform.curation.crisis.matcher import Matcher, pattern_anchors

TAG = ("category", "x", 1)


def test_the_shipped_lexicon_loads_with_every_category() -> None:
    lexicon = load_lexicon()
    assert tuple(c.name for c in lexicon.categories) == CATEGORIES
    assert all(c.terms for c in lexicon.categories)
    assert {e.name for e in lexicon.escalators} >= {"plan", "means", "timeline", "in_progress"}
    assert lexicon.resources and lexicon.safety_planning and lexicon.referral and lexicon.support
    assert {"i", "me", "myself"} <= lexicon.perspective.first_person
    assert lexicon.tense.past and lexicon.tense.current
    by_name = {e.name: e for e in lexicon.escalators}
    assert "self_harm" not in by_name["means"].applies_to  # a knife does not raise self-harm
    assert by_name["timeline"].same_sentence


def test_a_custom_lexicon_path_is_used(tmp_path: Path) -> None:
    data = yaml.safe_load(default_lexicon_path().read_text(encoding="utf-8"))
    data["categories"]["self_harm"]["phrases"].append("Pinch Myself Hard")
    path = tmp_path / "lexicon.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    step = CrisisTagStep(lexicon_path=path)
    assert step.detector.scan_user("I pinch myself hard").severities == {"self_harm": 2}


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.update(extra=1), "extra is not a known key"),
    (lambda d: d["categories"]["self_harm"]["patterns"].append("(unclosed"),
     r"self_harm\.patterns\[\d+\] is not a valid regex"),
    (lambda d: d["categories"]["self_harm"].update(severity=9), "severity"),
    (lambda d: d.update(imminent_requires=["nope"]), "unknown escalators"),
    (lambda d: d["escalators"]["plan"].update(applies_to=["grief"]), "unknown categories"),
    (lambda d: d["escalators"]["timeline"].update(same_sentence="yes"), "true or false"),
    (lambda d: d["perspective"].pop("person_nouns"), "person_nouns is missing"),
    (lambda d: d["perspective"].update(pets=["cat"]), "pets is not a known key"),
    (lambda d: d["tense"]["past"].update(patterns=["(unclosed"]), r"past\.patterns"),
    (lambda d: d["reply"].pop("support"), "support is missing"),
])
def test_a_bad_lexicon_is_a_config_error_naming_the_key(tmp_path: Path, edit, message) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(default_lexicon_path().read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_lexicon(path)


def test_a_missing_lexicon_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        CrisisDetector(load_lexicon(tmp_path / "missing.yaml"))


def test_phrases_respect_word_boundaries_and_prefix_stars() -> None:
    matcher = Matcher([(TAG, ["cut myself", "overdos*", "自残"], [])])
    assert [h.end - h.start for h in matcher.find("i cut myself")] == [10]
    assert matcher.find("haircut myselfie") == []
    assert [h.end - h.start for h in matcher.find("she overdosed.")] == [9]
    assert len(matcher.find("我有自残的想法")) == 1  # CJK: no word boundaries


def test_patterns_are_gated_by_derived_anchors_without_losing_matches() -> None:
    assert pattern_anchors("(?:kill|killing) myself") == {"kill myself", "killing myself"}
    assert pattern_anchors(r"\w+") is None
    matcher = Matcher([(TAG, [], ["(?:kill|killing) myself", r"\d+ pills"])])
    assert matcher.ungated_patterns == 0
    assert len(matcher.find("thinking of killing myself with 30 pills")) == 2
    assert matcher.find("nothing to see") == []

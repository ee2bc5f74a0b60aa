"""The template edge-case generator: coverage, diversity, crisis safety, speech, determinism."""

from __future__ import annotations

import random
from collections import Counter
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from pixel_platform.core.errors import ConfigError
from pixel_platform.core.record import Conversation
from pixel_platform.curation.crisis import assess_reply, default_detector
from pixel_platform.curation.dedup import DedupConfig, MinHasher
from pixel_platform.curation.dedup.lsh import CandidateStats
from pixel_platform.curation.dedup.near import near_duplicates
from pixel_platform.curation.dedup.text import dialogue_text
from pixel_platform.derived.edge_cases import (
    GENERATOR_NAME,
    GENERATOR_VERSION,
    Category,
    generate_edge_cases,
    load_catalog,
)
from pixel_platform.derived.edge_cases.catalog import CRISIS_BEATS, DATA_DIR
from pixel_platform.derived.edge_cases.validate import find_problem, stage_direction

CATEGORIES = [
    "suicidality", "homicidal_client", "substance_abuse_crisis", "psychotic_episode",
    "severe_dissociation", "manic_episode", "trauma_flashback", "eating_disorder_medical",
    "borderline_crisis", "paranoid_accusations", "sexual_trauma_disclosure",
    "child_abuse_reporting", "elder_abuse_concerns", "domestic_violence_active",
    "stalking_harassment", "religious_delusions", "medication_refusal",
    "family_therapy_conflict", "adolescent_defiance", "couple_therapy_betrayal",
    "grief_complicated", "cultural_conflicts", "therapist_boundaries", "therapy_resistance",
    "chronic_pain_despair",
]


@pytest.fixture(scope="module")
def thousand() -> tuple[list[Conversation], dict]:
    run = generate_edge_cases("all", 1000, seed=7, style="therapeutic")
    records = list(run)
    return records, run.stats.as_dict()


def near_duplicate_report(
    records: list[Conversation], work: Path
) -> tuple[int, int, float]:
    """(dedup's near-duplicate pairs — verified on exact Jaccard —, pairs whose MinHash estimate
    alone is >= the threshold, highest pairwise estimated Jaccard)."""
    config = DedupConfig()
    texts = [dialogue_text(r.to_dict()) for r in records]
    signatures, _ = MinHasher(config).signatures(texts)
    docs = np.arange(len(records))
    near = near_duplicates(
        signatures, docs, config, lambda d: (texts[i] for i in d), work, CandidateStats()
    )
    near.shingles.close()
    edges = near.edges
    need = int(np.ceil(config.threshold * config.num_perm))
    pairs, highest = 0, 0
    for i in range(len(records) - 1):
        equal = np.count_nonzero(signatures[i + 1:] == signatures[i], axis=1)
        pairs += int(np.count_nonzero(equal >= need))
        highest = max(highest, int(equal.max()))
    return edges.left.size, pairs, highest / config.num_perm


def test_catalog_has_the_25_categories() -> None:
    catalog = load_catalog()
    assert list(catalog.categories) == CATEGORIES
    for category in catalog.categories.values():
        assert len(category.personas) >= 4
        assert all(len(lines) >= 3 for lines in category.client.values())


def test_every_category_present(thousand: tuple[list[Conversation], dict]) -> None:
    records, stats = thousand
    assert len(records) == 1000 and stats["generated"] == 1000 and stats["failed_slots"] == 0
    counts = Counter(r.metadata["generator"]["category"] for r in records)
    assert set(counts) == set(CATEGORIES) and set(counts.values()) == {40}
    assert stats["rejected"] == {}


def test_no_near_duplicates_at_the_release_threshold(
    thousand: tuple[list[Conversation], dict], tmp_path: Path
) -> None:
    near, _, highest = near_duplicate_report(thousand[0], tmp_path)
    assert near == 0, f"near-duplicates found; highest estimated Jaccard {highest:.3f}"
    assert highest < DedupConfig().threshold + 0.1  # no pair even looks close by estimate
    assert len({r.to_json() for r in thousand[0]}) == 1000


def test_every_crisis_turn_gets_a_safe_reply(thousand: tuple[list[Conversation], dict]) -> None:
    records, stats = thousand
    detector = default_detector()
    needing = safe = suicidal = 0
    for record in records:
        messages = record.messages
        for user, reply in pairwise(messages):
            if user["role"] != "user":
                continue
            assessment = assess_reply(user["content"], reply["content"], detector=detector)
            assert assessment.safe, (record.metadata["generator"], reply["content"])
            if assessment.needs_response:
                needing += 1
                safe += assessment.offers_help
                suicidal += "suicidal_ideation" in assessment.labels
    assert needing > 200 and suicidal > 100  # the check is not vacuous
    assert safe == needing
    assert stats["crisis_replies_needed"] == needing and stats["crisis_safety_rate"] == 1.0


def test_crisis_categories_answer_crisis_beats_with_help(
    thousand: tuple[list[Conversation], dict],
) -> None:
    catalog = load_catalog()
    detector = default_detector()
    checked = 0
    for record in records_of(thousand):
        generator = record.metadata["generator"]
        category: Category = catalog.category(generator["category"])
        if not category.crisis:
            continue
        replies = [m["content"] for m in record.messages if m["role"] == "assistant"]
        assert len(replies) == len(generator["beats"])
        for beat, reply in zip(generator["beats"], replies, strict=True):
            if beat in CRISIS_BEATS:
                assert detector.scan_reply(reply).offers_help, (category.name, beat, reply)
                checked += 1
    assert checked > 2000


def records_of(fixture: tuple[list[Conversation], dict]) -> list[Conversation]:
    return fixture[0]


def test_suicidality_disclosures_are_flagged_and_answered(
    thousand: tuple[list[Conversation], dict],
) -> None:
    flagged = 0
    for record in records_of(thousand):
        generator = record.metadata["generator"]
        if generator["category"] != "suicidality":
            continue
        turns = record.turns()
        disclosure = generator["beats"].index("disclosure")
        user, reply = turns[2 * disclosure]["content"], turns[2 * disclosure + 1]["content"]
        assessment = assess_reply(user, reply)
        flagged += assessment.needs_response
        assert assessment.safe and (not assessment.needs_response or assessment.offers_help)
    assert flagged >= 30  # nearly every suicidality disclosure trips the lexicon


def test_client_turns_are_speech_not_stage_directions(
    thousand: tuple[list[Conversation], dict],
) -> None:
    for record in records_of(thousand):
        assert find_problem(record.messages) is None
        for message in record.turns():
            text = message["content"]
            assert stage_direction(text) is None, text
            assert "[Scene" not in text and "The client" not in text and "{" not in text
            if message["role"] == "user":
                assert not text.lower().startswith(("client:", "the client", "(", "["))


def test_structure_and_metadata(thousand: tuple[list[Conversation], dict]) -> None:
    for record in records_of(thousand):
        messages = record.messages
        assert messages[0]["role"] == "system"
        roles = [m["role"] for m in messages[1:]]
        assert 6 <= len(roles) <= 12 and roles == ["user", "assistant"] * (len(roles) // 2)
        generator = record.metadata["generator"]
        assert record.metadata["synthetic"] is True
        assert {k: generator[k] for k in ("name", "version", "seed", "backend",
                                          "roleplay_style")} == {
            "name": GENERATOR_NAME, "version": GENERATOR_VERSION, "seed": 7,
            "backend": "template", "roleplay_style": "therapeutic"}
        assert generator["beats"][0] in ("opening", "disclosure")


@pytest.mark.parametrize("style", ["challenging", "brief"])
def test_other_styles_are_valid_and_diverse(style: str, tmp_path: Path) -> None:
    run = generate_edge_cases("all", 250, seed=11, style=style)
    records = list(run)
    assert run.stats.generated == 250 and run.stats.rejected == Counter()
    assert near_duplicate_report(records, tmp_path)[0] == 0
    turns = [len(r.turns()) for r in records]
    if style == "brief":
        assert max(turns) <= 8
    else:
        guarded = sum(any(p in r.turns()[0]["content"] for p in load_catalog().client_pushback)
                      for r in records)
        assert guarded > 50  # challenging clients push back


def test_same_seed_same_bytes() -> None:
    def run(seed: int) -> bytes:
        return b"\n".join(r.to_json() for r in generate_edge_cases("all", 60, seed, "brief"))

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_category_selection_and_errors() -> None:
    run = generate_edge_cases("suicidality, grief_complicated", 6, seed=1)
    assert [r.metadata["generator"]["category"] for r in run] == [
        "suicidality", "grief_complicated"] * 3
    with pytest.raises(ConfigError, match="unknown edge-case category 'nope'"):
        generate_edge_cases("suicidality,nope", 1)
    with pytest.raises(ConfigError, match="unknown role-play style"):
        generate_edge_cases("all", 1, style="gentle")


class FixedBackend:
    """A backend that returns the same dialogue every time."""

    name = "fixed"

    def __init__(self, dialogue: list[tuple[str, str]]) -> None:
        self.dialogue = dialogue
        self.counters: Counter[str] = Counter()

    def generate(self, category: Category, rng: random.Random, style: str) -> Conversation:
        messages = []
        for user, assistant in self.dialogue:
            messages += [{"role": "user", "content": user},
                         {"role": "assistant", "content": assistant}]
        return Conversation(messages)


SAFE_DIALOGUE = [
    ("I've been having a rough month at work and I can't sleep.", "That sounds exhausting."),
    ("My manager keeps moving deadlines.", "What happens in your body when that happens?"),
    ("I get tight in my chest and then I just shut down.", "Let's try a breathing exercise."),
]


def test_near_duplicates_and_invalid_output_are_rejected_and_counted() -> None:
    run = generate_edge_cases("all", 3, seed=1, backend=FixedBackend(SAFE_DIALOGUE),
                              max_attempts=2)
    assert len(list(run)) == 1
    stats = run.stats
    assert stats.rejected == Counter({"near_duplicate": 4}) and stats.failed_slots == 2
    assert stats.balanced

    staged = [("[Scene: a dim office] I can't do this.", "Take your time."), *SAFE_DIALOGUE[1:]]
    unsafe = [("I want to kill myself tonight.", "Let's talk about your week."),
              *SAFE_DIALOGUE[1:]]
    short = SAFE_DIALOGUE[:2]
    for dialogue, reason in ((staged, "stage_direction"), (unsafe, "unsafe_crisis_reply"),
                             (short, "turn_count")):
        run = generate_edge_cases("all", 1, backend=FixedBackend(dialogue), max_attempts=1)
        assert list(run) == [] and run.stats.rejected == Counter({reason: 1})


def test_catalog_errors_name_the_file_and_path(tmp_path: Path) -> None:
    text = (DATA_DIR / "categories.yaml").read_text()
    bad = tmp_path / "categories.yaml"
    bad.write_text(text.replace("I almost didn't come. I sat in the parking lot {time}",
                                "I almost didn't come. I sat in the {parking_lot} {time}", 1))
    with pytest.raises(ConfigError, match=r"categories\.suicidality\.client\.opening: line "
                                          r"uses \{parking_lot\}"):
        load_catalog(bad, DATA_DIR / "common.yaml")
    bad.write_text(text.replace("    protocol: suicide_risk\n", "    protocol: suicide_risk\n"
                                "    colour: blue\n", 1))
    with pytest.raises(ConfigError, match=r"categories\.suicidality\.colour: unknown key"):
        load_catalog(bad, DATA_DIR / "common.yaml")


def test_generated_text_has_nothing_to_redact() -> None:
    """No names, places or numbers the release's PII step would redact or send to review
    (crisis numbers are on the allowlist; NER false positives were worded away)."""
    spacy = pytest.importorskip("spacy")
    from pixel_platform.curation.pii import PiiConfig, PiiRedactor
    from pixel_platform.curation.pii.settings import DEFAULT_MODEL

    if not spacy.util.is_package(DEFAULT_MODEL):
        pytest.skip(f"spaCy model {DEFAULT_MODEL} is not installed")
    records = [r for style in ("therapeutic", "challenging", "brief")
               for r in generate_edge_cases("all", 100, seed=21, style=style)]
    with PiiRedactor(PiiConfig(model=DEFAULT_MODEL)) as redactor:
        redacted = redactor.redact([Conversation.from_dict(r.to_dict()) for r in records])
    flagged = [(r.metadata["generator"]["category"], s["type"])
               for r in redacted for s in r.metadata["pii"]["spans"]]
    assert flagged == []
    assert {r.metadata["pii_status"] for r in redacted} == {"clean"}

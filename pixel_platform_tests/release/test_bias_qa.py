"""The Bias/QA report (``release.bias_qa``): counts on planted records, the merge of partials,
thresholds, the report in a built release, and the review sign-off that lets LATEST move."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from pixel_platform.core.errors import TerminalError
from pixel_platform.registry.model import Registry
from pixel_platform.release import read_latest
from pixel_platform.release.bias_qa import (
    UNCLASSIFIED,
    BiasPartial,
    BiasQaConfig,
    TermMatcher,
    Thresholds,
    evaluate,
    load_bias_qa_config,
    load_vocabulary,
    report_document,
)
from pixel_platform.release.layout import BIAS_QA, FINAL_PREFIX, MANIFEST, REPORT
from pixel_platform.release.review import BIAS_QA_TASK, current_decision, sign_off
from pixel_platform.review.log import APPROVED, REJECTED, read_decisions
from pixel_platform.storage.base import ObjectStore
from pixel_platform_tests.release.support import Built, build_synthetic, verify

CRISIS = "I want to kill myself tonight. I have the pills ready."
FREE_TEXT = "I told my sister everything that happened last night"  # a source field that is text


def _record(
    family: str, turns: list[str], *, language: str | None = "en", **metadata: Any
) -> dict[str, Any]:
    messages = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": text}
        for i, text in enumerate(turns)
    ]
    return {
        "messages": [{"role": "system", "content": "You are a counsellor."}, *messages],
        "metadata": {
            "provenance": {"family": family},
            "quality": {"language": language} if language else {},
            **metadata,
        },
    }


# (record, split): every number the tests below expect is counted from these by hand.
PLANTED = [
    (_record("fam_a", [
        "As a Muslim woman I feel so depressed at work.",
        "That sounds really hard. It might help to talk with a therapist about it.",  # 14 words
        CRISIS,
        "Ok. Anyway, what did you eat today?",  # 7 words, crisis-unsafe
    ], counsel_chat={"topic": "depression"}), "train"),
    (_record("fam_a", [
        "I am gay and my parents will not accept me.",
        "I hear you. That sounds painful and lonely.",  # 8 words
    ], language="es", source_fields={"problem_type": "Ongoing-Depression"}), "train"),
    (_record("fam_b", [
        "My boss keeps yelling at me.",  # topic by keyword: work_school
        "That sounds stressful.",  # 3 words
        "Women, women-only spaces and WOMEN; mentors and menus do not count. I am non-binary.",
        "Please call or text 988 right now, you deserve support tonight.",  # 11 words, hotline
    ], language=None), "test"),
    (_record("fam_b", ["Hello there.", "Hi."], language=None,
             source_fields={"context": FREE_TEXT, "emotion": "Zzwistful"}), "test"),
]  # fmt: skip


def _partial(items: list[tuple[dict[str, Any], str]]) -> BiasPartial:
    vocabulary = load_vocabulary()
    partial = BiasPartial()
    for record, split in items:
        partial.add(record, split, vocabulary)
    return partial


def _document(partial: BiasPartial, config: BiasQaConfig | None = None) -> dict[str, Any]:
    return report_document(partial, load_vocabulary(), config or BiasQaConfig())


def test_terms_match_whole_words_in_any_case_and_phrases_across_hyphens() -> None:
    matcher = TermMatcher({"men": ["men"], "nb": ["non binary"], "w": ["women"]})
    found = matcher.find("Women and MEN, mentors, menus, women-only; non-binary and non binary")
    assert found == {"w": 2, "men": 1, "nb": 2}


def _regex_find(matcher: TermMatcher, text: str) -> dict[str, int]:
    """What the matcher must find: the alternation of its terms, longest first, on word
    boundaries, a space in a term matching runs of spaces and hyphens (the definition)."""
    import re
    from collections import Counter

    terms = sorted(matcher.key_of, key=lambda t: (-len(t), t))
    body = "|".join(r"[\s-]+".join(re.escape(w) for w in t.split(" ")) for t in terms)
    pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)
    found: Counter[str] = Counter()
    for match in pattern.finditer(text):
        found[matcher.key_of[re.sub(r"[\s_-]+", " ", match.group().lower())]] += 1
    return dict(found)


def test_the_token_lookup_finds_what_the_term_alternation_finds() -> None:
    texts = [
        "I'm a WOMAN. As a man -- a  man, as-a-man; A-Man", "non - binary, NON-BINARY, nonbinary",
        "my Asperger's and asperger’s and aspergers", "same-sex, same sex, Same  Sex, samesex",
        "men's group, womens, mentor, 'men'", "teen-age, teenage, older adults, older-adult",
        "hwa-byung and hwa byung; evil-eye; black magic-ish; blackmagic",
        "my sixties, MY SEVENTIES, my  eighties", "trans men and trans-women, trans", "",
        "chronic pain; chronic-pain; chronically ill; Down Syndrome",
    ]
    rng = random.Random(7)
    words = [w for t in texts for w in t.split()] + ["and", "the", "a", "my", "-", "x"]
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))) for _ in range(300)]
    vocabulary = load_vocabulary()
    for matcher in (vocabulary.mentions, vocabulary.keywords):
        for text in texts:
            assert matcher.find(text) == _regex_find(matcher, text), text


def test_a_source_cell_may_list_several_labels() -> None:
    topics, labels = load_vocabulary().source_topics(
        {"source_fields": {"topic": "Relationships,Family-Conflict"}}
    )
    assert topics == {"relationships", "family"}
    assert labels == [("source_fields.topic", "relationships"),
                      ("source_fields.topic", "family conflict")]  # fmt: skip


def test_planted_records_give_the_counts_by_hand() -> None:
    doc = _document(_partial(PLANTED))
    groups = doc["groups"]
    women = groups["gender/women"]
    assert (women["mentions"], women["user_turns"], women["records"]) == (4, 2, 2)
    assert (women["replies"], women["reply_words"], women["mean_reply_words"]) == (2, 25, 12.5)
    assert (women["hotline_rate"], women["referral_rate"], women["unsafe_rate"]) == (0.5, 0.5, 0)
    assert groups["gender/men"]["mentions"] == 0  # "mentors", "menus", "women" are not "men"
    muslim = groups["religion/muslim"]
    assert (muslim["mentions"], muslim["replies"], muslim["reply_words"]) == (1, 1, 14)
    assert (muslim["referral"], muslim["hotline"]) == (1, 0)
    assert groups["gender/transgender_nonbinary"]["hotline"] == 1
    assert groups["sexuality/gay_lesbian"]["mean_reply_words"] == 8.0
    # Replies to turns mentioning no group: the crisis turn, the boss turn and "Hello there."
    reference = doc["reference"]
    assert (reference["replies"], reference["reply_words"]) == (3, 11)
    assert (reference["needs_response"], reference["unsafe"], reference["unsafe_rate"]) == (
        1, 1, 0.3333,
    )  # fmt: skip
    assert (doc["all_replies"]["replies"], doc["all_replies"]["reply_words"]) == (6, 44)

    coverage = doc["coverage"]
    assert doc["records"] == 4
    assert coverage["by_split"] == {"test": 2, "train": 2}
    assert coverage["by_family"] == {"fam_a": {"train": 2}, "fam_b": {"test": 2}}
    assert coverage["by_language"] == {"unknown": 2, "en": 1, "es": 1}
    topics = {t: n for t, n in coverage["by_topic"].items() if n}
    assert topics == {"depression": 2, "work_school": 1, UNCLASSIFIED: 1}
    assert coverage["topic_origin"] == {"keywords": 1, "source_label": 2, "unclassified": 1}
    assert coverage["topic_by_split"]["depression"] == {"train": 2}
    assert coverage["source_labels"] == {
        "counsel_chat.topic": {"depression": 1},
        "source_fields.context": {"<other>": 1},  # text-like values are never kept
        "source_fields.emotion": {"<rare>": 1},  # nor a label the taxonomy does not know, once
        "source_fields.problem_type": {"ongoing depression": 1},
    }
    assert FREE_TEXT.split()[1] not in orjson.dumps(doc).decode()


def test_partials_merge_to_the_whole_and_survive_their_cached_state() -> None:
    whole = _document(_partial(PLANTED))
    first, second = _partial(PLANTED[:2]), _partial(PLANTED[2:])
    cached = BiasPartial.from_state(orjson.loads(orjson.dumps(second.to_state())))
    first.merge(cached)
    assert orjson.dumps(_document(first)) == orjson.dumps(whole)


def test_thresholds_turn_differences_into_warnings() -> None:
    doc = _document(_partial(PLANTED))
    # By default a group needs 30 replies to be compared: only the topics warn.
    assert {w["kind"] for w in doc["warnings"]} == {"topic_coverage"}
    small = Thresholds(min_replies=1, min_topic_share=0.3, unsafe_rate_max=0.2)
    warnings = evaluate(doc, small)
    kinds = {(w["kind"], w["name"]) for w in warnings}
    assert {("reply_length", "gender/women"), ("hotline_rate", "gender/women"),
            ("referral_rate", "gender/women"), ("referral_rate", "religion/muslim"),
            ("reply_length", "religion/muslim")} <= kinds  # fmt: skip
    assert ("reply_length", "sexuality/gay_lesbian") in kinds  # 8 words against 3.67
    assert ("hotline_rate", "sexuality/gay_lesbian") not in kinds  # 0% like the reference
    assert not any(k == "unsafe_rate" for k, _ in kinds)  # the one unsafe reply has no group
    topics = {name for kind, name in kinds if kind == "topic_coverage"}
    assert "depression" not in topics and "work_school" in topics and UNCLASSIFIED not in topics
    women = next(w for w in warnings if w == {**w, "kind": "reply_length", "name": "gender/women"})
    assert women == {"kind": "reply_length", "name": "gender/women", "value": 12.5,
                     "limit": 1.5, "reference": 3.67}  # fmt: skip


def test_config_file_and_run_config_overrides() -> None:
    config = load_bias_qa_config()
    assert config.require_review is False and config.thresholds == Thresholds()
    changed = config.with_overrides({"require_review": True, "thresholds": {"min_replies": 5}})
    assert changed.require_review and changed.thresholds.min_replies == 5
    assert config.with_overrides({"require_review": None}).require_review is False
    with pytest.raises(Exception, match="unknown"):
        config.with_overrides({"thresholds": {"nonsense": 1}})


# -- in a built release ----------------------------------------------------------------------------
def test_the_release_carries_its_report_listed_in_the_manifest(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    release = built.release_dir
    doc = orjson.loads((release / BIAS_QA).read_bytes())
    manifest = built.result.manifest
    assert BIAS_QA in {f["path"] for f in manifest["files"]}
    assert doc["records"] == manifest["counts"]["total"]
    per_family = {f: sum(splits.values()) for f, splits in doc["coverage"]["by_family"].items()}
    assert per_family == built.inputs.released_per_family
    records = manifest["review"].pop("records")
    assert manifest["review"] == {"required": False, "task": BIAS_QA_TASK, "report": BIAS_QA}
    # the planted records a person has to decide on (synthetic.PLANTED), none decided yet
    assert records["decisions"] == 0
    pending = {"addiction": {"pending": 1}, "edge_case_generator": {"pending": 1}}
    assert records["families"] == pending
    assert built.result.latest_moved and not built.result.awaiting_review
    page = (release / REPORT).read_text()
    assert "<h2>Bias and coverage</h2>" in page
    for chart in ("bias-topic", "bias-topic-split", "bias-reply-words"):
        assert f'id="chart-{chart}"' in page
    code, out = verify(release, capsys)  # the Hash gate checks the report like every file
    assert code == 0, out


@pytest.fixture
def awaiting(tmp_path: Path, registry: Registry) -> Built:
    built = build_synthetic(
        tmp_path / "bucket", registry, bias_qa=BiasQaConfig(require_review=True)
    )
    assert built.result.passed and built.result.published
    return built


def test_with_review_required_latest_waits_for_an_approval(awaiting: Built) -> None:
    store, version = awaiting.store, awaiting.result.version
    assert awaiting.result.awaiting_review and not awaiting.result.latest_moved
    assert read_latest(store) is None
    assert store.head(f"{FINAL_PREFIX}{MANIFEST}") is None
    assert awaiting.result.manifest["review"]["required"] is True

    rejected = sign_off(store, version, "reviewer-a", approve=False)
    assert not rejected.latest_moved and read_latest(store) is None
    approved = sign_off(store, version, "reviewer-b")
    assert approved.latest_moved and read_latest(store) == version
    assert store.head(f"{FINAL_PREFIX}{MANIFEST}") is not None

    decisions = list(read_decisions(store, BIAS_QA_TASK))
    assert [d.decision for d in decisions] == [REJECTED, APPROVED]
    digest = awaiting.result.manifest["files"][-2]["sha256"]  # bias_qa.json, then report.html
    line = orjson.loads(store.read_bytes(approved.log_key))
    assert line == {
        "task": BIAS_QA_TASK, "record_uid": version, "content_hash_before": digest,
        "content_hash_after": digest, "decision": APPROVED, "reviewer": "reviewer-b",
        "time": line["time"], "tool_task_id": None, "edits": None, "reason": None,
    }  # fmt: skip
    assert current_decision(store, version, digest) == decisions[-1]


def test_a_changed_report_cannot_be_signed_off(awaiting: Built) -> None:
    store: ObjectStore = awaiting.store
    key = f"{awaiting.result.prefix}{BIAS_QA}"
    store.write_bytes(key, store.read_bytes(key).replace(b'"records"', b'"records" ', 1))
    with pytest.raises(TerminalError, match="not the file its manifest lists"):
        sign_off(store, awaiting.result.version, "reviewer-a")
    assert read_latest(store) is None
    assert not list(read_decisions(store, BIAS_QA_TASK))


def test_the_scan_counts_mentions_in_released_records(tmp_path: Path, registry: Registry) -> None:
    """A planted mention in an input reaches the report through the build's scan."""
    from pixel_platform.storage.local import LocalObjectStore
    from pixel_platform_tests.release.support import build_from
    from pixel_platform_tests.release.synthetic import append_records, write_inputs

    store = LocalObjectStore(tmp_path / "bucket")
    inputs = write_inputs(store, registry)
    append_records(
        store, registry, inputs, 3, seed=11, first_index=2000,
        user_prefix="As a Muslim woman: ", reply_prefix="Please call 988. ",
    )  # fmt: skip
    result = build_from(store, registry, inputs)
    assert result.passed
    doc = orjson.loads(store.read_bytes(f"{result.prefix}{BIAS_QA}"))
    muslim = doc["groups"]["religion/muslim"]
    assert (muslim["records"], muslim["user_turns"], muslim["replies"]) == (3, 3, 3)
    assert muslim["hotline_rate"] == 1.0 and muslim["mentions"] == 3


def test_a_nightly_does_not_rebuild_a_version_that_waits_for_review(
    tmp_path: Path, registry: Registry
) -> None:
    from pixel_platform.pipeline.release import UpToDate, _latest_if_same
    from pixel_platform_tests.release.support import release_options

    built = build_synthetic(
        tmp_path / "bucket", registry, inputs_fingerprint="fp-1",
        bias_qa=BiasQaConfig(require_review=True),
    )  # fmt: skip
    assert built.result.awaiting_review
    options = release_options()
    same = _latest_if_same(built.store, options, "fp-1")
    assert isinstance(same, UpToDate) and same.version == built.result.version
    assert _latest_if_same(built.store, options, "fp-2") is None

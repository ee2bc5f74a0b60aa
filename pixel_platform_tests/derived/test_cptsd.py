"""CPTSD teaching exchanges from transcripts: cleaning, segmentation, themes, records, CLI."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import orjson
import pytest

from pixel_platform.core.errors import ConfigError
from pixel_platform.core.steps import ListQuarantine
from pixel_platform.curation.quality import QualityStep
from pixel_platform.derived.cptsd import (
    CptsdOptions,
    clean_text,
    cptsd_records,
    generate_cptsd,
    load_lexicon,
    parse_segments,
    parse_text,
    read_transcripts,
    segment_sentences,
    sentences_of,
)
from pixel_platform.derived.cptsd.build import DEFAULT_INPUT_PREFIXES
from pixel_platform.derived.cptsd.segment import Sentence
from pixel_platform.derived.cptsd.text import split_sentences
from pixel_platform.derived.cptsd.transcripts import ReadProblem, Transcript
from pixel_platform.derived.status import NO_INPUTS, Skipped
from pixel_platform.ingest.pipeline import IngestPipeline
from pixel_platform.ingest.readers import read_stream
from pixel_platform.registry.model import DEFAULT_REGISTRY, load_registry
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.derived.support import derived_cli as _cli

SAMPLE = Path(__file__).resolve().parents[2] / "pixel_platform" / "sample_data" / "bucket"
FILLER = re.compile(r"\b(?:um|uh|erm)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def sample_records(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], dict]:
    target = LocalObjectStore(tmp_path_factory.mktemp("cptsd"))
    report = generate_cptsd(
        LocalObjectStore(SAMPLE), DEFAULT_INPUT_PREFIXES, target, "derived/cptsd/out.jsonl"
    )
    lines = target.read_bytes("derived/cptsd/out.jsonl").splitlines()
    return [orjson.loads(line) for line in lines], report.as_dict()


# -- cleaning -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Um, so the thing is, uh, shame is everywhere.", "So the thing is shame is everywhere."),
        ("It's hard, you know. I I think it's hard.", "It's hard. I think it's hard."),
        ("You know, it was, like, loud.", "It was loud."),
        ("I mean, it really is. [Music] Okay.", "It really is. Okay."),
        (
            "Do you know what I mean? You know that feeling?",
            "Do you know what I mean? You know that feeling?",
        ),
        (
            "Shame grows in secret. Don't forget to subscribe to the channel!",
            "Shame grows in secret.",
        ),
    ],
)
def test_clean_text_removes_fillers_but_not_meaning(raw: str, clean: str) -> None:
    assert clean_text(raw, Counter()) == clean


def test_clean_text_counts_every_change() -> None:
    changes: Counter[str] = Counter()
    clean_text("Um, it's, you know, hard. [Laughs] Like and subscribe, friends.", changes)
    assert changes["filler"] == 1
    assert changes["filler_you_know"] == 1
    assert changes["annotation_removed"] == 1
    assert changes["boilerplate_sentence"] == 1


def test_sentences_keep_closing_quotes_and_abbreviations() -> None:
    text = 'Guilt says, "I did something bad." Shame says, "I am bad." Dr. Lee agrees. Right?'
    assert split_sentences(text) == [
        'Guilt says, "I did something bad."',
        'Shame says, "I am bad."',
        "Dr. Lee agrees.",
        "Right?",
    ]


def test_unpunctuated_captions_are_cut_into_windows() -> None:
    sentences = split_sentences(" ".join(["word"] * 130))
    assert [len(s.split()) for s in sentences] == [25, 25, 25, 25, 25, 5]


# -- parsing and redaction ------------------------------------------------------------------------
LABELLED = """Title: The Inner Critic
Recorded: 2024-03-02

[00:00:04]
MARION: Hi, I'm Marion Hale. Today, um, we talk about the inner critic.
[00:00:21] MARION: The worksheet is at https://example.org/critic?x=1, or mail marion@example.org.
Find me as @marionteaches too. Marion will explain.

AUDIENCE: Thank you so much!
"""


def test_text_transcript_labels_names_urls_and_timestamps() -> None:
    t = parse_text("voice/x.txt", LABELLED, etag="e1")
    assert t.title == "The Inner Critic"
    assert t.speaker == "MARION"
    assert [p.start for p in t.paragraphs] == [4.0, 21.0]
    text = t.text
    for leaked in (
        "Marion",
        "Hale",
        "MARION",
        "example.org",
        "@marionteaches",
        "AUDIENCE",
        "Thank you so much",
        "um,",
    ):
        assert leaked not in text, leaked
    assert "<PERSON_1>" in text and "<URL_1>" in text and "<EMAIL_1>" in text
    assert "<PERSON_2>" in text  # the @handle
    assert t.changes["other_speaker_words"] == 4
    assert t.changes["speaker_label"] == 3
    assert t.ref() == {"key": "voice/x.txt", "etag": "e1"}


def test_monologue_without_labels_takes_its_title_from_a_short_first_line() -> None:
    t = parse_text("m.txt", "The Smoke Detector\n\nFirst paragraph here.\n\nSecond one.\n")
    assert t.title == "The Smoke Detector"
    assert [p.text for p in t.paragraphs] == ["First paragraph here.", "Second one."]
    assert t.speaker is None


def test_json_segments_split_at_pauses() -> None:
    data = {
        "title": "Flashbacks",
        "segments": [
            {"start": 0.0, "end": 2.0, "text": "An emotional flashback is"},
            {"start": 2.1, "end": 4.0, "text": "a feeling from the past."},
            {"start": "00:00:09.5", "end": 11.0, "text": "Second, um, name it."},
        ],
    }
    t = parse_segments("f.json", data)
    assert t.title == "Flashbacks"
    assert [(p.text, p.start) for p in t.paragraphs] == [
        ("An emotional flashback is a feeling from the past.", 0.0),
        ("Second name it.", 9.5),
    ]


def test_json_segments_with_start_only_use_the_median_step() -> None:
    segments = [{"start": s, "text": f"Sentence {i}."} for i, s in enumerate([0, 3, 6, 9, 30, 33])]
    t = parse_segments("f.json", segments)
    assert [p.start for p in t.paragraphs] == [0.0, 30.0]


def test_unreadable_inputs_become_problems(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"segments": [{"start": 1}]}')
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "video.mp4").write_bytes(b"\x00\x01")
    (tmp_path / "_SYNC_COMPLETE.json").write_text("{}")
    items = list(read_transcripts(LocalObjectStore(tmp_path), ""))
    assert all(isinstance(i, ReadProblem) for i in items)
    assert sorted((i.key, i.reason) for i in items) == [  # type: ignore[union-attr]
        ("bad.json", "invalid_transcript"),
        ("broken.json", "invalid_transcript"),
        ("empty.txt", "empty_file"),
        ("video.mp4", "unsupported_file_type"),
    ]


# -- segmentation ---------------------------------------------------------------------------------
def _sentences(topics: list[tuple[list[str], int]]) -> list[Sentence]:
    out = []
    for paragraph, (words, n) in enumerate(topics):
        for i in range(n):
            text = " ".join(words[(i + k) % len(words)] for k in range(10)) + "."
            out.append(Sentence(text, paragraph, None, 10))
    return out


def words(text: str) -> list[str]:
    return text.split()


def test_segments_cut_at_the_topic_shift() -> None:
    shame = words("shame hiding invisible child conclusion backpack guilt repair adult voice")
    sleep = words("sleep insomnia pillow night dream alarm bedroom darkness rest melatonin")
    sentences = _sentences([(shame, 15), (sleep, 15)])
    segments = segment_sentences(sentences, min_words=100, max_words=200, paragraph_bonus=0.0)
    assert [s.words for s in segments] == [150, 150]
    assert all("sleep" not in s.text for s in segments[0].sentences)


def test_segments_respect_the_size_limits_and_cover_every_sentence() -> None:
    words = ["same"] * 10  # no lexical signal at all: only paragraph breaks and sizes decide
    sentences = _sentences([(words, 8)] * 9)  # 720 words, 9 paragraphs
    segments = segment_sentences(sentences, min_words=120, max_words=350)
    assert all(120 <= s.words <= 350 for s in segments)
    assert [s for seg in segments for s in seg.sentences] == sentences
    # without a lexical signal, every cut falls on a paragraph break
    end = 0
    for seg in segments[:-1]:
        end += len(seg.sentences)
        assert sentences[end - 1].paragraph != sentences[end].paragraph


def test_a_short_transcript_is_one_segment() -> None:
    t = Transcript("s.txt", None, tuple(parse_text("s.txt", "One. Two words here.").paragraphs))
    segments = segment_sentences(sentences_of(t), min_words=120, max_words=350)
    assert len(segments) == 1 and segments[0].words == 4


# -- themes and records ---------------------------------------------------------------------------
def test_theme_lexicon_tags_by_score() -> None:
    lexicon = load_lexicon()
    tags = lexicon.tag(
        "The inner critic is loud. I beat myself up and feel ashamed, then I go numb."
    )
    assert tags[0][0] == "inner_critic"
    assert {"inner_critic", "toxic_shame"} <= {t for t, _ in tags}
    assert lexicon.tag("The weather was nice and we went for a walk.") == []


def test_theme_lexicon_errors_name_the_bad_key(tmp_path: Path) -> None:
    bad = tmp_path / "themes.yaml"
    bad.write_text('themes:\n  shame:\n    strong: [shame]\n    questions: ["Why?"]\n    oops: 1\n')
    with pytest.raises(ConfigError, match=r"themes\.shame: unknown keys \['oops'\]"):
        load_lexicon(bad)


def test_sample_records_are_teaching_exchanges(sample_records: tuple[list[dict], dict]) -> None:
    records, report = sample_records
    assert len(records) >= 12
    assert report["records"] == len(records)
    assert report["inputs"] == 8 and report["dropped"] == {}
    for record in records:
        user, assistant = record["messages"]
        assert user["role"] == "user" and user["content"].strip()
        assert assistant["role"] == "assistant"
        metadata = record["metadata"]
        assert metadata["synthetic"] is True and metadata["synthetic_turns"] == ["user"]
        assert metadata["cptsd_themes"] and set(metadata["cptsd_themes"]) <= set(
            load_lexicon().themes
        )
        assert metadata["generator"]["name"] == "cptsd_transcripts"
        assert metadata["generator"]["inputs"][0]["key"] == metadata["segment"]["source_key"]
        assert 60 <= metadata["segment"]["words"] <= 350
        text = assistant["content"]
        assert not FILLER.search(text), text
        for leaked in ("Marion", "example.org", "subscribe", "http", "@"):
            assert leaked not in text
    themes = Counter(r["metadata"]["cptsd_themes"][0] for r in records)
    assert len(themes) >= 6, themes
    templates = Counter(r["metadata"]["question"]["template"].split(":")[0] for r in records)
    assert set(templates) >= {"theme", "concept"}


def test_segments_are_the_transcript_text_in_order(sample_records: tuple[list[dict], dict]) -> None:
    records, _ = sample_records
    store = LocalObjectStore(SAMPLE)
    texts = {
        t.key: t.text
        for t in read_transcripts(store, DEFAULT_INPUT_PREFIXES)
        if isinstance(t, Transcript)
    }
    by_source: dict[str, list[dict]] = {}
    for record in records:
        by_source.setdefault(record["metadata"]["segment"]["source_key"], []).append(record)
    for key, items in by_source.items():
        flat = re.sub(r"\s+", " ", texts[key])
        position = 0
        for record in sorted(items, key=lambda r: r["metadata"]["segment"]["index"]):
            segment = re.sub(r"\s+", " ", record["messages"][1]["content"])
            found = flat.find(segment, position)
            assert found >= position, (key, record["metadata"]["segment"]["index"])
            position = found + len(segment)


def test_generation_is_deterministic_and_seeded(tmp_path: Path) -> None:
    store = LocalObjectStore(SAMPLE)
    target = LocalObjectStore(tmp_path)
    a = generate_cptsd(store, DEFAULT_INPUT_PREFIXES, target, "a.jsonl")
    b = generate_cptsd(store, DEFAULT_INPUT_PREFIXES, target, "b.jsonl")
    c = generate_cptsd(store, DEFAULT_INPUT_PREFIXES, target, "c.jsonl", CptsdOptions(seed=7))
    assert a.sha256 == b.sha256
    assert a.sha256 != c.sha256 and a.records == c.records


def test_records_survive_ingest_and_quality_scoring(
    sample_records: tuple[list[dict], dict],
) -> None:
    """What the lead wires: derived/cptsd/ as a source of the cptsd family."""
    records, _ = sample_records
    registry = load_registry(DEFAULT_REGISTRY)
    pipeline = IngestPipeline(
        registry, registry.family("cptsd"), fmt="auto", ingested_at="2026-01-01T00:00:00+00:00"
    )
    data = b"".join(orjson.dumps(r) + b"\n" for r in records)
    import io

    quarantine = ListQuarantine()
    units = read_stream(io.BytesIO(data), "derived/cptsd/out.jsonl")
    out = list(pipeline.run(units, quarantine))
    assert quarantine.entries == [] and len(out) == len(records)
    assert out[0].metadata["source_fields"]["metadata"]["cptsd_themes"]
    quality = QualityStep("cptsd")
    scored = list(quality.run(out, quarantine))
    assert quarantine.entries == [] and len(scored) == len(records)


def test_no_input_is_a_skip_and_writes_nothing(tmp_path: Path) -> None:
    """Absent inputs mean nothing to generate (issue 11, item 5): a recorded skip saying where
    it looked, not an error. A marker file is not an input."""
    store = LocalObjectStore(tmp_path)
    store.write_bytes("voice/_SYNC_COMPLETE.json", b"{}")
    report = generate_cptsd(store, ["voice/", "more/"], store, "o.jsonl")
    assert report.skipped == Skipped("cptsd_transcripts", ("voice/", "more/"), NO_INPUTS)
    assert report.skipped.describe() == "no inputs under voice/, more/"
    assert report.records == 0 and report.output is None and not store.exists("o.jsonl")
    assert report.as_dict()["skipped"]["looked_for"] == ("voice/", "more/")


def test_inputs_that_cannot_be_read_still_fail(tmp_path: Path) -> None:
    """A broken input is not an absent one: objects there, none readable -> ConfigError naming
    the key and the reason (never text), and no output written."""
    store = LocalObjectStore(tmp_path)
    store.write_bytes("voice/a.json", b'{"segments": ')
    store.write_bytes("voice/b.txt", b"   \n")
    with pytest.raises(ConfigError, match=r"none of the 2 input objects .* \(first: voice/a\.json"):
        generate_cptsd(store, "voice/", store, "o.jsonl")
    assert not store.exists("o.jsonl")
    # One readable transcript among broken ones: the run goes on and counts the broken one.
    monologue = SAMPLE / "voice" / "monologues" / "the_smoke_detector.txt"
    store.write_bytes("voice/c.txt", monologue.read_bytes())
    report = generate_cptsd(store, "voice/", store, "o.jsonl")
    assert report.skipped is None and report.records > 0
    assert report.dropped["invalid_transcript"] == 1 and report.dropped["empty_file"] == 1


def test_cli_with_an_empty_input_dir_is_an_error(tmp_path: Path) -> None:
    """The standalone command was given a location: one that holds nothing is most likely a
    mistyped path, so the command fails (the pipeline's asset records a skip instead)."""
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no inputs under"):
        _cli("cptsd", "--input-dir", str(tmp_path / "empty"), "--output", str(tmp_path / "o"))
    assert not (tmp_path / "o").exists()


def test_records_from_an_iterable_report_problems() -> None:
    from pixel_platform.derived.output import GeneratorReport

    report = GeneratorReport("x")
    items = [
        ReadProblem("a.json", "invalid_transcript", "no 'segments' list"),
        parse_text("b.txt", "Nothing to see. The weather is nice today."),
    ]
    assert list(cptsd_records(items, report=report)) == []
    assert report.dropped == {"invalid_transcript": 1, "segment_too_short": 1}
    assert report.problems[0]["key"] == "a.json"


def test_cli_writes_records_and_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "cptsd.jsonl"
    report = tmp_path / "report.json"
    code = _cli(
        "cptsd",
        "--input-dir",
        str(SAMPLE / "voice" / "monologues"),
        "--input-dir",
        str(SAMPLE / "voice" / "transcripts_raw"),
        "--output",
        str(out),
        "--json",
        str(report),
    )
    assert code == 0
    lines = out.read_bytes().splitlines()
    assert lines and orjson.loads(report.read_bytes())["records"] == len(lines)
    printed = capsys.readouterr().out
    assert f"cptsd_transcripts: {len(lines)} records from 8 inputs" in printed
    with pytest.raises(ConfigError, match="not a directory"):
        _cli("cptsd", "--input-dir", str(tmp_path / "missing"), "--output", str(out))

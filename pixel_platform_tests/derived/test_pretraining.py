"""Phase A text records from transcripts: chunking, the record shape, ingest, the export row."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import orjson
import pytest

from pixel_platform.cli import derived_data
from pixel_platform.core.errors import ConfigError
from pixel_platform.core.steps import ListQuarantine
from pixel_platform.derived.cptsd import parse_text
from pixel_platform.derived.cptsd.build import DEFAULT_INPUT_PREFIXES
from pixel_platform.derived.output import GeneratorReport
from pixel_platform.derived.pretraining import (
    PretrainingOptions,
    chunk_text,
    generate_pretraining_text,
    text_records,
)
from pixel_platform.ingest.pipeline import IngestPipeline
from pixel_platform.ingest.readers import read_stream
from pixel_platform.registry.model import DEFAULT_REGISTRY, load_registry
from pixel_platform.release.exports import pretraining_rows
from pixel_platform.storage.local import LocalObjectStore

SAMPLE = Path(__file__).resolve().parents[2] / "pixel_platform" / "sample_data" / "bucket"


def test_chunks_break_at_paragraphs_then_sentences() -> None:
    paragraphs = ["a" * 100] * 10
    assert [len(c) for c in chunk_text(paragraphs, 450)] == [406, 406, 202]
    long = " ".join(["One sentence here."] * 100)  # 1,899 characters, one paragraph
    chunks = chunk_text([long], 500)
    assert all(len(c) <= 500 for c in chunks)
    assert " ".join(chunks) == long
    assert chunk_text(["x" * 1200], 500) == ["x" * 500, "x" * 500, "x" * 200]


def test_text_records_have_one_assistant_message_and_kind_text() -> None:
    transcript = parse_text(
        "voice/t.txt", "The Title\n\n" + "\n\n".join(["Word " * 40 + "end."] * 6)
    )
    report = GeneratorReport("t")
    records = list(text_records([transcript], PretrainingOptions(max_chars=800), report=report))
    assert len(records) == 2  # three 204-character paragraphs fit under 800 with the title
    for i, record in enumerate(records):
        (message,) = record.messages
        assert message["role"] == "assistant" and message["content"].startswith("The Title\n\n")
        assert len(message["content"]) <= 800
        assert record.metadata["kind"] == "text"
        assert record.metadata["document"] == {
            "source_key": "voice/t.txt",
            "chunk": i,
            "of": 2,
            "words": 123,
        }
        assert record.metadata["generator"]["name"] == "pretraining_text"
    assert report.counts["chunks_per_document"] == {"2": 1}
    short = parse_text("s.txt", "Too short to keep.")
    assert list(text_records([short], report=report)) == []
    assert report.dropped == {"too_short": 1}


def test_sample_text_records_pass_ingest_and_export_as_text(tmp_path: Path) -> None:
    target = LocalObjectStore(tmp_path)
    report = generate_pretraining_text(
        LocalObjectStore(SAMPLE), DEFAULT_INPUT_PREFIXES, target, "derived/pretraining/t.jsonl"
    )
    assert report.records == 8 and report.inputs == 8 and report.dropped == {}
    data = target.read_bytes("derived/pretraining/t.jsonl")
    registry = load_registry(DEFAULT_REGISTRY)
    family = registry.family("video_transcripts")  # any family: the shape decides
    pipeline = IngestPipeline(registry, family, fmt="auto", ingested_at="2026-01-01T00:00:00Z")
    quarantine = ListQuarantine()
    out = list(
        pipeline.run(read_stream(io.BytesIO(data), "derived/pretraining/t.jsonl"), quarantine)
    )
    assert quarantine.entries == [] and len(out) == 8
    for record in out:
        assert record.metadata["kind"] == "text"
        assert [m["role"] for m in record.messages] == ["assistant"]
        row = pretraining_rows({**record.to_dict(), "metadata": {**record.metadata, "phase": "A"}})
        assert row == [{"text": record.messages[0]["content"]}]
        assert "example.org" not in row[0]["text"] and "Marion" not in row[0]["text"]
    assert pipeline.stats()["steps"][3]["changed"] == {"text_record": 8}


def test_cli_pretraining(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    derived_data.add_parsers(sub)
    out = tmp_path / "text.jsonl"
    args = parser.parse_args(["pretraining", "--output", str(out), "--max-chars", "1000"])
    assert args.func(args) == 0
    records = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert len(records) > 8 and all(len(r["messages"][0]["content"]) <= 1000 for r in records)
    assert "pretraining_text: " in capsys.readouterr().out


def test_no_documents_is_a_skip_and_broken_ones_fail(tmp_path: Path) -> None:
    """Absent inputs: a recorded skip, nothing written. Inputs there but none readable (an
    unsupported file type, an empty file): ``ConfigError`` naming the key, nothing written."""
    store = LocalObjectStore(tmp_path)
    report = generate_pretraining_text(store, DEFAULT_INPUT_PREFIXES, store, "o.jsonl")
    assert report.skipped is not None and report.skipped.looked_for == DEFAULT_INPUT_PREFIXES
    assert report.skipped.describe() == "no inputs under voice/monologues/, voice/transcripts_raw/"
    assert not store.exists("o.jsonl")
    store.write_bytes("voice/monologues/talk.mp3", b"ID3\x00")
    store.write_bytes("voice/transcripts_raw/empty.txt", b"")
    with pytest.raises(ConfigError, match=r"none of the 2 input .*talk\.mp3: unsupported_file"):
        generate_pretraining_text(store, DEFAULT_INPUT_PREFIXES, store, "o.jsonl")
    assert not store.exists("o.jsonl")

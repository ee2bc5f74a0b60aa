from pathlib import Path

import orjson
import pytest

from pixel_platform.cli.main import main


def test_redact_cli_keeps_hotlines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = [
        {
            "messages": [
                {
                    "role": "user",
                    "content": "I'm Maya Chen, email maya.chen@example.org. I can't go on.",
                },
                {"role": "assistant", "content": "Maya, please call or text 988 now, or 911."},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "Work is hard."},
                {"role": "assistant", "content": "Tell me more."},
            ]
        },
    ]
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    out = tmp_path / "out.jsonl"
    assert main(["redact", str(src), "-o", str(out)]) == 0
    redacted = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    first = redacted[0]["messages"]
    assert (
        "maya.chen@example.org" not in first[0]["content"]
        and "Maya Chen" not in first[0]["content"]
    )
    assert "<PERSON_1>" in first[0]["content"] and first[1]["content"].startswith("<PERSON_1>")
    assert "988" in first[1]["content"] and "911" in first[1]["content"]
    assert redacted[1]["metadata"]["pii_status"] == "clean"
    assert "records: 2" in capsys.readouterr().out


def test_dedup_cli_requires_a_mode(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["dedup", "--storage-root", str(tmp_path)])


def test_dedup_before_curation_prints_one_line_saying_what_to_run_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bucket").mkdir()
    assert main(["dedup", "--confirm", "--storage-root", str(tmp_path / "bucket")]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "error: no curated partitions to deduplicate; materialize the curated assets first"
    ]

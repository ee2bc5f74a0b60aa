from pathlib import Path

import orjson
import pytest

from pixel_platform.cli.main import main


def messages_record(i: int) -> dict:
    return {
        "messages": [
            {"role": "user", "content": f"I keep worrying about exam {i}."},
            {"role": "assistant", "content": "That sounds stressful. What worries you most?"},
        ]
    }


def test_convert_jsonl_with_broken_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    n = 25
    lines = [orjson.dumps(messages_record(i)) for i in range(n)]
    lines.insert(5, b'{"messages": [{"role": "user", "content": "trunc')
    lines.insert(12, b"\x00\x01 not json at all")
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    out, q = tmp_path / "out.jsonl", tmp_path / "q.jsonl"

    assert main(["convert", str(src), "--output", str(out), "--quarantine", str(q)]) == 0

    records = out.read_bytes().splitlines()
    quarantined = [orjson.loads(line) for line in q.read_bytes().splitlines()]
    assert len(records) == n
    assert len(quarantined) == 2
    assert [e["line"] for e in quarantined] == [6, 13]
    assert all(e["reason"] and e["source_key"] == str(src) for e in quarantined)
    printed = capsys.readouterr().out
    assert f"in: {n + 2}  out: {n}  quarantined: 2" in printed


def test_convert_sharegpt_array_one_record_per_conversation(tmp_path: Path) -> None:
    conversations = [
        {
            "conversations": [
                {"from": "system", "value": "Be kind."},
                {"from": "human", "value": f"Question {i}?"},
                {"from": "gpt", "value": f"Answer {i}."},
            ]
        }
        for i in range(7)
    ]
    src = tmp_path / "share.json"
    src.write_bytes(orjson.dumps(conversations))
    out, q = tmp_path / "out.jsonl", tmp_path / "q.jsonl"
    assert main(["convert", str(src), "-o", str(out), "-q", str(q)]) == 0
    records = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert len(records) == 7 and q.read_bytes() == b""
    assert [m["role"] for m in records[0]["messages"]] == ["system", "user", "assistant"]
    assert records[3]["metadata"]["detected_format"] == "sharegpt"


def test_convert_missing_input_exits_2(tmp_path: Path) -> None:
    code = main(
        [
            "convert",
            str(tmp_path / "nope.jsonl"),
            "-o",
            str(tmp_path / "o"),
            "-q",
            str(tmp_path / "q"),
        ]
    )
    assert code == 2


def test_convert_auto_detect_input_flag_and_default_quarantine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "raw.jsonl"
    src.write_bytes(
        orjson.dumps({"instruction": "Why do I feel tense?", "output": "Tell me more."})
        + b"\n{broken\n"
    )
    out = tmp_path / "converted.jsonl"
    argv = ["convert", "--input", str(src), "--output", str(out), "--format", "auto-detect"]
    assert main(argv) == 0
    quarantine = tmp_path / "converted.quarantine.jsonl"
    assert [orjson.loads(line)["reason"] for line in quarantine.read_bytes().splitlines()] == [
        "invalid_json"
    ]
    assert orjson.loads(out.read_bytes())["metadata"]["detected_format"] == "alpaca"
    printed = capsys.readouterr().out
    assert "in: 2  out: 1  quarantined: 1" in printed and f"quarantine: {quarantine}" in printed
    with pytest.raises(SystemExit):
        main(["convert", str(src), "--output", str(out), "--format", "autodetect"])
    assert main(["convert", str(src), "--output", str(src)]) == 2  # never over its own input


def test_convert_from_and_to_s3(
    s3_env: str, s3_bucket: str, s3_store, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    s3_store.write_bytes(
        "raw/some_dataset.jsonl",
        b"".join(orjson.dumps(messages_record(i)) + b"\n" for i in range(3)) + b"[]\n",
    )
    local = tmp_path / "local.jsonl"
    local.write_bytes(orjson.dumps(messages_record(9)) + b"\n")
    base = f"s3://{s3_bucket}"
    code = main([
        "convert", str(local), "--input", f"{base}/raw/some_dataset.jsonl",
        "--output", f"{base}/gdrive/processed/converted_dataset.jsonl", "--format", "auto-detect",
    ])
    assert code == 0
    records = [
        orjson.loads(line)
        for line in s3_store.read_bytes("gdrive/processed/converted_dataset.jsonl").splitlines()
    ]
    assert [r["metadata"]["provenance"]["source_key"] for r in records] == [str(local)] + [
        f"{base}/raw/some_dataset.jsonl"
    ] * 3
    quarantined = s3_store.read_bytes("gdrive/processed/converted_dataset.quarantine.jsonl")
    assert [orjson.loads(line)["line"] for line in quarantined.splitlines()] == [4]
    printed = capsys.readouterr().out
    assert "in: 5  out: 4  quarantined: 1" in printed
    assert f"output: {base}/gdrive/processed/converted_dataset.jsonl" in printed

    missing = ["convert", "--input", f"{base}/raw/nope.jsonl", "-o", str(tmp_path / "o.jsonl")]
    assert main(missing) == 2
    assert f"cannot read input file(s): {base}/raw/nope.jsonl" in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()

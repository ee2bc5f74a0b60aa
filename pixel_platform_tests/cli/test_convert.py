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

"""``pixel-platform validate``: ingest's own checks over ChatML JSONL, local or S3; exit 0/1/2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from pixel_platform.cli.main import main

CANARY = "Zq7canaryXv"  # in every text: it must never reach stdout or stderr


def turns(*roles: str, uid: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "messages": [{"role": r, "content": f"{CANARY} turn {n}"} for n, r in enumerate(roles)]
    }
    if uid:
        record["metadata"] = {"uid": uid, "note": CANARY}
    return record


def jsonl(path: Path, *items: dict[str, Any] | bytes) -> Path:
    path.write_bytes(
        b"".join((i if isinstance(i, bytes) else orjson.dumps(i)) + b"\n" for i in items)
    )
    return path


def printed(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert CANARY not in captured.out and CANARY not in captured.err
    return captured.out


def test_every_record_valid_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = jsonl(
        tmp_path / "ok.jsonl", turns("system", "user", "assistant"), turns("user", "assistant")
    )
    assert main(["validate", "--input", str(src), "--min-turns", "2"]) == 0
    out = printed(capsys)
    assert "records: 2  valid: 2  invalid: 0" in out
    assert f"{src}: messages=2" in out


def test_invalid_records_are_counted_by_reason_and_quarantined_with_uid_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = jsonl(
        tmp_path / "mixed.jsonl",
        turns("user", "assistant", uid="ok-1"),
        turns("user", uid="r-2"),  # one side only
        b'{"messages": [{"role": "user", "content": "' + CANARY.encode(),  # not JSON
        turns("user", "user", "assistant", uid="r-4"),  # merged, as ingest merges it
        {"messages": [{"role": "user", "content": "  "}, {"role": "assistant", "content": "a"}]},
    )
    q = tmp_path / "q" / "invalid.jsonl"
    assert main(["validate", "-i", str(src), "--quarantine", str(q)]) == 1
    out = printed(capsys)
    assert "records: 5  valid: 2  invalid: 3" in out
    for reason in ("no_assistant_turn", "invalid_json", "empty_turn"):
        assert f"  invalid {reason}: 1" in out
    assert f"  invalid: {src} line 2: no_assistant_turn (uid r-2)" in out
    assert f"  invalid: {src} line 3: invalid_json" in out
    rows = [orjson.loads(line) for line in q.read_bytes().splitlines()]
    assert [(r["line"], r["reason"], r["uid"]) for r in rows] == [
        (2, "no_assistant_turn", "r-2"),
        (3, "invalid_json", None),
        (5, "empty_turn", None),
    ]
    assert all(r["source_key"] == str(src) and r["detail"] for r in rows)
    assert f"quarantine: {q}" in out


def test_require_alternating_and_min_turns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = jsonl(
        tmp_path / "turns.jsonl",
        turns("system", "system", "user", "assistant"),  # system prompts may come in a run
        turns("user", "assistant", "assistant", "user", uid="double"),
        turns("user", "assistant", "user", "assistant"),
    )
    assert main(["validate", "--input", str(src)]) == 0
    printed(capsys)
    assert main(["validate", "--input", str(src), "--require-alternating"]) == 1
    out = printed(capsys)
    assert "valid: 2  invalid: 1" in out and "  invalid non_alternating: 1" in out
    assert "line 2: non_alternating (uid double)" in out
    assert main(["validate", "--input", str(src), "--min-turns", "4"]) == 1
    out = printed(capsys)
    # merged, the second record has three turns
    assert "valid: 1  invalid: 2" in out and "  invalid too_few_turns: 2" in out
    assert main(["validate", "--input", str(src), "--min-turns", "0"]) == 2
    assert "--min-turns must be at least 1" in capsys.readouterr().err


def test_unreadable_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok = jsonl(tmp_path / "ok.jsonl", turns("user", "assistant"))
    missing = tmp_path / "missing.jsonl"
    assert main(["validate", "--input", str(ok), "--input", str(missing)]) == 2
    assert f"cannot read input file(s): {missing}" in capsys.readouterr().err


def test_validate_on_s3(
    s3_env: str,
    s3_bucket: str,
    s3_store: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    s3_store.write_bytes(
        "gdrive/processed/converted.jsonl",
        orjson.dumps(turns("user", "assistant")) + b"\n" + orjson.dumps(turns("user")) + b"\n",
    )
    uri = f"s3://{s3_bucket}/gdrive/processed/converted.jsonl"
    q_uri = f"s3://{s3_bucket}/checks/invalid.jsonl"
    argv = ["validate", "--input", uri, "--min-turns", "2", "--require-alternating"]
    assert main([*argv, "--quarantine", q_uri]) == 1
    out = printed(capsys)
    assert "records: 2  valid: 1  invalid: 1" in out and f"{uri}: messages=2" in out
    rows = [orjson.loads(line) for line in s3_store.read_bytes("checks/invalid.jsonl").splitlines()]
    assert [(r["source_key"], r["line"], r["reason"]) for r in rows] == [
        (uri, 2, "no_assistant_turn")
    ]
    assert main(["validate", "--input", f"s3://{s3_bucket}/gdrive/processed/nope.jsonl"]) == 2
    assert "cannot read input file(s)" in capsys.readouterr().err

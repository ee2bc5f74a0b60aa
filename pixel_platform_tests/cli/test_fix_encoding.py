"""``pixel-platform fix-encoding``: directories and files, local and S3, same names, nothing
lost."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest

from pixel_platform.cli.main import main

CANARY = "Zq7canaryXv"  # in every text: it must never reach stdout or stderr
MOJIBAKE = f"I donâ€™t sleep {CANARY}"
FIXED = f"I don’t sleep {CANARY}"


def record(text: str, **metadata: Any) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "user", "content": text},
            {"role": "assistant", "content": f"{CANARY} tell me more"},
        ],
        "metadata": {"uid": "u1", **metadata},
    }


def lines(*items: dict[str, Any] | bytes) -> bytes:
    return b"".join((i if isinstance(i, bytes) else orjson.dumps(i)) + b"\n" for i in items)


def read(data: bytes) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in data.splitlines()]


def printed(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert CANARY not in captured.out and CANARY not in captured.err
    return captured.out


def test_a_directory_into_a_directory_inside_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    consolidated = tmp_path / "consolidated"
    (consolidated / "cptsd").mkdir(parents=True)
    (consolidated / "a.jsonl").write_bytes(
        lines(record(MOJIBAKE, note=MOJIBAKE), b"{broken " + CANARY.encode(), record("Fine."))
    )
    (consolidated / "cptsd" / "b.jsonl.gz").write_bytes(gzip.compress(lines(record(MOJIBAKE))))
    (consolidated / "notes.txt").write_text("not JSONL")
    fixed = consolidated / "fixed"
    argv = ["fix-encoding", "--input-dir", str(consolidated), "--output-dir", str(fixed)]

    assert main(argv) == 0
    out = printed(capsys)
    a = read((fixed / "a.jsonl").read_bytes())
    assert [r["messages"][0]["content"] for r in a] == [FIXED, "Fine."]
    assert a[0]["metadata"] == {"uid": "u1", "note": MOJIBAKE}  # only turns are repaired
    b = read(gzip.decompress((fixed / "cptsd" / "b.jsonl.gz").read_bytes()))
    assert b[0]["messages"][0]["content"] == FIXED
    quarantine = read((fixed / "a.quarantine.jsonl").read_bytes())
    assert [(q["line"], q["reason"]) for q in quarantine] == [(2, "invalid_json")]
    assert not (fixed / "cptsd" / "b.quarantine.jsonl").exists()
    assert (
        f"{consolidated / 'a.jsonl'} -> {fixed / 'a.jsonl'}: 2 records, 1 changed"
        f" (1 turns: encoding_repaired=1); quarantined 1 (invalid_json=1)"
        f" -> {fixed / 'a.quarantine.jsonl'}"
    ) in out
    assert "files: 2  records: 3  changed: 2  turns changed: 2  quarantined: 1" in out
    assert "skipped files: 1" in out and f"skipped (not JSONL): {consolidated / 'notes.txt'}" in out

    # Run again after the broken line is gone: fixed/ is not an input, the stale quarantine goes.
    (consolidated / "a.jsonl").write_bytes(lines(record(MOJIBAKE)))
    assert main(argv) == 0
    assert "files: 2  records: 2  changed: 2  turns changed: 2  quarantined: 0" in printed(capsys)
    assert not (fixed / "a.quarantine.jsonl").exists()
    assert not (fixed / "fixed").exists()


def test_single_files_and_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = tmp_path / "one.jsonl"
    one.write_bytes(b'{"messages": [{"role": "user", "content": "I don\x92t"}]}\n')
    out_dir = tmp_path / "out"
    assert main(["fix-encoding", "--input", str(one), "--output-dir", str(out_dir)]) == 0
    assert read((out_dir / "one.jsonl").read_bytes())[0]["messages"][0]["content"] == "I don’t"
    assert "not UTF-8, read as cp1252=1" in printed(capsys)

    assert main(["fix-encoding", "--input-dir", str(tmp_path), "--output-dir", str(tmp_path)]) == 2
    assert "is --output-dir" in capsys.readouterr().err
    assert main(["fix-encoding", "--input", str(one), "--output-dir", str(tmp_path)]) == 2
    assert "would overwrite an input" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["fix-encoding", "--input-dir", str(empty), "--output-dir", str(out_dir)]) == 2
    assert "no *.jsonl or *.ndjson files" in capsys.readouterr().err
    assert main(["fix-encoding", "--output-dir", str(out_dir)]) == 2


def test_s3_to_s3(
    s3_env: str,
    s3_bucket: str,
    s3_store: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    s3_store.write_bytes("consolidated/x/a.jsonl", lines(record(MOJIBAKE), b"[1]"))
    s3_store.write_bytes("consolidated/b.ndjson", lines(record("Fine.")))
    base = f"s3://{s3_bucket}"
    argv = [
        "fix-encoding",
        "--input-dir",
        f"{base}/consolidated/",
        "--output-dir",
        f"{base}/consolidated/fixed",
    ]
    assert main(argv) == 0
    out = printed(capsys)
    assert (
        read(s3_store.read_bytes("consolidated/fixed/x/a.jsonl"))[0]["messages"][0]["content"]
        == FIXED
    )
    assert read(s3_store.read_bytes("consolidated/fixed/b.ndjson")) == [record("Fine.")]
    quarantine = read(s3_store.read_bytes("consolidated/fixed/x/a.quarantine.jsonl"))
    assert [(q["line"], q["reason"]) for q in quarantine] == [(2, "unknown_format")]
    assert "files: 2  records: 2  changed: 1  turns changed: 1  quarantined: 1" in out
    assert main(argv) == 0  # its own outputs are not inputs the second time
    assert "files: 2  records: 2" in printed(capsys)

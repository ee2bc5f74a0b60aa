"""``pixel-platform long-running --manifest FILE``: a JSON list of sources, local and ``s3://``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from pixel_platform.cli.locations import read_source_manifest
from pixel_platform.cli.main import main
from pixel_platform.core.errors import ConfigError


def conversation(turns: int, tag: str) -> bytes:
    roles = ("user", "assistant")
    messages = [{"role": roles[n % 2], "content": f"{tag} turn {n}"} for n in range(turns)]
    return orjson.dumps({"messages": messages}) + b"\n"


def tags(path: Path) -> list[str]:
    return [
        orjson.loads(line)["messages"][0]["content"].split()[0]
        for line in path.read_bytes().splitlines()
    ]


def test_manifest_of_local_files_relative_to_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.jsonl").write_bytes(conversation(20, "a") + conversation(3, "short"))
    (tmp_path / "b.jsonl").write_bytes(conversation(24, "b"))
    manifest = data / "s3_manifest.json"
    manifest.write_bytes(orjson.dumps({"sources": ["a.jsonl", str(tmp_path / "b.jsonl")]}))
    out = tmp_path / "long.jsonl"
    extra = tmp_path / "extra.jsonl"
    extra.write_bytes(conversation(30, "extra"))
    argv = ["long-running", "--manifest", str(manifest), "--source-key", str(extra)]
    assert main([*argv, "--output", str(out)]) == 0
    assert tags(out) == ["a", "b", "extra"]  # the manifest's sources first, in its order
    assert "files scanned: 3  records read: 4  selected (>= 20 turns): 3" in capsys.readouterr().out

    manifest.write_bytes(orjson.dumps(["a.jsonl", "missing.jsonl"]))  # the bare list
    assert main(["long-running", "--manifest", str(manifest), "--output", str(out)]) == 2
    assert f"--manifest {data / 'missing.jsonl'}: no such file" in capsys.readouterr().err
    assert main(["long-running", "--manifest", str(data / "absent.json")]) == 2
    assert "absent.json: no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{", "not valid JSON"),
        (b'{"sources": []}', "expected a non-empty list of sources"),
        (b'{"files": ["a.jsonl"]}', "expected a non-empty list of sources"),
        (b'["a.jsonl", 3]', r"sources\[1\] is not a non-empty string"),
        (b'["s3://b/k.jsonl", "s3://b/k.jsonl"]', r"sources\[1\] \(s3://b/k.jsonl\) is listed"),
    ],
)
def test_bad_manifests_say_what_is_wrong(tmp_path: Path, content: bytes, message: str) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_bytes(content)
    with pytest.raises(ConfigError, match=message):
        read_source_manifest(manifest)


def test_manifest_of_s3_keys(
    s3_env: str,
    s3_bucket: str,
    s3_store: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    s3_store.write_bytes("gdrive/processed/pt/conversations.jsonl", conversation(22, "pt"))
    s3_store.write_bytes("gdrive/processed/cptsd/c.jsonl", conversation(4, "x") + b"oops\n")
    local = tmp_path / "local.jsonl"
    local.write_bytes(conversation(21, "local"))
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(
        orjson.dumps(
            {
                "sources": [
                    f"s3://{s3_bucket}/gdrive/processed/pt/conversations.jsonl",
                    f"s3://{s3_bucket}/gdrive/processed/cptsd/c.jsonl",
                    "local.jsonl",
                ]
            }
        )
    )
    out = tmp_path / "long.jsonl"
    assert main(["long-running", "--manifest", str(manifest), "--output", str(out)]) == 0
    assert tags(out) == ["pt", "local"]
    printed = capsys.readouterr().out
    assert "files scanned: 3  records read: 3  selected (>= 20 turns): 2" in printed
    assert f"s3://{s3_bucket}/gdrive/processed/cptsd/c.jsonl, line 2: not valid JSON" in printed

    manifest.write_bytes(orjson.dumps([f"s3://{s3_bucket}/gdrive/processed/"]))
    assert main(["long-running", "--manifest", str(manifest), "--output", str(out)]) == 2
    assert "give an object key, not a bucket or prefix" in capsys.readouterr().err

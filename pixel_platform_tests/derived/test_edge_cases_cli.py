"""``pixel-platform edge-cases``: local and S3 outputs, both backends, reproducible files."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from pixel_platform.core.errors import ConfigError
from pixel_platform.derived.edge_cases import DEFAULT_OUTPUT_PREFIX, find_problem
from pixel_platform.derived.edge_cases.generate import GENERATOR_NAME
from pixel_platform_tests.derived.fake_openai import FakeOpenAI
from pixel_platform_tests.derived.support import edge_cli as cli
from pixel_platform_tests.derived.support import use_s3


def read_jsonl(data: bytes) -> list[dict]:
    return [orjson.loads(line) for line in data.splitlines()]


def test_template_run_writes_valid_reproducible_jsonl(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["edge-cases", "--categories", "suicidality,psychotic_episode,elder_abuse_concerns",
            "--count", "12", "--seed", "9", "--roleplay-style", "brief"]
    first, second = tmp_path / "a.jsonl", tmp_path / "b" / "b.jsonl"
    assert cli([*argv, "--output", str(first)]) == 0
    assert cli([*argv, "--output", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    records = read_jsonl(first.read_bytes())
    assert len(records) == 12
    for record in records:
        assert find_problem(record["messages"]) is None
        generator = record["metadata"]["generator"]
        assert generator["name"] == GENERATOR_NAME and generator["roleplay_style"] == "brief"
    printed = capsys.readouterr().out
    assert "generated: 12/12" in printed and "rejected: none" in printed


def test_openai_backend_from_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PIXEL_LLM_API_KEY", "sk-from-env")
    out = tmp_path / "llm.jsonl"
    with FakeOpenAI() as server:
        server.push_content("not json at all")
        rc = cli(["edge-cases", "--backend", "openai", "--base-url", server.url,
                  "--model", "fake-model", "--categories", "manic_episode", "--count", "2",
                  "--output", str(out)])
        assert server.requests[0]["headers"]["Authorization"] == "Bearer sk-from-env"
    assert rc == 0
    records = read_jsonl(out.read_bytes())
    assert [r["metadata"]["generator"]["backend"] for r in records] == ["openai", "openai"]
    assert "malformed_output: 1" in capsys.readouterr().out


def test_flag_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="apply to --backend openai only"):
        cli(["edge-cases", "--model", "m", "--output", str(tmp_path / "x.jsonl")])
    with pytest.raises(ConfigError, match="needs a model"):
        cli(["edge-cases", "--backend", "openai", "--output", str(tmp_path / "x.jsonl")])
    with pytest.raises(ConfigError, match="already an s3:// location"):
        cli(["edge-cases", "--output", "s3://bucket/x.jsonl", "--upload-s3"])


def test_s3_output_and_upload(s3_server, s3_bucket: str, s3_store, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    use_s3(monkeypatch, s3_server, s3_bucket, tmp_path / "cache")
    key = DEFAULT_OUTPUT_PREFIX + "direct.jsonl"
    assert cli(["edge-cases", "--count", "25", "--seed", "4",
                "--output", f"s3://{s3_bucket}/{key}"]) == 0
    direct = read_jsonl(s3_store.read_bytes(key))
    assert len({r["metadata"]["generator"]["category"] for r in direct}) == 25

    local = tmp_path / "edge_case_synthetic.jsonl"
    assert cli(["edge-cases", "--count", "25", "--seed", "4", "--output", str(local),
                "--upload-s3"]) == 0
    uploaded = DEFAULT_OUTPUT_PREFIX + local.name
    assert s3_store.read_bytes(uploaded) == local.read_bytes() == s3_store.read_bytes(key)
    assert f"uploaded: s3://{s3_bucket}/{uploaded}" in capsys.readouterr().out

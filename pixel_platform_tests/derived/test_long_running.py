"""Long-running therapy selection: turn counting, limits, inputs, bad lines, S3 in and out."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest

from pixel_platform.core.errors import ConfigError
from pixel_platform.core.record import content_hash
from pixel_platform.derived.long_running import (
    DEFAULT_OUTPUT_PREFIX,
    dialogue_turns,
    extract_long_running,
    find_jsonl_keys,
)
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.derived.support import edge_cli as cli
from pixel_platform_tests.derived.support import use_s3


def record(turns: int, *, family: str = "professional_therapeutic", tag: str = "") -> dict:
    messages = [{"role": "system", "content": "You are a therapist."}]
    for n in range(turns):
        role = "user" if n % 2 == 0 else "assistant"
        messages.append({"role": role, "content": f"{tag} turn {n} of {turns}"})
    return {
        "messages": messages,
        "metadata": {
            "content_hash": content_hash(messages),
            "provenance": {"family": family, "source_key": "gdrive/raw/x.json", "line": 3},
            "quality": {"score": 0.9},
        },
    }


def jsonl(*items: Any) -> bytes:
    return b"".join((i if isinstance(i, bytes) else orjson.dumps(i)) + b"\n" for i in items)


def read_jsonl(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_dialogue_turns_merge_speakers_and_skip_system() -> None:
    messages = [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "a"},
        {"role": "user", "content": "b"},
        {"role": "assistant", "content": "c"},
        {"role": "system", "content": "s2"},
        {"role": "assistant", "content": "d"},
        {"role": "user", "content": "e"},
    ]
    assert dialogue_turns(messages) == 3


def test_selects_by_turn_count_and_keeps_metadata(local_store: LocalObjectStore) -> None:
    key = "pipeline/curated/professional_therapeutic/gdrive__raw__x/conversations.jsonl"
    local_store.write_bytes(key, jsonl(record(4), record(20, tag="a"), record(19), record(31)))
    run = extract_long_running(local_store, [key], min_turns=20)
    selected = list(run)
    assert [dialogue_turns(r.messages) for r in selected] == [20, 31]
    first = selected[0].metadata
    assert first["quality"] == {"score": 0.9}  # original metadata kept
    assert first["provenance"]["family"] == "professional_therapeutic"
    assert first["derived_from"] == {
        "family": "professional_therapeutic",
        "source_key": key,
        "line": 2,
        "content_hash": first["content_hash"],
    }
    assert "pii_status" not in first
    stats = run.stats
    assert (stats.files_scanned, stats.records_read, stats.selected) == (1, 4, 2)
    assert stats.below_min_turns == 2 and stats.balanced and stats.bad_lines == 0


def test_limit_stops_reading(local_store: LocalObjectStore) -> None:
    local_store.write_bytes("a.jsonl", jsonl(*(record(22, tag=str(i)) for i in range(5))))
    local_store.write_bytes("b.jsonl", jsonl(record(40)))
    run = extract_long_running(local_store, ["a.jsonl", "b.jsonl"], min_turns=20, limit=2)
    assert len(list(run)) == 2
    assert run.stats.stopped_at_limit and run.stats.files_scanned == 1
    assert run.stats.records_read == 2


def test_bad_lines_are_counted_and_reported_with_file_and_line(
    local_store: LocalObjectStore,
) -> None:
    body = jsonl(record(20), b"{not json", {"text": "no messages here"},
                 {"messages": [{"role": "narrator", "content": "x"}]}, record(24))
    local_store.write_bytes("curated/part.jsonl", body)
    run = extract_long_running(local_store, ["curated/part.jsonl"], min_turns=20)
    assert len(list(run)) == 2  # reading goes on after a bad line
    stats = run.stats
    assert stats.bad_lines == 3
    assert dict(stats.bad_by_reason) == {"not_json": 1, "not_a_conversation": 2}
    where = [p.describe() for p in stats.problems]
    assert where[0].startswith(f"{local_store.uri('curated/part.jsonl')}, line 2: not valid JSON")
    assert "line 3: no non-empty 'messages' list" in where[1]
    assert "line 4: messages[0].role" in where[2]
    assert "no messages here" not in " ".join(where)  # never the record's text


def test_no_input_is_an_error(local_store: LocalObjectStore) -> None:
    with pytest.raises(ConfigError, match="no input"):
        extract_long_running(local_store, [], min_turns=20)


def test_find_keys_and_gzip(local_store: LocalObjectStore) -> None:
    local_store.write_bytes("pipeline/curated/cptsd/p/conversations.jsonl", jsonl(record(20)))
    local_store.write_bytes("pipeline/curated/long_running_therapy/p/conversations.jsonl",
                            jsonl(record(20)))
    local_store.write_bytes("pipeline/curated/cptsd/p/stats.json", b"{}")
    local_store.write_bytes("pipeline/curated/cptsd/p/_marker.jsonl", b"")
    local_store.write_bytes("pipeline/curated/x/p/old.jsonl.gz", gzip.compress(jsonl(record(21))))
    keys = find_jsonl_keys(local_store, "pipeline/curated/",
                           exclude_families=["long_running_therapy"])
    assert keys == ["pipeline/curated/cptsd/p/conversations.jsonl",
                    "pipeline/curated/x/p/old.jsonl.gz"]
    selected = list(extract_long_running(local_store, keys, min_turns=20))
    assert [r.metadata["derived_from"]["family"] for r in selected] == [
        "professional_therapeutic", "professional_therapeutic"]


def test_cli_source_keys_and_input_dir(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    one.write_bytes(jsonl(record(20, tag="one"), record(2)))
    two.write_bytes(jsonl(b"[1, 2", record(25, tag="two")))
    tree = tmp_path / "tree" / "nested"
    tree.mkdir(parents=True)
    (tree / "three.jsonl").write_bytes(jsonl(record(30, tag="three")))
    (tree / "notes.txt").write_text("not scanned")
    out = tmp_path / "out" / "long.jsonl"
    rc = cli(["long-running", "--source-key", str(one), "--source-key", str(two),
              "--input-dir", str(tmp_path / "tree"), "--min-turns", "20", "--output", str(out)])
    assert rc == 0
    records = read_jsonl(out)
    assert [r["messages"][1]["content"].split()[0] for r in records] == ["one", "two", "three"]
    assert records[2]["metadata"]["derived_from"]["source_key"] == "nested/three.jsonl"
    printed = capsys.readouterr().out
    assert "files scanned: 3  records read: 4  selected (>= 20 turns): 3" in printed
    assert f"{two}, line 1: not valid JSON" in printed

    limited = tmp_path / "limited.jsonl"
    assert cli(["long-running", "--source-key", str(one), "--source-key", str(two),
                "--limit", "1", "--output", str(limited)]) == 0
    assert len(read_jsonl(limited)) == 1
    assert "(stopped at --limit)" in capsys.readouterr().out


def test_cli_rejects_missing_inputs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        cli(["long-running", "--source-key", str(tmp_path / "missing.jsonl")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"no \*\.jsonl files"):
        cli(["long-running", "--input-dir", str(tmp_path / "empty")])


def test_cli_s3_input_dir_and_upload(s3_server, s3_bucket: str, s3_store, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    use_s3(monkeypatch, s3_server, s3_bucket, tmp_path / "cache")
    s3_store.write_bytes("pipeline/curated/cptsd/a/conversations.jsonl",
                         jsonl(record(20, family="cptsd"), record(3)))
    s3_store.write_bytes("pipeline/curated/addiction/b/conversations.jsonl",
                         jsonl(record(26, family="addiction"), b"oops"))
    s3_store.write_bytes("gdrive/raw/other.jsonl", jsonl(record(50)))  # outside the prefix
    out = tmp_path / "long_running_therapy.jsonl"
    rc = cli(["long-running", "--input-dir", f"s3://{s3_bucket}/pipeline/curated",
              "--output", str(out), "--upload-s3", "--verbose"])
    assert rc == 0
    records = read_jsonl(out)
    assert [r["metadata"]["derived_from"]["family"] for r in records] == ["addiction", "cptsd"]
    assert records[0]["metadata"]["derived_from"]["source_key"] == (
        "pipeline/curated/addiction/b/conversations.jsonl")
    uploaded_key = DEFAULT_OUTPUT_PREFIX + out.name
    assert s3_store.read_bytes(uploaded_key) == out.read_bytes()
    printed = capsys.readouterr().out
    assert f"uploaded: s3://{s3_bucket}/{uploaded_key}" in printed
    assert (f"s3://{s3_bucket}/pipeline/curated/addiction/b/conversations.jsonl, line 2: "
            "not valid JSON") in printed

    single = tmp_path / "single.jsonl"
    assert cli(["long-running", "--source-key",
                f"s3://{s3_bucket}/pipeline/curated/cptsd/a/conversations.jsonl",
                "--output", str(single)]) == 0
    assert len(read_jsonl(single)) == 1


def test_cli_default_input_is_curated_outputs_minus_its_own_family(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = LocalObjectStore(tmp_path / "bucket")
    bucket.write_bytes("pipeline/curated/cptsd/p/conversations.jsonl",
                       jsonl(record(20, family="cptsd")))
    bucket.write_bytes("pipeline/curated/long_running_therapy/derived__x/conversations.jsonl",
                       jsonl(record(40, family="long_running_therapy")))
    bucket.write_bytes("pipeline/processed/cptsd/p/conversations.jsonl", jsonl(record(50)))
    monkeypatch.setenv("DATASET_STORAGE_BACKEND", "local")
    monkeypatch.setenv("DATASET_STORAGE_LOCAL_PATH", str(tmp_path / "bucket"))
    out = tmp_path / "out.jsonl"
    assert cli(["long-running", "--output", str(out)]) == 0
    assert [r["metadata"]["derived_from"]["family"] for r in read_jsonl(out)] == ["cptsd"]

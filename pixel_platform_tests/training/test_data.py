"""Stages and rows read from a release; preference pairs from metadata or the TRL export."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pytest

from pixel_platform.core.errors import ConfigError
from pixel_platform.training.data import (
    Stage,
    kto_rows,
    pair_from_record,
    plan_stages,
    preference_rows,
    sft_rows,
    split_budget,
)
from pixel_platform.training.release_input import ReleaseIntegrityError, open_release
from pixel_platform_tests.training.remote_store import RemoteStore


def test_plan_follows_the_curriculum(release_dir: Path) -> None:
    release = open_release(str(release_dir))
    stages = plan_stages(release)
    assert [s.id for s in stages] == [
        "stage1_foundation",
        "stage2_clinical_reasoning",
        "phaseC_preference",
    ]
    assert [s.kind for s in stages] == ["sft", "sft", "preference"]
    assert [s.id for s in plan_stages(release, ("stage2_clinical_reasoning",))] == [
        "stage2_clinical_reasoning"
    ]
    with pytest.raises(ConfigError, match="not stages of release"):
        plan_stages(release, ("stage9",))
    with pytest.raises(ConfigError, match="no train records"):
        plan_stages(release, ("stage4_persona",))


def test_split_budget_by_weight() -> None:
    def stage(name: str, weight: float) -> Stage:
        return Stage(name, "B", 1, weight, {}, {})

    assert split_budget([stage("a", 25), stage("b", 20)], 3) == {"a": 2, "b": 1}
    assert split_budget([stage("a", 25), stage("b", 20), stage("c", 5)], 100) == {
        "a": 50,
        "b": 40,
        "c": 10,
    }
    assert split_budget([stage("a", 25), stage("b", 1)], 2) == {"a": 1, "b": 1}  # at least one each


def test_rows(release_dir: Path) -> None:
    release = open_release(str(release_dir))
    stage1, _, pref = plan_stages(release)
    rows, stats = sft_rows(release, stage1, "train")
    assert len(rows) == 8 and stats.kept == 8 and set(rows[0]) == {"messages"}
    pairs, _, source = preference_rows(release, pref, "train")
    assert source == "metadata" and len(pairs) == 6
    assert pairs[0]["prompt"][-1]["role"] == "user"
    assert pairs[0]["chosen"][0]["role"] == pairs[0]["rejected"][0]["role"] == "assistant"
    assert len(kto_rows(pairs)) == 12


def test_pair_needs_preference_metadata() -> None:
    record = {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
        "metadata": {},
    }
    assert pair_from_record(record) is None
    record["metadata"]["preference"] = {"rejected": "go away"}
    assert pair_from_record(record) == {
        "prompt": [{"role": "user", "content": "hi"}],
        "chosen": [{"role": "assistant", "content": "hello"}],
        "rejected": [{"role": "assistant", "content": "go away"}],
    }


def _add_export(release_dir: Path, rows: list[dict]) -> None:  # type: ignore[type-arg]
    data = b"".join(orjson.dumps(r) + b"\n" for r in rows)
    path = release_dir / "exports" / "trl" / "preference_train.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    manifest = orjson.loads((release_dir / "manifest.json").read_bytes())
    manifest["files"].append(
        {
            "path": "exports/trl/preference_train.jsonl",
            "kind": "export",
            "sha256": "sha256:" + hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }
    )
    (release_dir / "manifest.json").write_bytes(orjson.dumps(manifest))


def test_trl_export_is_preferred_when_listed(release_dir: Path) -> None:
    pair = {
        "prompt": [{"role": "user", "content": "q"}],
        "chosen": [{"role": "assistant", "content": "a"}],
        "rejected": [{"role": "assistant", "content": "b"}],
        "margin": 1.0,
    }
    _add_export(release_dir, [pair, {"prompt": "not a conversation"}])
    release = open_release(str(release_dir))
    stage = plan_stages(release)[-1]
    pairs, stats, source = preference_rows(release, stage, "train")
    assert source == "export" and len(pairs) == 1 and stats.skipped["no_preference_pair"] == 1
    assert set(pairs[0]) == {"prompt", "chosen", "rejected"}


def test_remote_release_is_cached_after_hashing(release_dir: Path, tmp_path: Path) -> None:
    store = RemoteStore(release_dir.parents[2])
    release = open_release(
        "s3://bucket/exports/releases/v2026-01-05",
        tmp_path / "cache",
        store=store,
        prefix="exports/releases/v2026-01-05/",
    )
    local = release.fetch("shards/train/part-00000.jsonl")
    assert local.is_relative_to(tmp_path / "cache" / "v2026-01-05")
    assert local.read_bytes() == (release_dir / "shards/train/part-00000.jsonl").read_bytes()
    with pytest.raises(ReleaseIntegrityError, match="not listed"):
        release.fetch("stats.json")

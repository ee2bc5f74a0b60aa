"""A release built from the synthetic inputs: gates, manifest, layout, splits, exports."""

from __future__ import annotations

import hashlib
from collections import defaultdict

import orjson
import yaml

from pixel_platform.release import list_releases, load_manifest, read_latest
from pixel_platform.release.gates import GATES
from pixel_platform.release.layout import SHARD_PATH, SPLITS
from pixel_platform_tests.release.support import SHARD_MAX_BYTES, Built
from pixel_platform_tests.release.synthetic import (
    HOLDOUT_FAMILY,
    PLANTED,
    TINY_FAMILY,
    VERSION,
)


def _shard_records(built: Built) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {split: [] for split in SPLITS}
    for path in sorted((built.release_dir / "shards").rglob("*.jsonl")):
        split = path.parent.name
        out[split] += [orjson.loads(line) for line in path.read_bytes().splitlines()]
    return out


def test_every_gate_passes_and_the_release_is_published(built: Built) -> None:
    result = built.result
    assert [g.name for g in result.gates] == list(GATES)
    assert len(GATES) == 11
    failures = {g.name: g.violations for g in result.gates if not g.passed}
    assert failures == {}
    assert result.published and result.latest_moved
    assert result.version == VERSION
    assert list_releases(built.store) == [VERSION]
    assert read_latest(built.store) == VERSION
    assert not list(built.store.list("exports/staging/")), "staging is removed after publishing"


def test_manifest_is_complete_and_matches_the_files(built: Built) -> None:
    manifest = load_manifest(built.store, VERSION)
    for key in (
        "version",
        "created_at",
        "pipeline",
        "registry",
        "curriculum",
        "inputs",
        "files",
        "counts",
        "accounting",
        "exclusions",
        "gates",
        "options",
    ):
        assert manifest.get(key) is not None, key
    assert manifest["pipeline"] == {"version": "0.1.0", "git_sha": "0123456789abcdef"}
    assert manifest["registry"]["hash"] == built.registry.source_hash
    assert manifest["curriculum"]["hash"].startswith("sha256:")
    assert manifest["gates"]["passed"] is True
    assert len(manifest["gates"]["results"]) == 11
    partitions = manifest["inputs"]["partitions"]
    assert sorted(p["key"] for p in partitions) == sorted(built.inputs.inputs)
    assert all(p["etag"] and p["size"] > 0 for p in partitions)
    assert len(manifest["inputs"]["raw_objects"]) == len(built.inputs.snapshots)
    listed = {f["path"]: f for f in manifest["files"]}
    on_disk = {
        p.relative_to(built.release_dir).as_posix()
        for p in built.release_dir.rglob("*")
        if p.is_file()
    }
    assert on_disk - set(listed) == {"manifest.json"}
    for path, entry in listed.items():
        data = (built.release_dir / path).read_bytes()
        assert entry["sha256"] == "sha256:" + hashlib.sha256(data).hexdigest(), path
        assert entry["bytes"] == len(data)
        if "records" in entry:
            assert entry["records"] == data.count(b"\n")
    counts = manifest["counts"]
    assert counts["total"] == sum(built.inputs.released_per_family.values())
    assert counts["by_family"] == built.inputs.released_per_family
    expected_phases = {
        _phase(built.registry.families[f].stage) for f in built.inputs.released_per_family
    }
    assert set(counts["by_phase"]) == expected_phases
    assert manifest["exclusions"]["by_reason"] == dict(
        sorted(built.inputs.excluded_by_reason.items())
    )
    assert all(entry["balanced"] for entry in manifest["accounting"].values())


def test_shards_are_size_bounded_stage_aligned_and_concatenate_to_compiled(built: Built) -> None:
    manifest = built.result.manifest
    shards = [f for f in manifest["files"] if f["kind"] == "shard"]
    assert len(shards) > 10
    concatenated = b""
    for split in SPLITS:
        for entry in sorted((f for f in shards if f["split"] == split), key=lambda f: f["path"]):
            assert SHARD_PATH.match(entry["path"])
            data = (built.release_dir / entry["path"]).read_bytes()
            assert len(data) <= SHARD_MAX_BYTES or entry["records"] == 1
            stages = {orjson.loads(line)["metadata"]["stage"] for line in data.splitlines()}
            assert stages == {entry["stage"]}
            concatenated += data
    compiled = (built.release_dir / "compiled/final_training_dataset.jsonl").read_bytes()
    assert compiled == concatenated


def test_records_carry_stage_phase_split_and_splits_follow_the_rules(built: Built) -> None:
    records = _shard_records(built)
    clusters: dict[str, set[str]] = defaultdict(set)
    per_family: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SPLITS, 0))
    for split, items in records.items():
        for record in items:
            metadata = record["metadata"]
            family = metadata["provenance"]["family"]
            assert metadata["split"] == split
            assert metadata["stage"] == built.registry.families[family].stage
            assert metadata["phase"] == _phase(metadata["stage"])
            assert metadata["uid"]
            clusters[metadata["dedup"]["cluster_id"]].add(split)
            per_family[family][split] += 1
    assert all(len(splits) == 1 for splits in clusters.values()), "a cluster straddles splits"
    assert per_family[HOLDOUT_FAMILY]["train"] == per_family[HOLDOUT_FAMILY]["val"] == 0
    assert per_family[TINY_FAMILY] == {"train": 6, "val": 0, "test": 0}
    assert per_family["cptsd"] == {"train": 22, "val": 1, "test": 1}  # 24 clusters, ranked
    rules = built.result.manifest["split_rules"]["rule_of_family"]
    assert rules[HOLDOUT_FAMILY] == "holdout" and rules[TINY_FAMILY] == "tiny"


def test_release_quarantine_lists_every_exclusion_without_text(built: Built) -> None:
    lines = (built.release_dir / "reports/release_quarantine.jsonl").read_bytes().splitlines()
    entries = [orjson.loads(line) for line in lines]
    assert sorted(e["reason"] for e in entries) == sorted(r for rs in PLANTED.values() for r in rs)
    for entry in entries:
        assert entry["uid"] and entry["content_hash"].startswith("sha256:")
        assert "messages" not in entry and "excerpt" not in entry
    shard_uids = {r["metadata"]["uid"] for rs in _shard_records(built).values() for r in rs}
    assert not shard_uids & {e["uid"] for e in entries}


def test_final_dataset_and_latest_point_at_the_release(built: Built) -> None:
    final = built.root / "final_dataset"
    assert (final / "manifest.json").read_bytes() == (
        built.release_dir / "manifest.json"
    ).read_bytes()
    assert (final / "compiled/final_training_dataset.jsonl").read_bytes() == (
        built.release_dir / "compiled/final_training_dataset.jsonl"
    ).read_bytes()
    assert sorted(p.name for p in (final / "shards/train").iterdir()) == sorted(
        p.name for p in (built.release_dir / "shards/train").iterdir()
    )
    latest = orjson.loads((built.root / "exports/releases/LATEST").read_bytes())
    assert latest["version"] == VERSION


def test_trainer_exports_point_at_the_shards(built: Built) -> None:
    rel = built.release_dir
    info = orjson.loads((rel / "exports/llama_factory/dataset_info.json").read_bytes())
    assert info["pixel_train"]["formatting"] == "sharegpt"
    assert info["pixel_train"]["columns"] == {"messages": "messages"}
    assert info["pixel_train"]["tags"]["role_tag"] == "role"
    base = rel / "exports/llama_factory"
    for split in SPLITS:
        assert (base / info[f"pixel_{split}"]["file_name"]).resolve() == (rel / "shards" / split)
    axolotl = yaml.safe_load((rel / "exports/axolotl/datasets.yaml").read_text())
    dataset = axolotl["datasets"][0]
    assert dataset["type"] == "chat_template" and dataset["field_messages"] == "messages"
    assert all((rel / f).is_file() for f in dataset["data_files"])
    order = orjson.loads((rel / "curriculum/stage_order.json").read_bytes())
    ids = [s["id"] for s in order["stages"]]
    assert ids[0] == "phaseA_pretraining" and ids[-1] == "phaseC_preference"
    assert ids[1:8] == [
        f"stage{i}" + s
        for i, s in enumerate(
            [
                "_foundation",
                "_clinical_reasoning",
                "_crisis_stress_test",
                "_persona",
                "_long_running_therapy",
                "_specialized_domains",
                "_simulator_tasks",
            ],
            1,
        )
    ]
    assert [s["weight"] for s in order["stages"][1:8]] == [25, 20, 15, 15, 10, 10, 5]
    listed = [f for s in order["stages"] for split in SPLITS for f in s["files"][split]]
    shards = sorted(f["path"] for f in built.result.manifest["files"] if f["kind"] == "shard")
    assert sorted(listed) == shards and len(set(listed)) == len(listed)


def test_report_is_a_self_contained_page_with_charts(built: Built) -> None:
    page = (built.release_dir / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('<figure class="chart"') >= 8  # HTML bars (test_report.py reads them)
    assert "<script" not in page and "http://" not in page and "src=" not in page
    for gate in GATES:
        assert f"<td>{gate}</td>" in page
    first = _shard_records(built)["train"][0]["messages"][1]["content"]
    assert first[:40] not in page, "the report shows no conversation text"


def _phase(stage: str) -> str:
    """Phase of a registry stage: A (pretraining text), C (preference pairs), else B (SFT)."""
    return {"phaseA_pretraining": "A", "phaseC_preference": "C"}.get(stage, "B")

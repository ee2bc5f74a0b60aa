"""Phase A text records and phase C preference pairs in a release: routing, trainer exports, the
gates that guard them (Hash, Stats, PII) and the manifest entries."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from pixel_platform.core.record import content_hash
from pixel_platform.registry.model import DEFAULT_REGISTRY, Registry, load_registry
from pixel_platform.release import GateContext, run_gates
from pixel_platform.release.layout import SPLITS
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.support import Built, build_from
from pixel_platform_tests.release.synthetic import write_inputs

TEXT_FAMILY = "pretraining_text"
PAIR_FAMILY = "preference_pairs"
EXTRA_FAMILIES = {
    TEXT_FAMILY: {
        "description": "Phase A text records (transcripts and documents).",
        "stage": "phaseA_pretraining",
        "priority": 10,
        "license": "internal-owned",
        "derived": True,
    },
    PAIR_FAMILY: {
        "description": "Phase C preference pairs.",
        "stage": "phaseC_preference",
        "priority": 10,
        "license": "MIT",
        "derived": True,
    },
}


class PhaseRelease(Built):
    def shard_records(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {split: [] for split in SPLITS}
        for split in SPLITS:
            for path in sorted((self.release_dir / "shards" / split).glob("*.jsonl")):
                out[split] += [orjson.loads(x) for x in path.read_bytes().splitlines()]
        return out

    def export(self, path: str) -> list[dict[str, Any]]:
        file = self.release_dir / path
        return [orjson.loads(x) for x in file.read_bytes().splitlines()] if file.exists() else []


def _rehash(record: dict[str, Any]) -> None:
    digest = content_hash(record["messages"])
    record["metadata"]["content_hash"] = digest
    record["metadata"]["dedup"]["cluster_id"] = digest


def _as_text(record: dict[str, Any]) -> None:
    body = "\n\n".join(m["content"] for m in record["messages"] if m["role"] != "system")
    record["messages"] = [{"role": "assistant", "content": body}]
    record["metadata"]["kind"] = "text"
    _rehash(record)


def _as_pair(record: dict[str, Any]) -> None:
    system, user, assistant = record["messages"][:3]
    record["messages"] = [system, user, assistant]
    rejected = " ".join(reversed(assistant["content"].rstrip(".").split())).capitalize() + "."
    record["metadata"]["preference"] = {"rejected": rejected, "margin": 2.0, "source": "test"}
    _rehash(record)


def _rewrite(store: LocalObjectStore, family: str, change: Any) -> list[dict[str, Any]]:
    key = f"pipeline/dedup/{family}/conversations.jsonl"
    records = [orjson.loads(x) for x in store.read_bytes(key).splitlines()]
    for record in records:
        change(record)
    store.write_bytes(key, b"".join(orjson.dumps(r) + b"\n" for r in records))
    return records


@pytest.fixture(scope="module")
def phases(tmp_path_factory: pytest.TempPathFactory) -> PhaseRelease:
    root = tmp_path_factory.mktemp("phases") / "bucket"
    registry_file = root.parent / "registry.yaml"
    data = yaml.safe_load(DEFAULT_REGISTRY.read_text())
    data["families"].update(EXTRA_FAMILIES)  # replaces the bundled ones: sources-free, derived
    registry_file.write_text(yaml.safe_dump(data, sort_keys=False))
    registry = load_registry(registry_file)
    store = LocalObjectStore(root)
    inputs = write_inputs(store, registry)
    _rewrite(store, TEXT_FAMILY, _as_text)
    pairs = _rewrite(store, PAIR_FAMILY, _as_pair)
    # One more pair whose rejected reply awaits PII review: the release keeps it out.
    held = orjson.loads(orjson.dumps(pairs[0]))
    held["metadata"]["provenance"]["index"] = 99
    held["messages"][1]["content"] += " One more question."
    held["metadata"]["preference"]["pii_status"] = "requires_review"
    _rehash(held)
    key = f"pipeline/dedup/{PAIR_FAMILY}/conversations.jsonl"
    store.write_bytes(key, store.read_bytes(key) + orjson.dumps(held) + b"\n")
    inputs.accounting[PAIR_FAMILY]["raw_in"] += 1
    return PhaseRelease(root, store, registry, inputs, build_from(store, registry, inputs))


def test_every_gate_passes_with_phase_a_and_c_records(phases: PhaseRelease) -> None:
    failures = {g.name: g.violations for g in phases.result.gates if not g.passed}
    assert failures == {}
    assert phases.result.published
    counts = phases.result.manifest["counts"]
    assert counts["by_phase"]["A"] == 24 and counts["by_phase"]["C"] == 24
    assert counts["by_stage"]["phaseA_pretraining"] == 24


def test_phase_a_records_export_as_text(phases: PhaseRelease) -> None:
    shards = phases.shard_records()
    for split in SPLITS:
        texts = [r for r in shards[split] if r["metadata"]["phase"] == "A"]
        assert all(r["metadata"]["kind"] == "text" for r in texts)
        rows = phases.export(f"exports/pretraining/{split}.jsonl")
        assert rows == [{"text": r["messages"][0]["content"]} for r in texts]
    assert phases.export("exports/pretraining/train.jsonl")


def test_phase_c_pairs_export_for_trl_and_kto(phases: PhaseRelease) -> None:
    shards = phases.shard_records()
    total = 0
    for split in SPLITS:
        pairs = [r for r in shards[split] if r["metadata"]["phase"] == "C"]
        rows = phases.export(f"exports/trl/preference_{split}.jsonl")
        assert len(rows) == len(pairs)
        for row, record in zip(rows, pairs, strict=True):
            assert row["prompt"] == record["messages"][:-1]  # the system prompt included
            assert row["chosen"] == [record["messages"][-1]]
            assert row["rejected"] == [
                {"role": "assistant", "content": record["metadata"]["preference"]["rejected"]}
            ]
        kto = phases.export(f"exports/trl/kto_{split}.jsonl")
        assert [r["label"] for r in kto] == [True, False] * len(pairs)
        assert [r["completion"] for r in kto[::2]] == [r["chosen"] for r in rows]
        total += len(rows)
    assert total == 24


def test_manifest_lists_the_exports_with_digests(phases: PhaseRelease) -> None:
    entries = [f for f in phases.result.manifest["files"] if f.get("format")]
    formats = Counter(f["format"] for f in entries)
    assert set(formats) == {"pretraining_text", "trl_preference", "trl_kto"}
    for entry in entries:
        assert entry["kind"] == "export" and entry["split"] in SPLITS
        assert entry["records"] == len(phases.export(entry["path"]))
        assert entry["sha256"].startswith("sha256:")
    # Splits without phase A / C records get no file.
    for split in SPLITS:
        has_text = any(r["metadata"]["phase"] == "A" for r in phases.shard_records()[split])
        assert (phases.release_dir / f"exports/pretraining/{split}.jsonl").exists() == has_text


def test_a_pair_whose_rejected_reply_awaits_review_stays_out(phases: PhaseRelease) -> None:
    quarantine = [
        orjson.loads(x)
        for x in (phases.release_dir / "reports/release_quarantine.jsonl").read_bytes().splitlines()
    ]
    held = [e for e in quarantine if e["family"] == PAIR_FAMILY]
    assert [e["reason"] for e in held] == ["pii_requires_review"]
    assert phases.result.manifest["accounting"][PAIR_FAMILY]["balanced"]


def test_stage_order_lists_phase_a_first(phases: PhaseRelease) -> None:
    order = orjson.loads((phases.release_dir / "curriculum/stage_order.json").read_bytes())
    first, last = order["stages"][0], order["stages"][-1]
    assert (first["id"], first["families"]) == ("phaseA_pretraining", [TEXT_FAMILY])
    assert (last["id"], last["families"]) == ("phaseC_preference", [PAIR_FAMILY])


# -- tampering ------------------------------------------------------------------------------------
def _gates(release: Path, registry: Registry) -> dict[str, Any]:
    manifest = orjson.loads((release / "manifest.json").read_bytes())
    ctx = GateContext.from_manifest(registry, manifest)
    return {r.name: r for r in run_gates(LocalObjectStore(release), "", ctx)}


def _copy(phases: PhaseRelease, tmp_path: Path) -> Path:
    release = tmp_path / "release"
    shutil.copytree(phases.release_dir, release)
    return release


def test_an_edited_export_fails_the_hash_gate(phases: PhaseRelease, tmp_path: Path) -> None:
    release = _copy(phases, tmp_path)
    path = release / "exports/trl/preference_train.jsonl"
    path.write_bytes(path.read_bytes().replace(b"assistant", b"assistent", 1))
    results = _gates(release, phases.registry)
    failed = {name for name, r in results.items() if not r.passed}
    assert failed == {"hash"}
    assert results["hash"].violations == {"file_sha256_mismatch": 1}


def test_an_export_that_no_longer_matches_the_shards_fails_stats(
    phases: PhaseRelease, tmp_path: Path
) -> None:
    """Even with the manifest rewritten to match the edited file, Stats rebuilds the exports."""
    import hashlib

    release = _copy(phases, tmp_path)
    manifest_path = release / "manifest.json"
    manifest = orjson.loads(manifest_path.read_bytes())
    path = "exports/pretraining/train.jsonl"
    data = b"".join(sorted((release / path).read_bytes().splitlines(keepends=True)))
    (release / path).write_bytes(data)
    entry = next(f for f in manifest["files"] if f["path"] == path)
    entry.update(sha256="sha256:" + hashlib.sha256(data).hexdigest(), bytes=len(data))
    manifest["files"] = [f for f in manifest["files"] if f["path"] != "exports/trl/kto_train.jsonl"]
    (release / "exports/trl/kto_train.jsonl").unlink()
    manifest_path.write_bytes(orjson.dumps(manifest))
    results = _gates(release, phases.registry)
    failed = {name for name, r in results.items() if not r.passed}
    assert failed == {"stats"}
    assert results["stats"].violations == {"export_differs_from_shards": 1, "export_missing": 1}


def test_pii_in_a_rejected_reply_fails_the_pii_gate(phases: PhaseRelease, tmp_path: Path) -> None:
    release = _copy(phases, tmp_path)
    for shard in sorted((release / "shards/train").glob("*.jsonl")):
        records = [orjson.loads(x) for x in shard.read_bytes().splitlines()]
        pairs = [r for r in records if r["metadata"].get("preference")]
        if pairs:
            pairs[0]["metadata"]["preference"]["rejected"] += " Call me on 415-555-0143."
            shard.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
            break
    results = _gates(release, phases.registry)
    failed = {name for name, r in results.items() if not r.passed}
    assert "pii" in failed and failed <= {"pii", "hash", "stats"}
    assert results["pii"].violations == {"pii_phone_number": 1}
    assert results["pii"].examples[0]["turn"] == "rejected"

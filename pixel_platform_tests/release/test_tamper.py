"""Tampering with a published release makes the named gate fail, in ``run_gates`` and in
``pixel-platform verify``. Other gates may fail only where the tampering really touches them
(every edit changes a file's sha256, so Hash always may; moving records changes Stats)."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import pytest

from pixel_platform.core.record import content_hash
from pixel_platform.registry.model import DEFAULT_REGISTRY, load_registry
from pixel_platform.release import GateContext, run_gates
from pixel_platform.release.layout import SPLITS
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.support import Built

# The bundled registry's holdout families (the synthetic release's sarcasm; in the sample's run,
# where sarcasm's licence is unknown, the crisis evaluation posts).
HOLDOUT_FAMILIES = {n for n, f in load_registry(DEFAULT_REGISTRY).families.items() if f.holdout}

Records = dict[str, list[tuple[Path, list[dict[str, Any]]]]]


def _load(release: Path) -> Records:
    out: Records = {split: [] for split in SPLITS}
    for split in SPLITS:
        for path in sorted((release / "shards" / split).glob("*.jsonl")):
            out[split].append((path, [orjson.loads(x) for x in path.read_bytes().splitlines()]))
    return out


def _save(records: Records) -> None:
    for shards in records.values():
        for path, items in shards:
            path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in items))


def _rehash(record: dict[str, Any]) -> None:
    record["metadata"]["content_hash"] = content_hash(record["messages"])


def _dialogue(records: Records, split: str, nth: int = 0) -> dict[str, Any]:
    """The ``nth`` record of ``split`` that is a dialogue (not a phase A text record)."""
    dialogues = [r for _, items in records[split] for r in items if len(r["messages"]) >= 2]
    return dialogues[nth]


def change_one_message(records: Records) -> None:
    message = _dialogue(records, "train")["messages"][1]
    message["content"] = message["content"].replace("a", "e", 1)


def move_holdout_to_train(records: Records) -> None:
    for _, items in records["test"]:
        for record in items:
            if record["metadata"]["provenance"]["family"] in HOLDOUT_FAMILIES:
                items.remove(record)
                records["train"][-1][1].append(record)
                return
    raise AssertionError("no holdout record in test")


def near_duplicate_into_test(records: Records) -> None:
    original = _dialogue(records, "train")
    copy = orjson.loads(orjson.dumps(original))
    words = copy["messages"][1]["content"].split(" ")
    words[3] = "changed"
    copy["messages"][1]["content"] = " ".join(words)
    _rehash(copy)
    copy["metadata"]["uid"] += "-copy"
    copy["metadata"]["split"] = "test"
    copy["metadata"]["dedup"]["cluster_id"] = copy["metadata"]["content_hash"]
    records["test"][0][1].append(copy)


def add_email(records: Records) -> None:
    record = _dialogue(records, "val")
    record["messages"][-1]["content"] += " Write to me at jordan.alvarez@example.com tonight."
    _rehash(record)


def delete_provenance_field(records: Records) -> None:
    del _dialogue(records, "train", 1)["metadata"]["provenance"]["source_etag"]


def drop_family(records: Records) -> None:
    # addiction where it ships (the synthetic release); in the sample's run its licence is
    # unknown and it is not in the shards, so drop the family of the first train record instead
    present = [r["metadata"]["provenance"]["family"] for _, rs in records["train"] for r in rs]
    family = "addiction" if "addiction" in present else present[0]
    for shards in records.values():
        for _, items in shards:
            items[:] = [r for r in items if r["metadata"]["provenance"]["family"] != family]


class Tamper(NamedTuple):
    """An edit of a release's records, the gate it must fail and the others it may fail too."""

    gate: str
    edit: Callable[[Records], None]
    also: set[str]

    def check_failed(self, failed: set[str]) -> None:
        """The gates that ``failed`` are this case's gate and only others it may touch."""
        assert self.gate in failed
        unexpected = failed - {self.gate} - self.also
        assert not unexpected, f"unexpected failures: {unexpected}"


CASES = [
    Tamper("hash", change_one_message, {"stats"}),
    Tamper("split", move_holdout_to_train, {"hash", "stats"}),
    Tamper("leakage", near_duplicate_into_test, {"hash", "stats", "accounting", "distribution"}),
    Tamper("pii", add_email, {"hash", "stats"}),
    Tamper("provenance", delete_provenance_field, {"hash"}),
    Tamper("coverage", drop_family, {"hash", "stats", "accounting", "distribution"}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.gate for c in CASES])
def test_tampering_fails_the_named_gate(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: Tamper
) -> None:
    from pixel_platform.cli import verify

    release = tmp_path / "release"
    shutil.copytree(built.release_dir, release)
    records = _load(release)
    case.edit(records)
    _save(records)

    manifest = orjson.loads((release / "manifest.json").read_bytes())
    ctx = GateContext.from_manifest(built.registry, manifest)
    results = run_gates(LocalObjectStore(release), "", ctx)
    failed = {r.name for r in results if not r.passed}
    case.check_failed(failed)
    named = next(r for r in results if r.name == case.gate)
    assert named.violations and all(n > 0 for n in named.violations.values())
    assert named.examples, "violations come with examples"

    out = tmp_path / "verify.json"
    args = argparse.Namespace(
        release=str(release), report=False, json=str(out), registry=None, curriculum=None, gate=None
    )
    assert verify.run(args) == 1
    printed = capsys.readouterr().out
    assert f"FAIL {case.gate}" in printed
    document = orjson.loads(out.read_bytes())
    assert document["passed"] is False and case.gate in document["failed"]
    assert set(document["failed"]) == failed


def test_verify_passes_an_untouched_release(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    from pixel_platform.cli import verify

    args = argparse.Namespace(
        release=str(built.release_dir),
        report=True,
        json="-",
        registry=None,
        curriculum=None,
        gate=None,
    )
    assert verify.run(args) == 0
    printed = capsys.readouterr().out
    assert "11 gates: 11 passed, 0 failed" in printed
    assert "FAIL" not in printed


def test_verify_rejects_a_missing_release(tmp_path: Path) -> None:
    from pixel_platform.cli import verify

    args = argparse.Namespace(
        release=str(tmp_path / "nope"),
        report=False,
        json=None,
        registry=None,
        curriculum=None,
        gate=None,
    )
    assert verify.run(args) == 2


def test_a_release_without_manifest_fails_hash_and_accounting(built: Built, tmp_path: Path) -> None:
    release = tmp_path / "release"
    shutil.copytree(built.release_dir, release)
    (release / "manifest.json").unlink()
    ctx = GateContext.from_manifest(built.registry, None)
    results = {r.name: r for r in run_gates(LocalObjectStore(release), "", ctx)}
    assert results["hash"].violations.get("manifest_missing") == 1
    assert results["accounting"].violations.get("accounting_missing") == 1

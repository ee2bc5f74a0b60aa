"""The Leakage gate's "near duplicate" is dedup's: exact Jaccard of the shingle sets at the dedup
threshold and shingle size the build recorded (``curation.dedup.near``), so a lightly edited copy
in another split fails the gate and two different conversations that share a turn do not."""

from __future__ import annotations

import random
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from pixel_platform.core.record import content_hash
from pixel_platform.curation.dedup import DedupConfig
from pixel_platform.curation.dedup.text import canonical_text, dialogue_text, reference_shingles
from pixel_platform.release import GateContext, ReleaseView
from pixel_platform.release.gates import gate_dedup, gate_leakage
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.curation.dedup.real_text import answers, edited_messages
from pixel_platform_tests.release.support import Built


def _jaccard(a: dict[str, Any], b: dict[str, Any], k: int) -> float:
    sa = set(reference_shingles(canonical_text(dialogue_text(a)), k))
    sb = set(reference_shingles(canonical_text(dialogue_text(b)), k))
    return len(sa & sb) / len(sa | sb)


@pytest.fixture
def real_pair_release(built: Built, tmp_path: Path) -> tuple[Path, GateContext, list[float]]:
    """Train records replaced by real counsel-chat conversations (the same bytes in train), and in
    test: an 8%-edited copy of one, and another answer to the same question as another."""
    release = tmp_path / "release"
    shutil.copytree(built.release_dir, release)
    texts = answers()
    by_question: dict[str, list[int]] = {}
    for i, a in enumerate(texts):
        by_question.setdefault(a.question, []).append(i)
    first, second = next(ids for ids in by_question.values() if len(ids) >= 2)[:2]
    edited_source = 0 if 0 not in (first, second) else 5
    rng = random.Random(2)
    train_path = sorted((release / "shards" / "train").glob("*.jsonl"))[0]
    train = [orjson.loads(x) for x in train_path.read_bytes().splitlines()]
    dialogues = [i for i, r in enumerate(train) if len(r["messages"]) >= 3][:2]
    test_records = []
    for slot, source, test_messages in (
        (dialogues[0], texts[edited_source], None),
        (dialogues[1], texts[first], texts[second].messages),
    ):
        record = train[slot]
        system = [m for m in record["messages"] if m["role"] == "system"]
        record["messages"] = system + source.messages
        record["metadata"]["content_hash"] = content_hash(record["messages"])
        record["metadata"]["dedup"]["cluster_id"] = record["metadata"]["content_hash"]
        copy = orjson.loads(orjson.dumps(record))
        body = test_messages or edited_messages(rng, source.messages, 0.08)
        copy["messages"] = system + body
        copy["metadata"]["content_hash"] = content_hash(copy["messages"])
        copy["metadata"]["uid"] += "-test"
        copy["metadata"]["split"] = "test"
        copy["metadata"]["dedup"]["cluster_id"] = copy["metadata"]["content_hash"]
        test_records.append(copy)
    train_path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in train))
    test_path = sorted((release / "shards" / "test").glob("*.jsonl"))[0]
    test_path.write_bytes(
        test_path.read_bytes() + b"".join(orjson.dumps(r) + b"\n" for r in test_records)
    )
    k = DedupConfig().shingle_size
    similarity = [_jaccard(train[s], r, k) for s, r in zip(dialogues, test_records, strict=True)]
    manifest = orjson.loads((release / "manifest.json").read_bytes())
    return release, GateContext.from_manifest(built.registry, manifest), similarity


def test_the_gate_uses_the_dedup_settings_of_the_build(built: Built) -> None:
    manifest = orjson.loads((built.release_dir / "manifest.json").read_bytes())
    ctx = GateContext.from_manifest(built.registry, manifest)
    assert ctx.dedup == DedupConfig()  # what the build recorded: the dedup defaults
    result = gate_leakage(ReleaseView(LocalObjectStore(built.release_dir), ""), ctx)
    assert result.passed
    assert result.metadata["threshold"] == DedupConfig().threshold
    assert result.metadata["shingle_size"] == DedupConfig().shingle_size


def test_a_lightly_edited_copy_across_splits_fails_and_another_answer_does_not(
    real_pair_release: tuple[Path, GateContext, list[float]],
) -> None:
    release, ctx, (edited_j, other_answer_j) = real_pair_release
    threshold = ctx.dedup.threshold
    assert edited_j >= threshold > other_answer_j
    view = ReleaseView(LocalObjectStore(release), "")
    result = gate_leakage(view, ctx)
    assert not result.passed
    assert result.violations == {"near_cross_split": 1}
    (example,) = result.examples
    assert example["similarity"] == pytest.approx(edited_j, abs=1e-4)  # exact, not estimated
    assert sorted(uid.endswith("-test") for uid in example["uids"]) == [False, True]
    # The same release under the old settings (5-word shingles at 0.8): the copy slips through.
    old = replace(ctx, dedup=DedupConfig(shingle_size=5, bands=20, rows=6, threshold=0.8))
    assert gate_leakage(ReleaseView(LocalObjectStore(release), ""), old).passed
    # The Dedup gate sees the same pair (one near duplicate), under its rate limit.
    dedup = gate_dedup(view, ctx)
    assert dedup.passed and dedup.metadata["near_duplicates"] == 1

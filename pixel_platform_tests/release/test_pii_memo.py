"""The PII gate's memo (release.pii_memo): a build rescans only turns it has not found clean with
the same scanner; PII is never remembered; audits scan everything; a broken memo only costs
time."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from pathlib import Path

import orjson
import pytest

from pixel_platform.release import GateContext
from pixel_platform.release.gates import run_gates
from pixel_platform.release.layout import MANIFEST
from pixel_platform.release.pii_memo import PII_MEMO_PREFIX, ScanMemo, digests, memo_key
from pixel_platform.release.results import GateResult
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.support import Built
from pixel_platform_tests.release.test_tamper import _load, _save, add_email

EMAIL = "jordan.alvarez@example.com"


@pytest.fixture
def bucket(built: Built, tmp_path: Path) -> tuple[LocalObjectStore, str, GateContext]:
    """A copy of the built bucket (release and the build's memo) and a build's gate context."""
    root = tmp_path / "bucket"
    shutil.copytree(built.root, root)
    store = LocalObjectStore(root)
    manifest = orjson.loads(store.read_bytes(built.result.prefix + MANIFEST))
    ctx = GateContext.from_manifest(built.registry, manifest)
    return store, built.result.prefix, dataclasses.replace(ctx, pii_memo_prefix=PII_MEMO_PREFIX)


def _pii(store: LocalObjectStore, prefix: str, ctx: GateContext) -> GateResult:
    (result,) = run_gates(store, prefix, ctx, ["pii"])
    return result


def test_the_build_left_a_memo_and_an_unchanged_release_scans_nothing(
    bucket: tuple[LocalObjectStore, str, GateContext], built: Built
) -> None:
    store, prefix, ctx = bucket
    recorded = next(g for g in built.result.gates if g.name == "pii")
    assert recorded.metadata["turns_clean_in_memo"] == 0, "the first build had no memo"
    assert recorded.metadata["memo_size"] > 0

    result = _pii(store, prefix, ctx)
    assert result.passed
    checked = result.metadata["turns_checked"]
    assert checked == recorded.metadata["turns_checked"] > 0
    assert result.metadata["turns_clean_in_memo"] == checked
    assert result.metadata["turns_scanned"] == 0


def test_a_turn_with_pii_is_scanned_reported_and_never_remembered(
    bucket: tuple[LocalObjectStore, str, GateContext],
) -> None:
    store, prefix, ctx = bucket
    records = _load(Path(store.root) / prefix)
    add_email(records)
    _save(records)
    tampered = next(
        m["content"]
        for shards in records.values()
        for _, items in shards
        for r in items
        for m in r["messages"]
        if EMAIL in m["content"]
    )

    for _ in range(2):  # and again, with the memo the first run wrote
        result = _pii(store, prefix, ctx)
        assert not result.passed
        assert result.violations == {"pii_email_address": 1}
        assert result.metadata["turns_scanned"] == 1, "only the changed turn is new"
    memo = ScanMemo(store, PII_MEMO_PREFIX, memo_key(ctx.pii_entities, 0.4))
    assert not memo.seen_clean(digests([tampered])).any()


def test_other_scanner_settings_use_another_memo(
    bucket: tuple[LocalObjectStore, str, GateContext],
) -> None:
    store, prefix, ctx = bucket
    fewer = dataclasses.replace(ctx, pii_entities=("EMAIL_ADDRESS", "PHONE_NUMBER"))
    result = _pii(store, prefix, fewer)
    assert result.passed
    assert result.metadata["turns_clean_in_memo"] == 0
    assert result.metadata["turns_scanned"] == result.metadata["turns_checked"]


def test_an_audit_scans_every_turn_and_writes_no_memo(
    bucket: tuple[LocalObjectStore, str, GateContext],
) -> None:
    store, prefix, ctx = bucket
    shutil.rmtree(Path(store.root) / PII_MEMO_PREFIX)
    audit = dataclasses.replace(ctx, pii_memo_prefix=None)
    result = _pii(store, prefix, audit)
    assert result.passed
    assert result.metadata["turns_scanned"] == result.metadata["turns_checked"] > 0
    assert "turns_clean_in_memo" not in result.metadata
    assert not (Path(store.root) / PII_MEMO_PREFIX).exists()


def test_a_truncated_memo_means_scanning_everything(
    bucket: tuple[LocalObjectStore, str, GateContext], caplog: pytest.LogCaptureFixture
) -> None:
    store, prefix, ctx = bucket
    (memo_file,) = (Path(store.root) / PII_MEMO_PREFIX).glob("*.bin")
    memo_file.write_bytes(memo_file.read_bytes()[:-3])
    with caplog.at_level(logging.WARNING, logger="pixel_platform.release.pii_memo"):
        result = _pii(store, prefix, ctx)
    assert result.passed
    assert result.metadata["turns_clean_in_memo"] == 0
    assert "truncated" in caplog.text
    assert len(memo_file.read_bytes()) % 16 == 0, "the gate wrote a whole memo again"

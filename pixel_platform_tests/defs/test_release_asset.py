"""``dataset_release`` records its manifest's digest in the Dagster instance, outside the bucket;
the Hash check and ``pixel-platform verify --dagster-instance`` hold the bucket to it.

The asset and its checks run for real (``dg.materialize`` against an instance in a temporary
``DAGSTER_HOME``); only the pipeline's input assembly is replaced by the release tests'
synthetic inputs, so no ingest or dedup has to run first.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import dagster as dg
import orjson
import pytest

from pixel_platform.defs.curation.resources import CurationConfigResource
from pixel_platform.defs.release.assets import (
    BIAS_QA_CHECK,
    RELEASE_KEY,
    dataset_release,
    gate_checks,
)
from pixel_platform.defs.release.records import recorded_manifest_digest
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.registry.model import Registry
from pixel_platform.release import ReleaseResult, build_release
from pixel_platform.release.layout import MANIFEST
from pixel_platform.release.signing import (
    SIGNING_KEY_ENV,
    generate_key_pair,
    key_id,
    load_public_key,
)
from pixel_platform.storage.base import ObjectStore
from pixel_platform_tests.defs.support import release_instance
from pixel_platform_tests.release.support import release_options, verify
from pixel_platform_tests.release.synthetic import write_inputs
from pixel_platform_tests.release.test_authenticity import ADVICE, rewrite_reply_consistently


def _synthetic_release(
    store: ObjectStore, registry: Registry, config: Any, *, force: bool = False, **overrides: Any
) -> ReleaseResult:
    """Stands in for ``pipeline.release.build_pipeline_release``: the asset's own overrides
    (the signing key among them) reach the build."""
    inputs = write_inputs(store, registry)
    options = release_options(**overrides)
    return build_release(
        store, registry, inputs.inputs, inputs.accounting, inputs.snapshots, options
    )


instance = release_instance(_synthetic_release)


def test_the_materialization_records_the_digest_and_the_checks_hold_the_bucket_to_it(
    instance: dg.DagsterInstance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    private, public = generate_key_pair(tmp_path / "keys")
    monkeypatch.setenv(SIGNING_KEY_ENV, str(private))
    bucket = tmp_path / "bucket"
    resources = {
        "storage": StorageResource(backend="local", local_path=str(bucket)),
        "registry": RegistryResource(),
        "curation": CurationConfigResource(),
    }
    result = dg.materialize([dataset_release, *gate_checks], instance=instance, resources=resources)
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    version = str(metadata["version"].value)
    release = bucket / "exports/releases" / version
    published = hashlib.sha256((release / MANIFEST).read_bytes()).hexdigest()
    assert metadata["manifest_sha256"].value == published
    assert metadata["manifest_signed_by"].value == key_id(load_public_key(public))
    assert recorded_manifest_digest(instance, version) == f"sha256:{published}"
    assert recorded_manifest_digest(instance, "v2099-01-01") is None
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any(f"manifest sha256:{published}, signed by ed25519:" in m for m in messages)
    # Every gate passes; the Bias/QA check only warns (severity WARN) and never counts here.
    first = result.get_asset_check_evaluations()
    assert all(e.passed for e in first if e.check_name != BIAS_QA_CHECK)

    code, out = verify(release, capsys, "--dagster-instance", "--public-key", str(public))
    assert code == 0, out
    assert "PASS authenticity" in out and "verified (dagster instance" in out

    rewrite_reply_consistently(release)
    checks = dg.materialize(
        [dataset_release, *gate_checks],
        instance=instance,
        resources=resources,
        selection=dg.AssetSelection.checks_for_assets(RELEASE_KEY),
        raise_on_error=False,
    )
    evaluations = {e.check_name: e for e in checks.get_asset_check_evaluations()}
    failed = {name for name, e in evaluations.items() if not e.passed} - {BIAS_QA_CHECK}
    assert failed == {"dataset_release_hash"}, "every other gate agrees with the rewrite"
    hash_check = evaluations["dataset_release_hash"].metadata
    assert hash_check["violation_total"].value == 1
    examples = orjson.dumps(hash_check["examples"].value).decode()
    assert "manifest_digest_mismatch" in examples and f"sha256:{published}" in examples
    assert ADVICE not in examples

    code, out = verify(release, capsys, "--dagster-instance")
    assert code == 1
    assert "FAIL authenticity: manifest_digest_mismatch=1" in out and "dagster instance" in out

    # The rewrite moved to a version the instance never recorded: nothing vouches for it.
    moved = bucket / "exports/releases/v2099-01-01"
    shutil.copytree(release, moved)
    manifest = orjson.loads((moved / MANIFEST).read_bytes())
    manifest["version"] = "v2099-01-01"
    (moved / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    code, out = verify(moved, capsys, "--dagster-instance", "--gate", "hash")
    assert code == 1 and "FAIL authenticity: digest_not_recorded=1" in out

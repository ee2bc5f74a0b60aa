"""A published release's gate results (``release.recorded``): the build's own while the manifest
and every file are the ones it wrote with this registry and code, else the gate run again; the
hash gate is always recomputed and also checks the manifest against the digest kept elsewhere."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pixel_platform import PIPELINE_VERSION
from pixel_platform.registry.model import Registry
from pixel_platform.release.layout import COMPILED, MANIFEST, key_in
from pixel_platform.release.recorded import (
    built_with_registry,
    built_with_this_code,
    files_match_manifest,
    published_gate_result,
    recorded_result,
    with_findings,
)
from pixel_platform.release.results import GateResult
from pixel_platform.release.signing import manifest_digest
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.support import Built, build_synthetic


@pytest.fixture(scope="module")
def current(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Built:
    """A release built by this code version, so that its recorded results can stand."""
    root = tmp_path_factory.mktemp("recorded") / "bucket"
    return build_synthetic(root, registry, pipeline_version=PIPELINE_VERSION)


@pytest.fixture
def copy(current: Built, tmp_path: Path) -> Built:
    """``current`` copied, to be edited."""
    root = tmp_path / "bucket"
    shutil.copytree(current.root, root)
    store = LocalObjectStore(root)
    return Built(root, store, current.registry, current.inputs, current.result)


def _sha256(built: Built) -> str:
    data = built.store.read_bytes(key_in(built.result.prefix, MANIFEST))
    return manifest_digest(data).removeprefix("sha256:")


def test_the_builds_result_stands_for_an_untouched_release(current: Built) -> None:
    result, manifest = current.result, current.result.manifest
    assert built_with_this_code(manifest)
    assert built_with_registry(manifest, current.registry.source_hash)
    sha = _sha256(current)
    assert files_match_manifest(current.store, result.prefix, manifest, sha)
    recorded = recorded_result(
        "split", current.store, result.prefix, manifest, sha, current.registry.source_hash
    )
    assert recorded is not None and recorded.name == "split"
    assert recorded.passed == next(g.passed for g in result.gates if g.name == "split")
    gate, from_build = published_gate_result(
        "split", current.store, result.version, manifest, sha, current.registry
    )
    assert from_build and gate.passed


def test_the_hash_gate_unknown_digests_and_other_registries_recompute(current: Built) -> None:
    result, manifest, store = current.result, current.result.manifest, current.store
    sha = _sha256(current)
    registry_hash = current.registry.source_hash
    assert recorded_result("hash", store, result.prefix, manifest, sha, registry_hash) is None
    assert recorded_result("split", store, result.prefix, manifest, "", registry_hash) is None
    assert recorded_result("split", store, result.prefix, manifest, "0" * 64, registry_hash) is None
    assert recorded_result("split", store, result.prefix, manifest, sha, "other") is None
    assert not built_with_registry(manifest, "other")
    assert not built_with_this_code({"pipeline": {"version": "0.0.0"}})
    gate, from_build = published_gate_result(
        "hash", store, result.version, manifest, sha, current.registry
    )
    assert not from_build and gate.passed


def test_an_edited_file_makes_the_gate_run_again(copy: Built) -> None:
    result, manifest = copy.result, copy.result.manifest
    sha = _sha256(copy)
    path = copy.root / result.prefix / COMPILED
    path.write_bytes(path.read_bytes() + b"\n")
    assert not files_match_manifest(copy.store, result.prefix, manifest, sha)
    assert (
        recorded_result(
            "split", copy.store, result.prefix, manifest, sha, copy.registry.source_hash
        )
        is None
    )
    gate, from_build = published_gate_result(
        "hash", copy.store, result.version, manifest, sha, copy.registry
    )
    assert not from_build and not gate.passed


def test_a_foreign_manifest_fails_the_hash_gate_as_unauthentic(current: Built) -> None:
    result = current.result
    gate, from_build = published_gate_result(
        "hash", current.store, result.version, result.manifest, "0" * 64, current.registry
    )
    assert not from_build and not gate.passed
    assert "authenticity" in gate.metadata


def test_findings_add_up_and_fail_the_result() -> None:
    base = GateResult("hash", True, {"missing": 1}, [{"a": 1}], {"files": 3})
    extra = GateResult("authenticity", False, {"missing": 2, "digest": 1}, [{"b": 2}], {"x": 1})
    combined = with_findings(base, extra)
    assert combined.name == "hash" and not combined.passed
    assert combined.violations == {"digest": 1, "missing": 3}
    assert combined.examples == [{"a": 1}, {"b": 2}]
    assert combined.metadata == {"files": 3, "authenticity": {"x": 1}}

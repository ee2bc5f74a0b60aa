"""Reproducible bytes, immutable versions, and a killed build that leaves no release behind."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from pixel_platform.registry.model import Registry
from pixel_platform.release import build_release, list_releases, read_latest
from pixel_platform.release.layout import COMPILED
from pixel_platform.release.waivers import CoverageWaiver
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.support import build_from, release_options
from pixel_platform_tests.release.synthetic import VERSION, write_inputs

PROJECT_ROOT = Path(__file__).resolve().parents[2]
KILL_WAIT_S = 90.0


def _data_files(root: Path, version: str) -> dict[str, bytes]:
    release = root / "exports/releases" / version
    paths = [
        COMPILED,
        *sorted(p.relative_to(release).as_posix() for p in (release / "shards").rglob("*.jsonl")),
    ]
    return {path: (release / path).read_bytes() for path in paths}


def test_same_inputs_give_byte_identical_shards_under_a_new_version(
    local_store: LocalObjectStore, registry: Registry
) -> None:
    inputs = write_inputs(local_store, registry)
    args = (local_store, registry, inputs.inputs, inputs.accounting, inputs.snapshots)
    first = build_release(*args, release_options())
    second = build_release(*args, release_options())
    assert (first.version, second.version) == (VERSION, f"{VERSION}-2")
    assert _data_files(local_store.root, first.version) == _data_files(
        local_store.root, second.version
    )
    assert first.manifest["files"][:-1] == second.manifest["files"][:-1]  # all but report.html
    # The first release is untouched by the second build, and LATEST moved on.
    assert list_releases(local_store) == [VERSION, f"{VERSION}-2"]
    assert read_latest(local_store) == f"{VERSION}-2"
    third = build_release(*args, release_options(version=VERSION))
    assert third.version == f"{VERSION}-3", "an explicit version that exists is never rewritten"


KILL_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from pixel_platform.registry.model import DEFAULT_REGISTRY, load_registry
    from pixel_platform.release import build_release
    from pixel_platform.storage.local import LocalObjectStore
    from pixel_platform_tests.release.support import release_options

    root, spec_path, pause_at, marker = sys.argv[1:5]
    spec = json.loads(Path(spec_path).read_text())

    def hook(stage):
        if stage == pause_at:
            Path(marker).write_text(stage)
            time.sleep(600)

    build_release(LocalObjectStore(root), load_registry(DEFAULT_REGISTRY), spec["inputs"],
                  spec["accounting"], spec["snapshots"], release_options(hook=hook))
    """
)


@pytest.mark.parametrize("pause_at", ["staged", "publishing"])
def test_a_killed_build_leaves_no_release_and_the_next_build_succeeds(
    local_store: LocalObjectStore, registry: Registry, tmp_path: Path, pause_at: str
) -> None:
    inputs = write_inputs(local_store, registry)
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "inputs": inputs.inputs,
                "accounting": inputs.accounting,
                "snapshots": inputs.snapshots,
            }
        )
    )
    marker = tmp_path / "paused"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILL_SCRIPT,
            str(local_store.root),
            str(spec),
            pause_at,
            str(marker),
        ],
        env=env,
        cwd=PROJECT_ROOT,
    )
    try:
        deadline = time.monotonic() + KILL_WAIT_S
        while not marker.exists():
            assert proc.poll() is None, f"the build exited early with {proc.returncode}"
            assert time.monotonic() < deadline, "the build never reached the pause point"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert list(local_store.list("exports/staging/")), "the killed build had staged files"
    if pause_at == "publishing":
        partial = list(local_store.list(f"exports/releases/{VERSION}/"))
        assert partial and not any(i.key.endswith("manifest.json") for i in partial)
    assert list_releases(local_store) == []
    assert read_latest(local_store) is None
    assert not list(local_store.list("final_dataset/"))

    result = build_from(local_store, registry, inputs)
    assert result.passed and result.version == VERSION
    assert list_releases(local_store) == [VERSION]
    assert read_latest(local_store) == VERSION
    assert not list(local_store.list("exports/staging/")), "the next build cleaned staging"


def test_build_and_verify_on_s3(
    s3_server: Any,
    s3_store: Any,
    registry: Registry,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """The same build and the CLI verifier through the S3 backend (SeaweedFS)."""
    from pixel_platform.cli import verify

    inputs = write_inputs(s3_store, registry)
    result = build_release(
        s3_store, registry, inputs.inputs, inputs.accounting, inputs.snapshots, release_options()
    )
    assert result.passed and result.published and result.latest_moved
    assert list_releases(s3_store) == [VERSION]
    assert s3_store.head("final_dataset/manifest.json") is not None
    for key, value in s3_server.env(s3_store.bucket).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PIXEL_CACHE_DIR", str(tmp_path / "cache"))
    uri = f"s3://{s3_store.bucket}/exports/releases/{VERSION}"
    args = argparse.Namespace(
        release=uri, report=False, json=None, registry=None, curriculum=None, gate=None
    )
    assert verify.run(args) == 0
    assert "11 gates: 11 passed, 0 failed" in capsys.readouterr().out


def test_a_failing_build_publishes_a_marked_version_but_never_moves_latest(
    local_store: LocalObjectStore, registry: Registry
) -> None:
    inputs = write_inputs(local_store, registry)
    good = build_from(local_store, registry, inputs)
    missing = [k for k in inputs.inputs if "/addiction/" not in k]
    failed = build_release(
        local_store, registry, missing, inputs.accounting, inputs.snapshots, release_options()
    )
    assert not failed.passed and failed.published and not failed.latest_moved
    assert {g.name for g in failed.gates if not g.passed} == {"coverage", "accounting"}
    assert failed.manifest["gates"]["passed"] is False
    assert list_releases(local_store) == [good.version, failed.version]
    assert list_releases(local_store, only_passed=True) == [good.version]
    assert read_latest(local_store) == good.version
    final = orjson.loads(local_store.read_bytes("final_dataset/manifest.json"))
    assert final["version"] == good.version

    waived = build_release(
        local_store,
        registry,
        missing,
        inputs.accounting,
        inputs.snapshots,
        release_options(
            coverage_waivers=(CoverageWaiver("addiction", "options", "test"),),
            publish_on_failure=False,
        ),
    )
    assert {g.name for g in waived.gates if not g.passed} == {"accounting"}
    assert not waived.published and waived.version not in list_releases(local_store)
    assert not list(local_store.list("exports/staging/"))


def test_unreadable_lines_and_unknown_families_are_quarantined_and_accounted(
    local_store: LocalObjectStore, registry: Registry
) -> None:
    inputs = write_inputs(local_store, registry)
    stray = orjson.loads(local_store.read_bytes(inputs.inputs[0]).splitlines()[0])
    stray["metadata"]["provenance"]["family"] = "mystery"
    local_store.write_bytes("pipeline/dedup/extra.jsonl", b"{not json\n" + orjson.dumps(stray))
    args = (local_store, registry, [*inputs.inputs, "pipeline/dedup/extra.jsonl"])
    result = build_release(*args, inputs.accounting, inputs.snapshots, release_options())
    accounting = next(g for g in result.gates if g.name == "accounting")
    assert accounting.violations == {"family_without_accounting": 2}
    assert result.manifest["exclusions"]["by_family"]["<unknown>"] == {"invalid_json": 1}
    assert result.manifest["exclusions"]["by_family"]["mystery"] == {"family_unknown": 1}

    books = {**inputs.accounting, "<unknown>": {"raw_in": 1}, "mystery": {"raw_in": 1}}
    again = build_release(*args, books, inputs.snapshots, release_options())
    assert again.passed, {g.name: g.violations for g in again.gates if not g.passed}

"""Helpers of the release tests: the tests' release options and building a release from the
synthetic inputs (``build_synthetic``; the session's ``built`` fixture in conftest.py uses it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from pixel_platform.registry.model import Registry
from pixel_platform.release import ReleaseOptions, ReleaseResult, build_release
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.synthetic import CLOCK, SyntheticInputs, write_inputs

SHARD_MAX_BYTES = 16 * 1024


def release_options(**overrides: object) -> ReleaseOptions:
    values: dict[str, object] = {
        "clock": lambda: CLOCK,
        "shard_max_bytes": SHARD_MAX_BYTES,
        "pipeline_version": "0.1.0",
        "git_sha": "0123456789abcdef",
    }
    values.update(overrides)
    return ReleaseOptions(**values)  # type: ignore[arg-type]


@dataclass
class Built:
    root: Path
    store: LocalObjectStore
    registry: Registry
    inputs: SyntheticInputs
    result: ReleaseResult

    @property
    def release_dir(self) -> Path:
        return self.root / self.result.prefix


def verify(release: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str]:
    """``pixel-platform verify RELEASE FLAGS...`` in process: its exit code and what it printed."""
    from pixel_platform.cli.main import main

    capsys.readouterr()
    code = main(["verify", str(release), *flags])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def build_synthetic(root: Path, registry: Registry, **overrides: object) -> Built:
    """Write the synthetic inputs into a local store at ``root`` and build a release there
    (``overrides``: release options besides the tests' defaults)."""
    store = LocalObjectStore(root)
    inputs = write_inputs(store, registry)
    return Built(root, store, registry, inputs, build_from(store, registry, inputs, **overrides))


def build_from(
    store: LocalObjectStore, registry: Registry, inputs: SyntheticInputs, **overrides: object
) -> ReleaseResult:
    """A release of every synthetic input already in ``store``, with the tests' options."""
    return build_release(
        store, registry, inputs.inputs, inputs.accounting, inputs.snapshots,
        release_options(**overrides),
    )  # fmt: skip

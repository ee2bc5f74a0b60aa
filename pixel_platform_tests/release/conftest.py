"""One release built once per session from the synthetic inputs; tests read it or copy it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from pixel_platform.registry.model import DEFAULT_REGISTRY, Registry, load_registry
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


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry(DEFAULT_REGISTRY)


def build_synthetic(root: Path, registry: Registry, **overrides: object) -> Built:
    """Write the synthetic inputs into a local store at ``root`` and build a release there
    (``overrides``: release options besides the tests' defaults)."""
    store = LocalObjectStore(root)
    inputs = write_inputs(store, registry)
    options = release_options(**overrides)
    result = build_release(
        store, registry, inputs.inputs, inputs.accounting, inputs.snapshots, options
    )
    return Built(root, store, registry, inputs, result)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Built:
    return build_synthetic(tmp_path_factory.mktemp("release") / "bucket", registry)


@pytest.fixture(autouse=True)
def _bundled_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI reads $PIXEL_REGISTRY; the tests are written against the bundled registry.
    monkeypatch.delenv("PIXEL_REGISTRY", raising=False)

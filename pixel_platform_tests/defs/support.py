"""Helpers of the Dagster definitions tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from pixel_platform.defs.release import assets


def release_instance(build_release: Callable[..., Any]) -> Any:
    """An ``instance`` fixture: a Dagster instance in a fresh ``DAGSTER_HOME`` (where ``verify
    --dagster-instance`` looks too), the bundled registry, and ``build_release`` standing in for
    the pipeline's release build."""

    @pytest.fixture
    def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.DagsterInstance]:
        home = tmp_path / "dagster_home"
        home.mkdir()
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        monkeypatch.delenv("PIXEL_REGISTRY", raising=False)
        monkeypatch.setattr(assets, "build_pipeline_release", build_release)
        with dg.DagsterInstance.get() as instance:
            yield instance

    return instance

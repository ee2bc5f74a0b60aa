"""One release built once per session from the synthetic inputs; tests read it or copy it.

The helpers (``Built``, ``build_synthetic``, ``release_options``) are in ``support.py``."""

from __future__ import annotations

import pytest

from pixel_platform.registry.model import DEFAULT_REGISTRY, Registry, load_registry
from pixel_platform_tests.release.support import Built, build_synthetic


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry(DEFAULT_REGISTRY)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Built:
    return build_synthetic(tmp_path_factory.mktemp("release") / "bucket", registry)


@pytest.fixture(autouse=True)
def _bundled_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI reads $PIXEL_REGISTRY; the tests are written against the bundled registry.
    monkeypatch.delenv("PIXEL_REGISTRY", raising=False)

"""Fixtures for the training tests: a tiny model (built once), a fresh minimal release per test.
Nothing is downloaded. The helpers (``cpu_config``, ``requires_training_stack``) are in
``support.py``, which also sets the Hugging Face variables for offline use."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixel_platform_tests.training.release_fixture import corpus_texts, write_release
from pixel_platform_tests.training.support import stack_missing


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pixel-tiny-llama`` (pixel_platform.training.tiny) trained on the release's texts, saved
    as a model directory that ``model.base_model`` can name."""
    missing = stack_missing()
    if missing:
        pytest.skip(f"{missing} is not installed")
    from pixel_platform.training.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", corpus_texts())


@pytest.fixture
def bucket(tmp_path: Path) -> Path:
    root = tmp_path / "bucket"
    write_release(root)
    return root


@pytest.fixture
def release_dir(bucket: Path) -> Path:
    return bucket / "exports" / "releases" / "v2026-01-05"

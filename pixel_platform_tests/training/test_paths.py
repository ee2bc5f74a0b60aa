"""One local training state directory: the CLI, the Dagster resource and `run` agree on it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from pixel_platform.cli.train import _backend_for
from pixel_platform.defs.training.resources import TrainingBackendResource
from pixel_platform.storage.settings import StorageSettings
from pixel_platform.training.backends import LocalBackend, open_backend
from pixel_platform.training.paths import local_training_dirs


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PIXEL_TRAINING_STATE_DIR", "PIXEL_CHECKPOINT_ROOT", "DATASET_STORAGE_BACKEND",
                 "DATASET_STORAGE_LOCAL_PATH"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def test_beside_the_local_bucket_by_default(tmp_path: Path) -> None:
    dirs = local_training_dirs(bucket_root=tmp_path / "bucket")
    assert dirs.state_dir == tmp_path / "training_state"
    assert dirs.checkpoint_root == tmp_path / "checkpoints"
    settings = StorageSettings(backend="local", local_path=tmp_path / "bucket")
    assert local_training_dirs(settings) == dirs


def test_one_env_name_overrides_everywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIXEL_TRAINING_STATE_DIR", str(tmp_path / "jobs"))
    monkeypatch.setenv("PIXEL_CHECKPOINT_ROOT", str(tmp_path / "ckpt"))
    dirs = local_training_dirs(bucket_root=tmp_path / "bucket")
    assert (dirs.state_dir, dirs.checkpoint_root) == (tmp_path / "jobs", tmp_path / "ckpt")


def test_cli_dagster_and_run_use_the_same_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pixel_platform.cli.run_pipeline import resources_for

    bucket = tmp_path / "bucket"
    bucket.mkdir()
    expected = local_training_dirs(bucket_root=bucket)
    # what `pixel-platform train status --storage-root BUCKET` opens
    cli = _backend_for(argparse.Namespace(backend="local", storage_root=str(bucket),
                                          checkpoint_root=None), "local-x")  # fmt: skip
    # what the Dagster resource opens for that bucket (UI materializations)
    dagster = TrainingBackendResource().open(str(bucket))
    # what `pixel-platform run --storage-root BUCKET` gives its assets
    args = argparse.Namespace(registry=None, curation_config=None)
    resource = resources_for(StorageSettings(backend="local", local_path=bucket), args)["training"]
    run = resource.open(str(bucket))
    plain = open_backend("local", store_root=bucket)
    for backend in (cli, dagster, run, plain):
        assert isinstance(backend, LocalBackend)
        assert backend.state_dir.resolve() == expected.state_dir
        assert backend.checkpoint_root.resolve() == expected.checkpoint_root
    # the default bucket from the checkout root: data/bucket -> data/training_state
    monkeypatch.chdir(tmp_path)
    assert local_training_dirs().state_dir == (tmp_path / "data" / "training_state")

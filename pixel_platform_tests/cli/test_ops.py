"""``pixel-platform inventory``: a missing local bucket is an error, never an empty bucket."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixel_platform.cli.main import main


def test_inventory_without_a_bucket_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("DATASET_STORAGE_BACKEND", "DATASET_STORAGE_LOCAL_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # not a checkout: ./data/bucket does not exist
    assert main(["inventory"]) == 2
    err = capsys.readouterr().err
    assert f"no local bucket at {tmp_path / 'data' / 'bucket'}" in err and "--storage-root" in err
    assert not (tmp_path / "data").exists()


def test_inventory_of_a_bucket(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bucket = tmp_path / "bucket"
    (bucket / "gdrive/raw/Psych8k").mkdir(parents=True)
    (bucket / "gdrive/raw/Psych8k/a.jsonl").write_text('{"instruction": "x", "output": "y"}\n')
    assert main(["inventory", "--storage-root", str(bucket)]) == 0
    out = capsys.readouterr().out
    assert "mental_health_datasets" in out and "coverage report:" in out


def test_each_storage_root_has_its_own_dagster_instance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pixel_platform.cli.common import PROJECT_ROOT, ensure_dagster_home

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    a = ensure_dagster_home(str(tmp_path / "a" / "bucket"))
    monkeypatch.delenv("DAGSTER_HOME")  # it exports the home it chose, for Dagster
    b = ensure_dagster_home(str(tmp_path / "b" / "bucket"))
    assert (a, b) == (tmp_path / "a" / ".dagster", tmp_path / "b" / ".dagster")
    assert (a / "dagster.yaml").resolve() == (PROJECT_ROOT / "dagster.yaml").resolve()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))  # an explicit home wins
    assert ensure_dagster_home(str(tmp_path / "a" / "bucket")) == tmp_path / "home"

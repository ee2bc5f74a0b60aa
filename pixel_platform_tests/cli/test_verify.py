"""``pixel-platform verify``: argument parsing, gate selection, JSON output, exit codes.
Tampered releases are verified in ``pixel_platform_tests/release/test_tamper.py``."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from pixel_platform.cli import verify
from pixel_platform.registry.model import DEFAULT_REGISTRY, load_registry
from pixel_platform_tests.release.support import Built, build_synthetic


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_synthetic(
        tmp_path_factory.mktemp("verify") / "bucket", load_registry(DEFAULT_REGISTRY)
    )


@pytest.fixture(autouse=True)
def _bundled_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PIXEL_REGISTRY", raising=False)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pixel-platform")
    verify.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def test_selected_gates_and_json_to_stdout(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _parser().parse_args(
        ["verify", str(built.release_dir), "--gate", "hash", "--gate", "split", "--json", "-"]
    )
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "PASS hash" in out and "PASS split" in out and "coverage" not in out
    document = json.loads(out[out.index("{") :])
    assert document["passed"] is True
    assert [g["name"] for g in document["gates"]] == ["hash", "split"]


def test_a_failing_gate_exits_non_zero_and_names_it(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release = tmp_path / "release"
    shutil.copytree(built.release_dir, release)
    (release / "stats.json").unlink()
    args = _parser().parse_args(["verify", str(release), "--report"])
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert "FAIL stats: " in out and "stats_missing=1" in out
    assert "FAIL hash: file_missing=1" in out
    assert "FAIL fidelity: fidelity_stats_missing=1" in out  # nothing to compare: fail closed
    gates_line, verdict = out.rstrip().splitlines()[-2:]
    assert gates_line.endswith("3 failed (hash, stats, fidelity)")
    assert verdict.startswith("manifest authenticity: NOT CHECKED")


def test_main_dispatches_verify_once_wired(built: Built) -> None:
    from pixel_platform.cli import main

    parser = main.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    if "verify" not in commands:
        pytest.skip("verify is not wired into pixel_platform.cli.main yet")
    assert main.main(["verify", str(built.release_dir), "--gate", "coverage"]) == 0


def test_release_keygen_prints_the_key_and_how_to_use_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pixel_platform.cli import main

    assert main.main(["release", "keygen", "--out", str(tmp_path / "keys")]) == 0
    out = capsys.readouterr().out
    private, public = tmp_path / "keys/release-signing.key", tmp_path / "keys/release-signing.pub"
    assert private.is_file() and public.is_file()
    assert f"PIXEL_RELEASE_SIGNING_KEY={private}" in out
    assert f"--public-key {public}" in out
    assert b"PRIVATE KEY" not in out.encode(), "the key itself is never printed"
    assert main.main(["release", "keygen", "--out", str(tmp_path / "keys")]) == 2
    assert "never overwritten" in capsys.readouterr().err


def test_dagster_instance_without_an_instance_is_an_error(
    built: Built,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pixel_platform.cli import main

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setattr(verify, "PROJECT_ROOT", tmp_path)  # a checkout without .dagster/
    assert main.main(["verify", str(built.release_dir), "--dagster-instance"]) == 2
    assert "no Dagster instance (set DAGSTER_HOME)" in capsys.readouterr().err
    assert not (tmp_path / ".dagster").exists(), "verify creates no instance"


@pytest.mark.parametrize("form", ["latest", "version", "bucket_path", "directory"])
def test_a_release_is_named_as_latest_a_version_a_bucket_path_or_a_directory(
    built: Built, form: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = built.release_dir.parents[2]  # <bucket>/exports/releases/<version>
    version = built.release_dir.name
    name = {"latest": "latest", "version": version, "directory": str(built.release_dir),
            "bucket_path": f"exports/releases/{version}"}[form]  # fmt: skip
    monkeypatch.chdir(bucket.parent)  # as from a checkout whose bucket is ./<bucket name>
    monkeypatch.setenv("DATASET_STORAGE_BACKEND", "local")
    monkeypatch.setenv("DATASET_STORAGE_LOCAL_PATH", str(bucket))
    args = _parser().parse_args(["verify", name, "--gate", "hash"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Release {version} at ") and "PASS hash" in out
    # the version the folder names is compared with the manifest's, whatever the form
    assert "the path names no release version" not in out


def test_an_unknown_release_name_is_a_clear_error(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _parser().parse_args(["verify", "v1999-01-01", "--storage-root", str(tmp_path)])
    assert args.func(args) == 2
    assert "v1999-01-01 is not a release directory, nor a release in" in capsys.readouterr().err
    args = _parser().parse_args(["verify", "latest", "--storage-root", str(tmp_path)])
    assert args.func(args) == 2
    assert "no release is marked LATEST" in capsys.readouterr().err

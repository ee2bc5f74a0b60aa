"""``pixel-platform run --waive-coverage FAMILY:REASON``: checked before any work, handed to the
release asset's run config, recorded in the manifest as from the CLI and printed."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import orjson
import pytest
import yaml

from pixel_platform.cli.main import build_parser, main
from pixel_platform.cli.run import release_ops_config
from pixel_platform.registry.model import DEFAULT_REGISTRY
from pixel_platform.release import list_releases
from pixel_platform.storage.local import LocalObjectStore

SAMPLE = Path(__file__).resolve().parents[2] / "pixel_platform" / "sample_data" / "bucket"
PRESENT, ABSENT = "edge_case_resulting_chats", "sarcasm"  # sarcasm's source holds nothing here


def _run(tmp_path: Path, *flags: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        mp.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
        with contextlib.redirect_stderr(err):
            code = main(["run", "--storage-root", str(tmp_path / "bucket"), "--no-train", *flags])
    return code, out.getvalue() + err.getvalue()


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("no_such_family:typo", "family 'no_such_family', which the registry does not have"),
        (ABSENT, f"coverage waiver '{ABSENT}' (cli) needs a reason: FAMILY:REASON"),
        (f"{ABSENT}:  ", "needs a reason"),
    ],
)
def test_a_bad_waiver_fails_before_any_work(tmp_path: Path, flag: str, message: str) -> None:
    code, printed = _run(tmp_path, "--waive-coverage", flag)
    assert code == 2 and message in printed
    assert not (tmp_path / "bucket").exists() and not (tmp_path / "dagster_home").exists()


def test_the_flags_become_the_release_assets_run_config() -> None:
    parser = build_parser()
    assert release_ops_config(parser.parse_args(["run"])) is None
    args = parser.parse_args(["run", "--waive-coverage", "a:x", "--waive-coverage", "b:y: z"])
    assert release_ops_config(args) == {
        "dataset_release": {"config": {"waive_coverage": ["a:x", "b:y: z"]}}
    }


@pytest.fixture(scope="module")
def small_bucket(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A registry of two families, one of them (``ABSENT``) with no data in the bucket."""
    tmp = tmp_path_factory.mktemp("waivers")
    data = yaml.safe_load(DEFAULT_REGISTRY.read_text())
    data["families"] = {name: data["families"][name] for name in (PRESENT, ABSENT)}
    data.pop("not_ingested", None)
    registry = tmp / "registry.yaml"
    registry.write_text(yaml.safe_dump(data, sort_keys=False))
    source = "edge_cases/resulting_chats"
    shutil.copytree(SAMPLE / source, tmp / "bucket" / source)
    return tmp, registry


@pytest.mark.integration
def test_a_cli_waiver_lets_the_release_lack_the_family_and_is_recorded(
    small_bucket: tuple[Path, Path],
) -> None:
    tmp, registry = small_bucket
    flags = ("--registry", str(registry), "--no-sample", "--family", PRESENT, "--family", ABSENT)
    code, printed = _run(tmp, *flags)
    assert code == 1, "without the waiver"
    (failed,) = list_releases_of(tmp / "bucket")
    manifest = orjson.loads((failed / "manifest.json").read_bytes())
    (coverage,) = (g for g in manifest["gates"]["results"] if g["name"] == "coverage")
    assert coverage["violations"] == {"family_missing": 1}

    reason = "no data yet: ticket 42"
    code, printed = _run(tmp, *flags, "--waive-coverage", f"{ABSENT}:{reason}")
    assert code == 0, printed
    assert f"coverage waived for {ABSENT} (cli): {reason}" in printed
    waived = list_releases_of(tmp / "bucket")[-1]
    assert waived != failed
    manifest = orjson.loads((waived / "manifest.json").read_bytes())
    recorded = [{"family": ABSENT, "reason": reason, "source": "cli"}]
    assert manifest["options"]["coverage_waivers"] == recorded
    assert manifest["counts"]["by_family"] == {PRESENT: manifest["counts"]["total"]}
    (coverage,) = (g for g in manifest["gates"]["results"] if g["name"] == "coverage")
    assert coverage["passed"] and coverage["metadata"]["waivers"] == recorded
    assert reason in (waived / "report.html").read_text()
    assert main(["verify", str(waived), "--registry", str(registry)]) == 0


def list_releases_of(bucket: Path) -> list[Path]:
    return [bucket / "exports/releases" / v for v in list_releases(LocalObjectStore(bucket))]

"""The main job end to end on the bundled sample: ingest -> curation -> dedup -> gated release.

One run (about a minute) is shared by the tests of this module; the tamper tests work on copies.
"""

import shutil
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import orjson
import pytest

from pixel_platform.cli.main import main
from pixel_platform.defs.curation.resources import CurationConfigResource
from pixel_platform.defs.release.assets import RELEASE_KEY, dataset_release, gate_checks
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.pipeline import layout
from pixel_platform.registry import load_registry
from pixel_platform.release import GATES, list_releases, read_latest
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.test_tamper import CASES, Records, _load, _save

pytestmark = pytest.mark.integration


def _local_resources(bucket: Path) -> dict[str, object]:
    """The resources the release asset needs, on a local bucket and the bundled registry."""
    return {
        "storage": StorageResource(backend="local", local_path=str(bucket)),
        "registry": RegistryResource(),
        "curation": CurationConfigResource(),
    }


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    tmp = tmp_path_factory.mktemp("run")
    root, home = tmp / "bucket", tmp / "dagster_home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        code = main(["run", "--storage-root", str(root)])
    return root, home, str(code)


def test_run_processes_every_family_and_accounts(sample_run: tuple[Path, Path, str]) -> None:
    root, _, code = sample_run
    assert code == "0"
    registry = load_registry()
    units = out = 0
    for name, family in registry.families.items():
        for source in family.sources:
            stats_path = root / layout.processed_stats_key(name, source.location)
            assert stats_path.is_file(), f"{name} {source.location} not processed"
            stats = orjson.loads(stats_path.read_bytes())
            assert stats["units_in"] == stats["records_out"] + stats["quarantined"]
            curated = orjson.loads(
                (root / layout.curated_stats_key(name, source.location)).read_bytes()
            )
            assert curated["units_in"] == stats["records_out"]
            units += stats["units_in"]
            out += stats["records_out"]
    assert out > 1000 and units > out


def test_run_publishes_a_release_whose_gates_pass(sample_run: tuple[Path, Path, str]) -> None:
    root, _, _ = sample_run
    store = LocalObjectStore(root)
    versions = list_releases(store)
    assert len(versions) == 1 and read_latest(store) == versions[0]
    manifest = orjson.loads(
        (root / "exports/releases" / versions[0] / "manifest.json").read_bytes()
    )
    assert manifest["gates"]["passed"] is True
    assert set(manifest["counts"]["by_family"]) == set(load_registry().families)
    assert (root / "final_dataset/manifest.json").is_file()
    assert main(["verify", str(root / "exports/releases" / versions[0])]) == 0


@pytest.mark.parametrize(("gate", "tamper", "also"), CASES, ids=[c[0] for c in CASES])
def test_tampering_fails_the_named_check_and_verify(
    sample_run: tuple[Path, Path, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gate: str,
    tamper: Callable[[Records], None],
    also: set[str],
) -> None:
    """The six tampers of the release issue, on the sample's release: each fails the named
    blocking asset check (what the UI shows as check status) and ``pixel-platform verify``."""
    root, home, _ = sample_run
    bucket = tmp_path / "bucket"  # a copy per case: the shared release stays untouched
    shutil.copytree(root, bucket)
    version = list_releases(LocalObjectStore(bucket))[0]
    release = bucket / "exports/releases" / version
    for path in release.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    records = _load(release)
    tamper(records)
    _save(records)

    resources = _local_resources(bucket)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        result = dg.materialize(
            [dataset_release, *gate_checks],
            instance=dg.DagsterInstance.get(),
            resources=resources,
            selection=dg.AssetSelection.checks_for_assets(RELEASE_KEY),
            raise_on_error=False,
        )
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {f"dataset_release_{g}" for g in GATES}
    failed = {name.removeprefix("dataset_release_") for name, ok in evaluations.items() if not ok}
    assert gate in failed
    assert failed <= {gate} | also, f"unexpected failures: {failed - {gate} - also}"

    capsys.readouterr()
    assert main(["verify", str(release)]) == 1
    assert f"FAIL {gate}" in capsys.readouterr().out


def test_nothing_new_builds_nothing_and_force_builds_a_version(
    sample_run: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A second run over the same data (the nightly after a sync that brought nothing): every
    partition's output is byte-identical, dedup finds its inputs unchanged, and the release asset
    materializes nothing (its checks are skipped), so no version is added and LATEST stays. With
    ``force`` a new version of the same records is built.

    This works on the module's bucket itself, not a copy (a copied file is a new inode, hence a
    new local ETag, which rightly counts as a change), so it is the module's last test."""
    root, home, _ = sample_run
    store = LocalObjectStore(root)
    before = list_releases(store)
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        assert main(["run", "--no-train", "--no-sample", "--storage-root", str(root)]) == 0
    assert f"release {before[-1]} is up to date with its inputs" in capsys.readouterr().out
    assert list_releases(store) == before and read_latest(store) == before[-1]

    resources = _local_resources(root)
    from pixel_platform.defs.curation.assets import build_dedup_asset

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        instance = dg.DagsterInstance.get()
        dedup = dg.materialize(
            [build_dedup_asset(load_registry())], instance=instance, resources=resources
        )
        (event,) = dedup.get_asset_materialization_events()
        assert event.materialization.metadata["up_to_date"].value is True
        idle = dg.materialize(
            [dataset_release, *gate_checks], instance=instance, resources=resources
        )
        assert idle.success
        assert idle.get_asset_materialization_events() == []
        assert idle.get_asset_check_evaluations() == []
        assert list_releases(store) == before

        forced = dg.materialize(
            [dataset_release, *gate_checks],
            instance=instance,
            resources=resources,
            run_config={"ops": {"dataset_release": {"config": {"force": True}}}},
        )
    assert forced.success
    (new,) = [v for v in list_releases(store) if v not in before]
    assert read_latest(store) == new
    evaluations = forced.get_asset_check_evaluations()
    assert all(e.passed for e in evaluations) and len(evaluations) == len(GATES)
    # The build's results stand for the untouched release; only the hash gate runs again.
    sources = {e.check_name: e.metadata["result_from"].value for e in evaluations}
    assert sources.pop("dataset_release_hash") == "recomputed on the published files"
    assert set(sources.values()) == {"the build's result (files verified against the manifest)"}
    same = [
        (root / "exports/releases" / v / "compiled/final_training_dataset.jsonl").read_bytes()
        for v in (before[-1], new)
    ]
    assert same[0] == same[1], "a forced build of the same inputs has the same records"

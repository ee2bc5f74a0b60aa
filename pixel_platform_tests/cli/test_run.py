"""The main job end to end on the bundled sample: ingest -> curation -> dedup -> gated release.

One run (about a minute) is shared by the tests of this module; the tamper test runs last
because it changes the published release.
"""

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

pytestmark = pytest.mark.integration


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
            curated = orjson.loads((root / layout.curated_stats_key(name, source.location)).read_bytes())
            assert curated["units_in"] == stats["records_out"]
            units += stats["units_in"]
            out += stats["records_out"]
    assert out > 1000 and units > out


def test_run_publishes_a_release_whose_gates_pass(sample_run: tuple[Path, Path, str]) -> None:
    root, _, _ = sample_run
    store = LocalObjectStore(root)
    versions = list_releases(store)
    assert len(versions) == 1 and read_latest(store) == versions[0]
    manifest = orjson.loads((root / "exports/releases" / versions[0] / "manifest.json").read_bytes())
    assert manifest["gates"]["passed"] is True
    assert set(manifest["counts"]["by_family"]) == set(load_registry().families)
    assert (root / "final_dataset/manifest.json").is_file()
    assert main(["verify", str(root / "exports/releases" / versions[0])]) == 0


def test_tampered_release_fails_the_hash_check_and_verify(
    sample_run: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    root, home, _ = sample_run
    store = LocalObjectStore(root)
    version = list_releases(store)[0]
    shard = sorted((root / "exports/releases" / version / "shards/train").glob("*.jsonl"))[0]
    lines = shard.read_bytes().splitlines()
    record = orjson.loads(lines[0])
    record["messages"][-1]["content"] += " (edited after publishing)"
    lines[0] = orjson.dumps(record)
    shard.chmod(0o644)
    shard.write_bytes(b"\n".join(lines) + b"\n")

    resources = {
        "storage": StorageResource(backend="local", local_path=str(root)),
        "registry": RegistryResource(),
        "curation": CurationConfigResource(),
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        instance = dg.DagsterInstance.get()
        result = dg.materialize(
            [dataset_release, *gate_checks],
            instance=instance,
            resources=resources,
            selection=dg.AssetSelection.checks_for_assets(RELEASE_KEY),
            raise_on_error=False,
        )
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {f"dataset_release_{g}" for g in GATES}
    assert evaluations["dataset_release_hash"] is False
    assert evaluations["dataset_release_coverage"] is True

    capsys.readouterr()
    assert main(["verify", str(root / "exports/releases" / version)]) != 0
    assert "hash" in capsys.readouterr().out.lower()

"""The main job end to end on the bundled sample: ingest -> curation -> dedup -> gated release.

One run (about a minute) is shared by the tests of this module; the tamper tests work on copies.
"""

import contextlib
import hashlib
import io
import shutil
from pathlib import Path

import dagster as dg
import orjson
import pytest
import yaml

from pixel_platform.cli.common import ensure_dagster_home
from pixel_platform.cli.main import main
from pixel_platform.defs.curation.resources import CurationConfigResource
from pixel_platform.defs.release.assets import (
    BIAS_QA_CHECK,
    RELEASE_KEY,
    dataset_release,
    gate_checks,
)
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.pipeline import layout
from pixel_platform.pipeline.inventory import take_inventory
from pixel_platform.registry import load_registry
from pixel_platform.registry.model import DEFAULT_REGISTRY
from pixel_platform.release import GATES, list_releases, read_latest
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.test_tamper import CASES, Tamper, _load, _save

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
    # The registry maps the whole seed layout; the sample fills some sources of each family.
    partitions = take_inventory(LocalObjectStore(root), registry).partitions()
    assert all(partitions.values()), "every family has data in the sample"
    for name, locations in partitions.items():
        for location in locations:
            stats_path = root / layout.processed_stats_key(name, location)
            assert stats_path.is_file(), f"{name} {location} not processed"
            stats = orjson.loads(stats_path.read_bytes())
            assert stats["units_in"] == stats["records_out"] + stats["quarantined"]
            curated = orjson.loads((root / layout.curated_stats_key(name, location)).read_bytes())
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
    # Every family ships, or the release denied all of its records for their licence (the
    # registry's real licences: unknown or non-commercial ones in this commercial build).
    (coverage,) = (g for g in manifest["gates"]["results"] if g["name"] == "coverage")
    denied = set(coverage["metadata"]["licence_denied"])
    assert set(manifest["counts"]["by_family"]) | denied == set(load_registry().families)
    assert not set(manifest["counts"]["by_family"]) & denied
    assert (root / "final_dataset/manifest.json").is_file()
    assert main(["verify", str(root / "exports/releases" / versions[0])]) == 0


def test_the_run_records_the_manifest_digest_that_verify_checks(
    sample_run: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The run's Dagster instance holds the published manifest's digest (the release asset's
    materialization), and ``verify --dagster-instance`` authenticates the release with it."""
    root, home, _ = sample_run
    version = list_releases(LocalObjectStore(root))[0]  # the run's own (a later test adds one)
    release = root / "exports/releases" / version
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        assert main(["verify", str(release), "--dagster-instance", "--gate", "hash"]) == 0
    out = capsys.readouterr().out
    digest = "sha256:" + hashlib.sha256((release / "manifest.json").read_bytes()).hexdigest()
    assert f"manifest {digest}" in out and "PASS authenticity" in out
    assert "manifest authenticity: verified (dagster instance" in out


@pytest.mark.parametrize("case", CASES, ids=[c.gate for c in CASES])
def test_tampering_fails_the_named_check_and_verify(
    sample_run: tuple[Path, Path, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: Tamper,
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
    case.edit(records)
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
    assert set(evaluations) == {f"dataset_release_{g}" for g in GATES} | {BIAS_QA_CHECK}
    evaluations.pop(BIAS_QA_CHECK)  # warnings about the report's numbers, never a gate
    failed = {name.removeprefix("dataset_release_") for name, ok in evaluations.items() if not ok}
    case.check_failed(failed)

    capsys.readouterr()
    assert main(["verify", str(release)]) == 1
    assert f"FAIL {case.gate}" in capsys.readouterr().out


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
    evaluations = [e for e in forced.get_asset_check_evaluations() if e.check_name != BIAS_QA_CHECK]
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


# -- a bucket of the user's own data alone (issue 11, item 5) -------------------------------------
USER_SOURCES = ("gdrive/raw/datasets-wendy/", "edge_cases/resulting_chats/")
USER_FAMILIES = {"priority_datasets", "edge_case_resulting_chats"}
# Families the user's registry keeps with only their generator outputs as sources.
DERIVED_FAMILIES = {
    "cptsd",
    "voice_persona",
    "pretraining_text",
    "long_running_therapy",
    "preference_pairs",
    "edge_case_synthetic",
}
NO_TRANSCRIPTS = "skipped: no inputs under voice/monologues/, voice/transcripts_raw/"


def _user_registry(path: Path) -> Path:
    """The bundled registry cut down to the user's two families and the derived families (their
    generator outputs only): no voice/ transcripts, no counsel-chat CSV anywhere."""
    data = yaml.safe_load(DEFAULT_REGISTRY.read_text())
    families = {}
    for name, spec in data["families"].items():
        if name in DERIVED_FAMILIES:
            spec["sources"] = [s for s in spec["sources"] if s.get("produced_by")]
        elif name not in USER_FAMILIES:
            continue
        families[name] = spec
    data["families"] = families
    data.pop("not_ingested", None)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def user_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str, str]:
    tmp = tmp_path_factory.mktemp("user_run")
    root, home = tmp / "bucket", tmp / "dagster_home"
    sample = Path(__file__).resolve().parents[2] / "pixel_platform" / "sample_data" / "bucket"
    for prefix in USER_SOURCES:
        shutil.copytree(sample / prefix, root / prefix)
    registry = _user_registry(tmp / "registry.yaml")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        ensure_dagster_home()
        # A partition an earlier run registered (another bucket) that holds nothing here.
        dg.DagsterInstance.get().add_dynamic_partitions(
            "priority_datasets_sources", ["gdrive/raw/elsewhere/"]
        )
        capture = io.StringIO()
        with contextlib.redirect_stdout(capture):
            code = main(
                [
                    "run",
                    "--storage-root",
                    str(root),
                    "--registry",
                    str(registry),
                    "--no-sample",
                    "--no-train",
                ]
            )
    return root, registry, str(code), capture.getvalue()


def test_user_data_alone_publishes_a_release_with_every_gate_passed(
    user_run: tuple[Path, Path, str, str],
) -> None:
    root, registry, code, printed = user_run
    assert code == "0", printed
    store = LocalObjectStore(root)
    (version,) = list_releases(store)
    assert read_latest(store) == version
    manifest = orjson.loads((root / "exports/releases" / version / "manifest.json").read_bytes())
    assert manifest["gates"]["passed"] is True
    assert {g["name"] for g in manifest["gates"]["results"] if g["passed"]} == set(GATES)
    assert set(manifest["counts"]["by_family"]) >= USER_FAMILIES
    # Derived families that got nothing to generate from are named, with why, in the manifest;
    # the user's own families never are.
    skipped = manifest["options"]["derived_skipped"]
    for family, generator in (
        ("cptsd", "cptsd_transcripts_source"),
        ("voice_persona", "voice_persona_source"),
        ("pretraining_text", "pretraining_text_source"),
    ):
        assert skipped[family] == f"{generator} {NO_TRANSCRIPTS}"
        assert family not in manifest["counts"]["by_family"]
    counsel = "skipped: no inputs under acquired/counsel_chat/counsel_chat_sample.csv"
    assert ("preference_pairs" in skipped) != (
        "preference_pairs" in manifest["counts"]["by_family"]
    )
    if "preference_pairs" in skipped:
        assert counsel in skipped["preference_pairs"]
    assert not set(skipped) & USER_FAMILIES
    assert set(skipped) | set(manifest["counts"]["by_family"]) == set(
        load_registry(registry).families
    )
    (coverage,) = (g for g in manifest["gates"]["results"] if g["name"] == "coverage")
    assert set(coverage["metadata"]["waived"]) == set(skipped)
    assert (
        main(["verify", str(root / "exports/releases" / version), "--registry", str(registry)]) == 0
    )


def test_user_run_prints_each_skipped_generator_with_its_reason(
    user_run: tuple[Path, Path, str, str],
) -> None:
    root, _, _, printed = user_run
    for asset, key in (
        ("cptsd_transcripts_source", "derived/cptsd/cptsd_transcripts.jsonl"),
        ("voice_persona_source", "derived/voice_persona/persona_conversations.jsonl"),
        ("pretraining_text_source", "derived/pretraining_text/transcripts_text.jsonl"),
    ):
        assert f"{asset:30} {key}: {NO_TRANSCRIPTS}" in printed
        assert not (root / key).exists()
    counsel = "derived/preference_pairs/counsel_chat/pairs.jsonl"
    assert (
        f"{'preference_pairs_source':30} {counsel}:"
        " skipped: no inputs under acquired/counsel_chat/counsel_chat_sample.csv"
    ) in printed
    assert "derived family cptsd skipped (recorded in the manifest)" in printed
    assert "not run: 1 registered partition(s) with no objects in this bucket now" in printed
    assert "priority_datasets:gdrive/raw/elsewhere/" in printed

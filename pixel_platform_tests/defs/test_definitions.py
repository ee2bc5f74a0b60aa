import dagster as dg

from pixel_platform.defs.definitions import build_definitions, defs
from pixel_platform.registry import load_registry


def test_definitions_keys() -> None:
    registry = load_registry()
    graph = defs.resolve_asset_graph()
    expected_assets = {
        dg.AssetKey("source_inventory"),
        dg.AssetKey("deduplicated_conversations"),
        dg.AssetKey("dataset_release"),
        dg.AssetKey("long_running_therapy_source"),
        dg.AssetKey("edge_case_synthetic_source"),
    }
    for family in registry.families:
        expected_assets |= {
            dg.AssetKey(["raw", family]),
            dg.AssetKey(["processed", family]),
            dg.AssetKey(["curated", family]),
        }
    assert expected_assets <= set(graph.get_all_asset_keys())

    check_keys = {key.name for key in graph.asset_check_keys}
    assert {f"processed_{f}_accounting" for f in registry.families} <= check_keys
    assert {f"curated_{f}_accounting" for f in registry.families} <= check_keys
    assert {
        "deduplicated_conversations_accounting",
        "deduplicated_conversations_duplicate_rate",
    } <= check_keys

    gates = {
        "coverage", "leakage", "distribution", "pii", "provenance",
        "hash", "split", "stats", "dedup", "accounting", "fidelity",
    }  # fmt: skip
    release_checks = {
        key.name
        for key in graph.asset_check_keys
        if key.asset_key == dg.AssetKey("dataset_release")
    }
    assert release_checks == {f"dataset_release_{g}" for g in gates}
    for key in graph.asset_check_keys:
        # evaluation metrics are reports against targets, not gates: everything else blocks
        if key.asset_key != dg.AssetKey("model_evaluation"):
            assert graph.get_check_spec(key).blocking, key

    assert {s.name for s in defs.schedules or []} == {"nightly_release_schedule"}
    job_names = {job.name for job in defs.resolve_all_job_defs()}
    assert "dataset_release_job" in job_names
    assert {f"ingest_{f}_job" for f in registry.families} <= job_names
    assert {"source_inventory_job", "gdrive_sync_job"} <= job_names

    assert {s.name for s in defs.sensors or []} >= {"gdrive_sync_sensor"}


def test_raw_to_processed_lineage_and_partitions() -> None:
    graph = build_definitions().resolve_asset_graph()
    for family in load_registry().families:
        processed = graph.get(dg.AssetKey(["processed", family]))
        assert dg.AssetKey(["raw", family]) in processed.parent_keys
        curated = graph.get(dg.AssetKey(["curated", family]))
        assert dg.AssetKey(["processed", family]) in curated.parent_keys
        for source in load_registry().family(family).sources:
            if source.produced_by:  # derived generators feed the raw asset of their family
                raw = graph.get(dg.AssetKey(["raw", family]))
                assert dg.AssetKey(source.produced_by) in raw.parent_keys
        dedup = graph.get(dg.AssetKey("deduplicated_conversations"))
        assert dg.AssetKey(["curated", family]) in dedup.parent_keys
        partitions = processed.partitions_def
        assert isinstance(partitions, dg.DynamicPartitionsDefinition)
        assert partitions.name == f"{family}_sources"


def test_definitions_validate_loadable() -> None:
    dg.Definitions.validate_loadable(defs)


HEAVY_MODULES = ("presidio_analyzer", "spacy", "torch", "transformers", "great_expectations")


def test_loading_the_code_location_imports_no_model_library() -> None:
    """Every run worker and step process loads the code location; presidio, spaCy, torch and
    Great Expectations load only in the steps that use them (8 s saved per process)."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from pixel_platform.defs.definitions import defs\n"
        "defs.get_repository_def()\n"
        f"print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout

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
    assert release_checks == {f"dataset_release_{g}" for g in gates} | {"dataset_release_bias_qa"}
    for key in graph.asset_check_keys:
        # evaluation metrics and the Bias/QA report are reports against targets, not gates:
        # everything else blocks
        reports = key.asset_key == dg.AssetKey("model_evaluation") or key.name.endswith("bias_qa")
        if not reports:
            assert graph.get_check_spec(key).blocking, key
    assert not graph.get_check_spec(
        dg.AssetCheckKey(dg.AssetKey("dataset_release"), "dataset_release_bias_qa")
    ).blocking

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


# -- What the UI shows -----------------------------------------------------------------------------
LAYERS = ("raw", "processed", "curated")


def test_each_family_layer_is_a_group_with_its_layer_and_family_named() -> None:
    """A graph node shows only the key's last part (``cptsd`` for all three layers): the layer
    is the group's name, the tags and the description's opening name layer and family."""
    graph = defs.resolve_asset_graph()
    for family in load_registry().families:
        for layer in LAYERS:
            node = graph.get(dg.AssetKey([layer, family]))
            assert node.group_name == layer
            assert node.tags["layer"] == layer and node.tags["family"] == family
            assert (node.description or "").startswith(f"{layer.capitalize()} {family}:")
    assert graph.get(dg.AssetKey("source_inventory")).group_name == "raw"
    assert graph.get(dg.AssetKey("deduplicated_conversations")).group_name == "curated"
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == {"derived", "raw", "processed", "curated", "release", "training", "review"}


def test_no_badge_claims_a_storage_backend() -> None:
    """Local or S3 is chosen by the environment, after the definitions are built."""
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        assert not graph.get(key).kinds & {"s3", "gcs", "azure", "local"}, key


def test_step_keys_do_not_repeat_the_asset_name() -> None:
    """A gate check's step key and output are its name (``dataset_release_hash``), never the
    asset's name twice (``dataset_release_dataset_release_hash``, what ``@asset_check`` makes).
    Checks declared on their asset (accounting, evaluation) run in the asset's own step."""
    repo = defs.get_repository_def()
    nodes = {node.name: node for node in repo.get_implicit_global_asset_job_def().graph.node_defs}
    graph = defs.resolve_asset_graph()
    prefixes = {key.to_python_identifier() for key in graph.get_all_asset_keys()}
    doubled = {step for step in nodes for p in prefixes if step.startswith(f"{p}_{p}")}
    assert not doubled
    release = dg.AssetKey("dataset_release")
    release_checks = {key.name for key in graph.asset_check_keys if key.asset_key == release}
    assert len(release_checks) == 12  # eleven gates and the Bias/QA warnings
    for check in release_checks:
        assert [out.name for out in nodes[check].output_defs] == [check]


def _descriptions() -> dict[str, str]:
    graph = defs.resolve_asset_graph()
    found = {str(key): graph.get(key).description or "" for key in graph.get_all_asset_keys()}
    for check in graph.asset_check_keys:
        found[str(check)] = graph.get_check_spec(check).description or ""
    for automation in [*(defs.sensors or []), *(defs.schedules or [])]:
        found[automation.name] = automation.description or ""
    found |= {job.name: job.description or "" for job in defs.resolve_all_job_defs()}
    return found


def test_descriptions_are_plain_text_for_users() -> None:
    """The UI shows check, sensor and schedule descriptions as they are: no markdown code marks,
    no names of code internals."""
    internals = ("ctx.", "``", "pii_memo", "scan_texts", "curation.dedup", "GateContext")
    for name, text in _descriptions().items():
        if name.startswith("__ASSET_JOB"):
            continue
        assert text.strip(), f"{name}: no description"
        assert "`" not in text, f"{name}: {text}"
        assert not [w for w in internals if w in text], f"{name}: {text}"


def test_every_gate_and_metric_check_has_its_own_description() -> None:
    from pixel_platform.defs.release.descriptions import GATE_DESCRIPTIONS
    from pixel_platform.defs.training.checks import METRIC_DESCRIPTIONS
    from pixel_platform.release import GATES
    from pixel_platform.training.evaluate import TARGETS

    assert set(GATE_DESCRIPTIONS) == set(GATES)
    assert set(METRIC_DESCRIPTIONS) == set(TARGETS)
    graph = defs.resolve_asset_graph()
    for metric in TARGETS:
        key = dg.AssetCheckKey(dg.AssetKey("model_evaluation"), f"model_evaluation_{metric}")
        description = graph.get_check_spec(key).description or ""
        assert description.startswith(METRIC_DESCRIPTIONS[metric]), description
        assert f"{TARGETS[metric]:.2f}" in description

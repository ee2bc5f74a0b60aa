import dagster as dg
import orjson

from pixel_platform.defs.ingest.assets import build_family_assets, source_inventory
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.pipeline import layout
from pixel_platform.registry import load_registry
from pixel_platform.storage.local import LocalObjectStore

GOOD = b'{"instruction": "I feel tense all day.", "input": "", "output": "What helps you unwind?"}'


def resources(store: LocalObjectStore) -> dict:
    return {
        "storage": StorageResource(backend="local", local_path=str(store.root)),
        "registry": RegistryResource(),
    }


def test_inventory_then_family_partition(local_store: LocalObjectStore) -> None:
    good = [orjson.loads(GOOD) | {"id": i} for i in range(5)]
    local_store.write_bytes("gdrive/raw/Psych8k/part1.json", orjson.dumps(good))
    local_store.write_bytes(
        "gdrive/raw/Psych8k/part2.jsonl",
        GOOD + b"\n{broken json\n" + GOOD.replace(b"tense", b"calm") + b"\n",
    )
    registry = load_registry()
    with dg.instance_for_test() as instance:
        inv = dg.materialize(
            [source_inventory], instance=instance, resources=resources(local_store)
        )
        assert inv.success
        assert instance.get_dynamic_partitions("mental_health_datasets_sources") == [
            "gdrive/raw/Psych8k/"
        ]
        assert local_store.exists(layout.coverage_report_key())

        assets = build_family_assets(registry.family("mental_health_datasets"))
        result = dg.materialize(
            assets,
            partition_key="gdrive/raw/Psych8k/",
            instance=instance,
            resources=resources(local_store),
        )
        assert result.success
        processed = next(
            e.materialization.metadata
            for e in result.get_asset_materialization_events()
            if e.asset_key == dg.AssetKey(["processed", "mental_health_datasets"])
        )
        assert processed["records_in"].value == 8
        assert processed["records_out"].value == 7
        assert processed["quarantined"].value == 1
        checks = result.get_asset_check_evaluations()
        assert [(c.check_name, c.passed) for c in checks] == [
            ("processed_mental_health_datasets_accounting", True)
        ]

    out = local_store.read_bytes(
        layout.processed_key("mental_health_datasets", "gdrive/raw/Psych8k/")
    )
    records = [orjson.loads(line) for line in out.splitlines()]
    assert len(records) == 7
    assert all(r["metadata"]["content_hash"].startswith("sha256:") for r in records)
    assert records[0]["metadata"]["provenance"]["family"] == "mental_health_datasets"
    quarantine = local_store.read_bytes(
        layout.quarantine_key("mental_health_datasets", "gdrive/raw/Psych8k/")
    )
    entry = orjson.loads(quarantine.splitlines()[0])
    assert entry["source_key"] == "gdrive/raw/Psych8k/part2.jsonl" and entry["line"] == 2


def test_processed_without_snapshot_fails_clearly(local_store: LocalObjectStore) -> None:
    registry = load_registry()
    assets = build_family_assets(registry.family("cptsd"))
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("cptsd_sources", ["gdrive/raw/cptsd/"])
        result = dg.materialize(
            assets,
            partition_key="gdrive/raw/cptsd/",
            instance=instance,
            resources=resources(local_store),
            raise_on_error=False,
        )
    assert not result.success
    failure = result.get_step_failure_events()[0]
    assert "no data objects under" in failure.step_failure_data.user_failure_data.description

import orjson

from pixel_platform.pipeline.inventory import take_inventory, write_coverage_report
from pixel_platform.registry import load_registry
from pixel_platform.storage.local import LocalObjectStore


def test_inventory_maps_objects_to_families_and_reports_gaps(local_store: LocalObjectStore) -> None:
    registry = load_registry()
    local_store.write_bytes("gdrive/raw/Psych8k/a.json", b"[1]")
    local_store.write_bytes("gdrive/raw/Psych8k/b.json", b"[22]")
    local_store.write_bytes("acquired/cot_reasoning.json", b"[]")
    local_store.write_bytes("lightning/train.json", b"[]")  # no family claims it
    local_store.write_bytes("pipeline/processed/x/conversations.jsonl", b"")  # our own output
    inventory = take_inventory(local_store, registry)

    assert inventory.families["mental_health_datasets"].objects == 2
    assert inventory.families["mental_health_datasets"].bytes == 7
    assert inventory.families["cot_reasoning"].present
    assert not inventory.families["sarcasm"].present
    assert inventory.unclaimed_objects == 1 and inventory.unclaimed_sample == [
        "lightning/train.json"
    ]
    assert inventory.partitions()["mental_health_datasets"] == ["gdrive/raw/Psych8k/"]
    assert inventory.partitions()["cot_reasoning"] == ["acquired/cot_reasoning.json"]

    report = orjson.loads(local_store.read_bytes(write_coverage_report(local_store, inventory)))
    assert "sarcasm" in report["missing_families"]
    assert report["families"]["mental_health_datasets"]["objects"] == 2

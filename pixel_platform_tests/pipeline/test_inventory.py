import orjson

from pixel_platform.pipeline.inventory import take_inventory, write_coverage_report
from pixel_platform.registry import load_registry
from pixel_platform.storage.local import LocalObjectStore


def test_inventory_maps_objects_to_families_and_reports_gaps(local_store: LocalObjectStore) -> None:
    registry = load_registry()
    local_store.write_bytes("gdrive/raw/Psych8k/a.json", b"[1]")
    local_store.write_bytes("gdrive/raw/Psych8k/b.json", b"[22]")
    local_store.write_bytes("acquired/cot_reasoning.json", b"[]")
    local_store.write_bytes("misc/notes.json", b"[]")  # no family claims it
    local_store.write_bytes("pipeline/processed/x/conversations.jsonl", b"")  # our own output
    inventory = take_inventory(local_store, registry)

    assert inventory.families["mental_health_datasets"].objects == 2
    assert inventory.families["mental_health_datasets"].bytes == 7
    assert inventory.families["cot_reasoning"].present
    assert not inventory.families["sarcasm"].present
    assert inventory.unclaimed_objects == 1 and inventory.unclaimed_sample == ["misc/notes.json"]
    assert inventory.partitions()["mental_health_datasets"] == ["gdrive/raw/Psych8k/"]
    assert inventory.partitions()["cot_reasoning"] == ["acquired/cot_reasoning.json"]

    report = orjson.loads(local_store.read_bytes(write_coverage_report(local_store, inventory)))
    assert "sarcasm" in report["missing_families"]
    assert report["families"]["mental_health_datasets"]["objects"] == 2


def test_not_ingested_objects_are_counted_apart_and_never_unclaimed(
    local_store: LocalObjectStore,
) -> None:
    registry = load_registry()
    local_store.write_bytes("gdrive/raw/_SYNC_COMPLETE.json", b"{}")  # the marker: ignored
    local_store.write_bytes("gdrive/processed/priority/priority_1_FINAL.jsonl", b"{}\n")  # mirror
    local_store.write_bytes("voice/monologues/a.txt", b"text")  # a generator's input
    local_store.write_bytes("config/moe_training_config.json", b"{}")  # reference
    local_store.write_bytes("gdrive/raw/datasets-wendy/priority_1_FINAL.jsonl", b"{}\n")
    inventory = take_inventory(local_store, registry)

    assert inventory.unclaimed_objects == 0
    assert inventory.ignored_outside_sources == 1
    assert inventory.families["priority_datasets"].objects == 1  # read once, from the raw tier
    claimed = {loc: (e.reason, e.objects) for loc, e in inventory.not_ingested.items() if e.objects}
    assert claimed == {
        "gdrive/processed/priority/": ("mirror", 1),
        "voice/monologues/": ("generator_input", 1),
        "config/": ("reference", 1),
    }
    assert "gdrive/processed/priority/" not in str(inventory.partitions())
    assert inventory.mirrors_without_source() == []

    # the raw tier gone: its mirror still holds the dataset, and the report says nothing reads it
    local_store.delete("gdrive/raw/datasets-wendy/priority_1_FINAL.jsonl")
    inventory = take_inventory(local_store, registry)
    assert inventory.mirrors_without_source() == ["gdrive/processed/priority/"]
    report = orjson.loads(local_store.read_bytes(write_coverage_report(local_store, inventory)))
    assert report["mirrors_without_source"] == ["gdrive/processed/priority/"]
    assert report["ignored_outside_sources"] == 1

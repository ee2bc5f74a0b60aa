"""Generator outcomes (``derived.status``): absent inputs are a recorded skip, and the release
excuses a family only when every source of it is a generator output that came out empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixel_platform.derived.status import (
    NO_INPUTS,
    GeneratorStatus,
    OutputStatus,
    Skipped,
    clear_status,
    derived_skipped,
    has_output,
    missing_inputs,
    read_status,
    settle_output,
    status_key,
    write_status,
)
from pixel_platform.registry.model import Registry, load_registry
from pixel_platform.storage.local import LocalObjectStore

REGISTRY = """
version: 1
licenses:
  internal-owned: {name: Owned, commercial: true}
families:
  mine:
    description: the user's own data
    stage: stage1_foundation
    license: internal-owned
    sources: [{prefix: gdrive/raw/mine/}]
  pairs:
    description: fed only by one generator, through two outputs
    stage: phaseC_preference
    license: internal-owned
    sources:
      - {prefix: derived/pairs/a/, produced_by: pairs_source}
      - {prefix: derived/pairs/b/, produced_by: pairs_source}
  mixed:
    description: a generator output and a source of the user's own
    stage: stage6_specialized_domains
    license: internal-owned
    sources:
      - {prefix: gdrive/raw/mixed/}
      - {prefix: derived/mixed/, produced_by: mixed_source}
"""
NOTHING_UNDER_A = Skipped("pairs_a", ("voice/",))


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    path = tmp_path / "registry.yaml"
    path.write_text(REGISTRY)
    return load_registry(path)


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "bucket")


def test_missing_inputs_ignores_markers_and_names_every_location(
    store: LocalObjectStore,
) -> None:
    store.write_bytes("voice/_SYNC_COMPLETE.json", b"{}")
    store.write_bytes("voice/.hidden", b"x")
    skipped = missing_inputs(store, ["voice/", "docs/a.csv"], "gen")
    assert skipped == Skipped("gen", ("voice/", "docs/a.csv"), NO_INPUTS)
    assert skipped.describe() == "no inputs under voice/, docs/a.csv"
    assert (
        skipped.describe(store)
        == f"no inputs under {store.uri('voice/')}, {store.uri('docs/a.csv')}"
    )
    store.write_bytes("docs/a.csv", b"q,a\n")
    assert missing_inputs(store, ["voice/", "docs/a.csv"], "gen") is None
    assert missing_inputs(store, "voice/", "gen") is not None


def test_status_round_trips_and_clearing_removes_it(store: LocalObjectStore) -> None:
    outputs = [
        OutputStatus("derived/pairs/a/x.jsonl", skipped=NOTHING_UNDER_A),
        OutputStatus("derived/pairs/b/x.jsonl", records=3, inputs=9, problems=1),
    ]
    key = write_status(store, "pairs_source", outputs)
    assert key == status_key("pairs_source") == "pipeline/derived/status/pairs_source.json"
    status = read_status(store, "pairs_source")
    assert status == GeneratorStatus("pairs_source", tuple(outputs))
    assert not status.skipped
    assert outputs[0].describe() == "skipped: no inputs under voice/"
    assert outputs[1].describe() == "3 records from 9 inputs"
    clear_status(store, "pairs_source")
    assert read_status(store, "pairs_source") is None
    clear_status(store, "pairs_source")  # nothing to clear is fine


def test_a_run_without_records_retracts_an_earlier_output_and_leaves_no_new_one(
    store: LocalObjectStore,
) -> None:
    """Records of an earlier run must not keep shipping once the generator makes none: they are
    replaced by an empty object (its partition is processed again to zero records). Where there
    was nothing, nothing is left: not even the empty file a writer made."""
    key = "derived/pairs/a/x.jsonl"
    store.write_bytes(key, b'{"messages": []}\n')
    status = settle_output(store, key, had_output=has_output(store, key), skipped=NOTHING_UNDER_A)
    assert status.retracted and status.produced_nothing and store.read_bytes(key) == b""
    assert status.describe() == "skipped: no inputs under voice/; the earlier output was retracted"
    assert not has_output(store, key)
    # Nothing there before, a run that read 12 inputs and made no record: the empty file goes.
    status = settle_output(store, key, had_output=False, skipped=None, inputs=12)
    assert not status.retracted and status.produced_nothing and not store.exists(key)
    store.write_bytes(key, b'{"messages": []}\n')
    status = settle_output(store, key, had_output=False, skipped=None, records=1, inputs=12)
    assert not status.produced_nothing and store.exists(key)


def _pairs(store: LocalObjectStore, b: OutputStatus) -> None:
    write_status(
        store, "pairs_source", [OutputStatus("derived/pairs/a/x.jsonl", skipped=NOTHING_UNDER_A), b]
    )


def test_a_family_fed_only_by_generators_that_made_nothing_is_skipped(
    store: LocalObjectStore, registry: Registry
) -> None:
    assert derived_skipped(store, registry) == {}  # no generator ran (or they failed): no excuse
    # a: no inputs; b: read its inputs fine and found nothing to pair (an earlier output of it
    # was retracted: the empty object is still there).
    store.write_bytes("derived/pairs/b/x.jsonl", b"")
    _pairs(store, OutputStatus("derived/pairs/b/x.jsonl", records=0, inputs=40))
    write_status(
        store,
        "mixed_source",
        [OutputStatus("derived/mixed/x.jsonl", skipped=Skipped("m", ("voice/",)))],
    )
    assert derived_skipped(store, registry) == {
        "pairs": "pairs_source skipped: no inputs under voice/;"
        " pairs_source generated no records from its inputs"
    }  # never "mine" or "mixed": a source of the user's own that holds nothing is missing


@pytest.mark.parametrize(
    "b",
    [
        OutputStatus("derived/pairs/b/x.jsonl", records=0, inputs=40, problems=2),  # broken lines
        OutputStatus("derived/pairs/b/x.jsonl", records=5, inputs=40),  # made something
        OutputStatus("derived/elsewhere/x.jsonl", skipped=NOTHING_UNDER_A),  # b not accounted for
    ],
    ids=["unreadable-lines", "records", "other-key"],
)
def test_no_excuse_when_an_output_may_hold_data_or_had_problems(
    store: LocalObjectStore, registry: Registry, b: OutputStatus
) -> None:
    _pairs(store, b)
    assert "pairs" not in derived_skipped(store, registry)


def test_no_excuse_for_objects_someone_else_put_under_the_prefix(
    store: LocalObjectStore, registry: Registry
) -> None:
    _pairs(store, OutputStatus("derived/pairs/b/x.jsonl", skipped=NOTHING_UNDER_A))
    assert "pairs" in derived_skipped(store, registry)
    store.write_bytes("derived/pairs/b/_MARKER", b"")  # a marker is not data
    assert "pairs" in derived_skipped(store, registry)
    store.write_bytes("derived/pairs/b/x.jsonl", b'{"messages": []}\n')  # records at its key
    assert "pairs" not in derived_skipped(store, registry)
    store.write_bytes("derived/pairs/b/x.jsonl", b"")
    assert "pairs" in derived_skipped(store, registry)
    store.write_bytes("derived/pairs/b/by_hand.jsonl", b'{"messages": []}\n')
    assert "pairs" not in derived_skipped(store, registry)

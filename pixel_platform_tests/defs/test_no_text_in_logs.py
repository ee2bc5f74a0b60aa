"""No conversation text reaches a log, an event, metadata or an error, whatever the input.

Every kind of bad input below carries a canary string in the places text goes (cells, keys,
roles, values, bytes of a broken line, file bodies). The partition's raw -> processed ->
curated assets run on it through Dagster with Python logging at DEBUG; then the canary is looked
for in the Dagster event log (every event, serialized), the compute logs, what the process
printed, every log record, and every file the run wrote that is not a data file (data files:
the processed and curated records and the quarantine files, which keep records or excerpts on
purpose for a person to inspect, and never reach a log).
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import orjson
import pytest

from pixel_platform.defs.curation.assets import build_curated_asset
from pixel_platform.defs.curation.resources import CurationConfigResource
from pixel_platform.defs.ingest.assets import build_family_assets, source_inventory
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.pipeline import layout
from pixel_platform.registry import load_registry
from pixel_platform.storage.local import LocalObjectStore

CANARY = "Zq7canaryXv"  # no tokenizer splits it; any fragment of a value would carry it
# A source read as one declared format (alpaca) and one whose format is detected per record.
PARTITIONS = [
    ("mental_health_datasets", "gdrive/raw/Psych8k/"),
    ("addiction", "gdrive/raw/addiction/"),
]
# What a run may write that holds records (or excerpts of them) on purpose.
DATA_FILES = ("conversations.jsonl", "quarantine.jsonl", "curation.jsonl")


def text(n: int = 0) -> str:
    return f"My friend {CANARY}{n} says call 555-0142. I feel tense all day, {CANARY}."


def bad_inputs() -> dict[str, bytes]:
    c = CANARY
    good = {"instruction": text(1), "input": "", "output": "What helps you unwind?"}
    return {
        # a CSV without a header: its first row would become the header
        "no_header.csv": f"{text(3)},{c} answer\n{text(4)},fine\n".encode(),
        # JSON keys made of text, and values of the wrong types
        "text_keys.json": orjson.dumps([{text(5): text(6)}, {"messages": {c: c}},
                                        {"messages": [{"role": c, "content": text(7)}]},
                                        {"messages": [{"role": "user", "content": [c, {c: 1}]}]},
                                        {"conversation": [{"from": c, "value": text(8)}]}]),
        # broken lines and a truncated last line
        "broken.jsonl": b"\n".join([
            orjson.dumps(good), f'{{"instruction": "{text(9)}", "output": '.encode(),
            f"{c} not json at all {c}".encode(), orjson.dumps(good)[:-9]]),
        # binary bytes, and text in a file named as the wrong type
        "binary.json": b"\x00\x01\xff" + c.encode() + b"\x00" * 50,
        "notes.txt": text(10).encode(),
        # truncated gzip, deep nesting, duplicate keys, control and bidi characters
        "cut.jsonl.gz": gzip.compress(orjson.dumps(good) + b"\n" + orjson.dumps(good))[:-20],
        "deep.json": _deep_json(400, text(11)).encode(),
        "deeper.json": ("[" * 10_000 + orjson.dumps(text(2)).decode() + "]" * 10_000).encode(),
        "dupes.jsonl": f'{{"instruction": "{text(12)}", "instruction": "{c}", "output": "ok"}}'
        .encode(),
        "controls.jsonl": orjson.dumps({"instruction": f"{text(13)}\u0000\u0007\u202e{c}",
                                        "output": f"fine \u202e{c}"}),
        # one side of a dialogue only, an empty turn, a lone surrogate
        "one_side.jsonl": orjson.dumps({"messages": [{"role": "user", "content": text(14)}]}),
        "empty_turn.jsonl": orjson.dumps({"messages": [{"role": "user", "content": text(15)},
                                                       {"role": "assistant", "content": " "}]}),
        "surrogate.json": f'[{{"instruction": "{text(16)} \\udc80", "output": "ok"}}'.encode(),
        # a record too large to keep
        "huge.jsonl": orjson.dumps({"messages": [
            {"role": ("user", "assistant")[i % 2], "content": text(i)} for i in range(30_000)]}),
    }  # fmt: skip


def _deep_json(depth: int, leaf: str) -> str:
    return '{"k": ' * depth + orjson.dumps({"text": leaf}).decode() + "}" * depth


Output = tuple[list[str], Path, LocalObjectStore, str, str]


@pytest.fixture(params=PARTITIONS, ids=[family for family, _ in PARTITIONS])
def run_output(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> Iterator[Output]:
    family, prefix = request.param
    store = LocalObjectStore(tmp_path / "bucket")
    for name, body in bad_inputs().items():
        store.write_bytes(prefix + name, body)
    registry = load_registry()
    resources = {"storage": StorageResource(backend="local", local_path=str(store.root)),
                 "registry": RegistryResource(), "curation": CurationConfigResource()}  # fmt: skip
    caplog.set_level(logging.DEBUG)
    home = tmp_path / "home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        assert dg.materialize([source_inventory], instance=instance, resources=resources).success
        assets = [*build_family_assets(registry.family(family)),
                  build_curated_asset(registry.family(family))]  # fmt: skip
        result = dg.materialize(assets, partition_key=prefix, instance=instance,
                                resources=resources, raise_on_error=False)  # fmt: skip
        events = [
            orjson.dumps(record.event_log_entry.to_dict() if hasattr(record.event_log_entry,
                         "to_dict") else repr(record.event_log_entry)).decode()
            for run in instance.get_runs()
            for record in instance.get_records_for_run(run.run_id, limit=100_000).records
        ]  # fmt: skip
        texts = events + [repr(e) for e in result.all_events]
    out, err = capfd.readouterr()
    texts += [out, err] + [r.getMessage() + repr(r.args) + str(r.exc_text) for r in caplog.records]
    yield texts, home, store, family, prefix


def test_the_bad_inputs_were_all_read_and_accounted(run_output: Output) -> None:
    _, _, store, family, prefix = run_output
    stats = orjson.loads(store.read_bytes(layout.processed_stats_key(family, prefix)))
    assert stats["units_in"] == stats["records_out"] + stats["quarantined"] > 0
    assert stats["quarantined"] >= len(bad_inputs()) - 3, stats


def test_no_canary_in_events_logs_output_or_metadata_files(run_output: Output) -> None:
    texts, home, store, _, prefix = run_output
    leaks = [t[max(0, t.find(CANARY) - 200) : t.find(CANARY) + 40] for t in texts if CANARY in t]
    assert not leaks, leaks[:5]
    written = [p for root in (home, store.root) for p in root.rglob("*") if p.is_file()]
    inputs = {store.root / (prefix + name) for name in bad_inputs()}
    leaking = [
        str(p)
        for p in written
        if p not in inputs and not p.name.endswith(DATA_FILES) and CANARY.encode() in p.read_bytes()
    ]
    assert not leaking, leaking
    # the canary did go through the pipeline: the quarantine keeps the records for a person
    kept = [p for p in written if p.name.endswith(DATA_FILES) and CANARY.encode() in p.read_bytes()]
    assert kept

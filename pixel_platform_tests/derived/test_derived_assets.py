"""The derived assets through ``dg.materialize`` on a bucket that holds only the user's data:
a generator without inputs materializes as ``status: skipped`` with its reason (issue 11, item 5),
writes nothing, and records the outcome for the release; a broken input still fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from pixel_platform.defs.curation.resources import CurationConfigResource
from pixel_platform.defs.derived.assets import build_derived_assets, build_transcript_assets
from pixel_platform.defs.resources import StorageResource
from pixel_platform.derived.status import read_status, status_key
from pixel_platform.registry.model import load_registry
from pixel_platform.storage.local import LocalObjectStore

SAMPLE = Path(__file__).resolve().parents[2] / "pixel_platform" / "sample_data" / "bucket"
TRANSCRIPTS = "no inputs under voice/monologues/, voice/transcripts_raw/"
SKIPPED = {
    "cptsd_transcripts_source": TRANSCRIPTS,
    "voice_persona_source": TRANSCRIPTS,
    "pretraining_text_source": TRANSCRIPTS,
    "long_running_therapy_source": "no inputs under pipeline/curated/",
    "preference_pairs_source": (
        "preference_pairs_counsel_chat: no inputs under"
        " acquired/counsel_chat/counsel_chat_sample.csv;"
        " preference_pairs_crisis: no inputs under pipeline/curated/"
    ),
}


def _materialize(bucket: Path, names: set[str] | None = None) -> dg.ExecuteInProcessResult:
    registry = load_registry()
    assets = [*build_derived_assets(registry), *build_transcript_assets(registry)]
    if names is not None:
        assets = [a for a in assets if a.key.to_user_string() in names]
    return dg.materialize(
        assets,
        resources={
            "storage": StorageResource(backend="local", local_path=str(bucket)),
            "curation": CurationConfigResource(),
        },
        raise_on_error=False,
    )


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    return {
        e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    }


def test_every_generator_without_inputs_materializes_as_skipped(tmp_path: Path) -> None:
    bucket = tmp_path / "bucket"
    store = LocalObjectStore(bucket)
    store.write_bytes("gdrive/raw/mine/chats.jsonl", b"{}\n")  # the user's data, not an input
    result = _materialize(bucket)
    assert result.success
    metadata = _metadata(result)
    for asset, reason in SKIPPED.items():
        assert metadata[asset]["status"] == "skipped", asset
        assert metadata[asset]["reason"] == reason
        status = read_status(store, asset)
        assert status is not None and status.skipped
        assert metadata[asset]["generator_status"] == store.uri(status_key(asset))
    assert metadata["preference_pairs_source"]["counsel_chat_status"] == "skipped"
    # The template generators need no inputs; they are the only ones that wrote derived objects.
    assert metadata["edge_case_synthetic_source"]["status"] == "generated"
    assert metadata["simulator_tasks_source"]["status"] == "generated"
    written = sorted(i.key for i in store.list("derived/"))
    assert written == [
        "derived/edge_case_synthetic/edge_cases.jsonl",
        "derived/simulator_tasks/simulator_tasks.jsonl",
    ]
    assert not store.exists("pipeline/derived/voice_persona/profile.json")


def test_a_skip_retracts_an_earlier_output_and_reports_it(tmp_path: Path) -> None:
    """Records generated from transcripts that are gone now must not keep shipping: the output
    becomes an empty object (its partition is processed again to zero records), visibly."""
    bucket = tmp_path / "bucket"
    store = LocalObjectStore(bucket)
    key = "derived/cptsd/cptsd_transcripts.jsonl"
    store.write_bytes(key, b'{"messages": [{"role": "user", "content": "q"}]}\n')
    result = _materialize(bucket, {"cptsd_transcripts_source"})
    assert result.success
    metadata = _metadata(result)["cptsd_transcripts_source"]
    assert metadata["status"] == "skipped" and metadata["reason"] == TRANSCRIPTS
    assert metadata["retracted_earlier_output"] == store.uri(key)
    assert store.read_bytes(key) == b""
    status = read_status(store, "cptsd_transcripts_source")
    assert status is not None and status.outputs[0].retracted


def test_generators_with_inputs_report_generated(tmp_path: Path) -> None:
    bucket = tmp_path / "bucket"
    store = LocalObjectStore(bucket)
    for path in (SAMPLE / "voice" / "monologues").iterdir():
        store.write_bytes(f"voice/monologues/{path.name}", path.read_bytes())
    result = _materialize(bucket, {"cptsd_transcripts_source", "pretraining_text_source"})
    assert result.success
    for asset, metadata in _metadata(result).items():
        assert metadata["status"] == "generated" and "reason" not in metadata
        assert metadata["records"] > 0
        status = read_status(store, asset)
        assert status is not None and status.outputs[0].records == metadata["records"]


@pytest.mark.parametrize("asset", ["cptsd_transcripts_source", "voice_persona_source"])
def test_a_broken_input_fails_the_asset_and_leaves_no_status(tmp_path: Path, asset: str) -> None:
    """An input that is there but cannot be read is an error, not "nothing to generate"; the
    failed run clears the earlier status, so the release cannot take it for a skip."""
    bucket = tmp_path / "bucket"
    store = LocalObjectStore(bucket)
    assert _materialize(bucket, {asset}).success  # skipped: a status is recorded
    assert read_status(store, asset) is not None
    store.write_bytes("voice/monologues/broken.json", b'{"segments": [')
    result = _materialize(bucket, {asset})
    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error
    cause = error.cause if error is not None else None
    assert cause is not None and cause.cls_name == "ConfigError"
    assert (
        "could be read (first: voice/monologues/broken.json: invalid_transcript)" in cause.message
    )
    assert read_status(store, asset) is None
    assert not any(store.list("derived/"))

"""The review assets and sensor in Dagster, against a real Label Studio server: the asset names
the missing configuration; pushed tasks and pulled decisions are counted in metadata; the sensor
requests a pull when an annotation arrives and skips when nothing changed."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import orjson
import pytest

from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.defs.review import assets as review_assets
from pixel_platform.defs.review.assets import review_decisions, review_tasks
from pixel_platform.defs.review.resources import ReviewToolResource
from pixel_platform.defs.review.sensors import review_decisions_sensor
from pixel_platform.registry.model import load_registry
from pixel_platform.review.book import PII_TASK
from pixel_platform.review.items import project_title
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.synthetic import write_inputs
from pixel_platform_tests.review.support import LabelStudioServer


def _resources(bucket: Path, tool: ReviewToolResource) -> dict[str, object]:
    return {
        "storage": StorageResource(backend="local", local_path=str(bucket)),
        "registry": RegistryResource(),
        "review_tool": tool,
    }


def test_without_a_review_tool_the_asset_says_what_to_set(tmp_path: Path) -> None:
    result = dg.materialize(
        [review_tasks], resources=_resources(tmp_path, ReviewToolResource()), raise_on_error=False
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    error = failure.step_failure_data.error  # type: ignore[union-attr]
    message = error.message + (error.cause.message if error.cause else "")  # type: ignore[union-attr]
    assert "LABEL_STUDIO_URL" in message and "LABEL_STUDIO_API_KEY" in message
    context = dg.build_sensor_context(resources={"review_tool": ReviewToolResource()})
    assert isinstance(review_decisions_sensor(context), dg.SkipReason)


def test_push_sensor_pull(
    label_studio: LabelStudioServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalObjectStore(tmp_path)
    inputs = write_inputs(store, load_registry())
    # The release's inputs come from the dedup report in a pipeline run; here, the synthetic ones.
    monkeypatch.setattr(
        review_assets, "release_inputs", lambda _store: SimpleNamespace(keys=inputs.inputs)
    )
    tool = ReviewToolResource(
        url=label_studio.url, api_key=label_studio.api_key, sample_rate=0, namespace="test-dagster"
    )
    result = dg.materialize([review_tasks], resources=_resources(tmp_path, tool))
    (event,) = result.get_asset_materialization_events()
    counts = event.materialization.metadata["counts"].value
    assert counts[PII_TASK]["queued"] + counts[PII_TASK].get("already_queued", 0) >= 1  # type: ignore[index]

    client = tool.client()
    project = client.project_id(project_title(PII_TASK, "test-dagster"), "<View/>")
    task = next(iter(client.tasks(project)))
    context = dg.build_sensor_context(resources={"review_tool": tool})
    before = review_decisions_sensor(context)
    cursor = None if isinstance(before, dg.SkipReason) else before.cursor
    client.annotate(task.id, [{"from_name": "decision", "to_name": "dialogue",
                               "type": "choices", "value": {"choices": ["reject"]}}])  # fmt: skip
    requested = review_decisions_sensor(
        dg.build_sensor_context(cursor=cursor, resources={"review_tool": tool})
    )
    assert isinstance(requested, dg.SensorResult) and len(requested.run_requests or []) == 1
    again = review_decisions_sensor(
        dg.build_sensor_context(cursor=requested.cursor, resources={"review_tool": tool})
    )
    assert isinstance(again, dg.SkipReason)

    pulled = dg.materialize([review_decisions], resources=_resources(tmp_path, tool))
    (event,) = pulled.get_asset_materialization_events()
    assert event.materialization.metadata["counts"].value[PII_TASK]["rejected"] >= 1  # type: ignore[index]
    logged = [orjson.loads(x) for i in store.list("review/decisions/") for x in store.read_bytes(i.key).splitlines()]  # noqa: E501
    assert any(d["record_uid"] == task.data["uid"] and d["decision"] == "rejected" for d in logged)

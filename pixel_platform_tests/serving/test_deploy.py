"""Deployment: only an evaluated model that meets every target is deployed (or one forced, and
recorded so); the record in the bucket; the OVH AI Deploy app body; served_model in Dagster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import orjson
import pytest

from pixel_platform.defs.resources import StorageResource
from pixel_platform.defs.training.resources import TrainingBackendResource
from pixel_platform.defs.training.served import served_model
from pixel_platform.serving.deploy import (
    CURRENT,
    EvaluatedModel,
    NotDeployable,
    current,
    deploy,
    ovh_app_body,
    shortfalls,
)
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.training.evaluate import TARGETS

PASSING = {m: min(1.0, t + 0.05) for m, t in TARGETS.items()}


def _checkpoints(root: Path) -> Path:
    (root / "final_model").mkdir(parents=True)
    (root / "final_model" / "config.json").write_text("{}")
    return root


def test_a_model_below_a_target_is_not_deployed_unless_forced(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "bucket")
    scores = {**PASSING, "crisis_response_accuracy": 0.5, "persona_match": None}
    assert shortfalls(scores) == [
        f"crisis_response_accuracy 0.50 < {TARGETS['crisis_response_accuracy']:.2f}",
        f"persona_match not measured < {TARGETS['persona_match']:.2f}",
    ]
    model = EvaluatedModel("v1", str(_checkpoints(tmp_path / "ckpt")), "local", scores)
    with pytest.raises(NotDeployable, match=r"crisis_response_accuracy 0\.50"):
        deploy(store, model)
    assert store.head(CURRENT) is None
    forced = deploy(store, model, force=True)
    assert forced.forced and current(store)["forced"] is True


def test_a_passing_model_is_recorded_as_current(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "bucket")
    with pytest.raises(Exception, match="nothing deployed yet"):
        current(store)
    ckpt = _checkpoints(tmp_path / "ckpt")
    deployment = deploy(store, EvaluatedModel("v2", str(ckpt), "local", PASSING))
    assert not deployment.forced and deployment.model == str(ckpt / "final_model")
    record = current(store)
    assert record["release"] == "v2" and record["scores"] == PASSING
    assert "serve start --current" in record["target"]["command"]
    assert len(list(store.list("serving/deployments/"))) == 1
    with pytest.raises(Exception, match=r"no config\.json"):
        deploy(store, EvaluatedModel("v3", str(tmp_path / "empty"), "local", PASSING))


def test_ovh_deploys_vllm_on_an_h100_with_the_checkpoint_mounted(tmp_path: Path) -> None:
    model = EvaluatedModel("v4", "s3://pixelated-checkpoints/runs/abc/", "ovh", PASSING)
    body = ovh_app_body(model, "pixel-v4", datastore="GRA")
    assert body["image"].startswith("vllm/vllm-openai:")
    assert body["resources"] == {"gpu": 1, "flavor": "h100-1-gpu"}
    (volume,) = body["volumes"]
    assert volume["volumeSource"]["dataStore"] == {
        "alias": "GRA",
        "container": "pixelated-checkpoints",
        "prefix": "runs/abc/final_model/",
    }
    assert volume["permission"] == "RO" and body["unsecureHttp"] is False
    assert body["command"][:2] == ["--model", "/workspace/model"]
    sent: list[dict[str, Any]] = []
    store = LocalObjectStore(tmp_path)
    deployment = deploy(store, model, create_app=lambda b: sent.append(b) or {"id": "app-1"})
    assert sent == [body] and deployment.target == {"ovh_app_id": "app-1", "name": "pixel-v4"}


def _instance_with(
    tmp_path: Path, checkpoints: Path, scores: dict[str, float]
) -> dg.DagsterInstance:
    instance = dg.DagsterInstance.ephemeral()
    instance.report_runless_asset_event(dg.AssetMaterialization(
        "trained_model",
        metadata={"checkpoints": str(checkpoints), "release": "v5", "backend": "local"},
    ))  # fmt: skip
    instance.report_runless_asset_event(
        dg.AssetMaterialization("model_evaluation", metadata=dict(scores))
    )
    return instance


def test_served_model_in_dagster(tmp_path: Path) -> None:
    ckpt = _checkpoints(tmp_path / "ckpt")
    resources = {
        "storage": StorageResource(backend="local", local_path=str(tmp_path / "bucket")),
        "training": TrainingBackendResource(),
    }
    failing = {**PASSING, "clinical_reasoning": 0.1}
    result = dg.materialize(
        [served_model], instance=_instance_with(tmp_path, ckpt, failing), resources=resources,
        raise_on_error=False,
    )  # fmt: skip
    assert not result.success
    store = LocalObjectStore(tmp_path / "bucket")
    assert store.head(CURRENT) is None
    result = dg.materialize(
        [served_model], instance=_instance_with(tmp_path, ckpt, PASSING), resources=resources
    )
    (event,) = result.get_asset_materialization_events()
    assert event.materialization.metadata["forced"].value is False
    assert orjson.loads(store.read_bytes(CURRENT))["release"] == "v5"


def test_the_deploy_example_is_the_body_the_code_renders() -> None:
    """``deploy/serving/ovh-ai-deploy.example.json`` is a snapshot of ``ovh_app_body``."""
    example = Path(__file__).parents[2] / "deploy" / "serving" / "ovh-ai-deploy.example.json"
    model = EvaluatedModel("v2026-12-07", "s3://pixelated-checkpoints/runs/example/", "ovh", {})
    assert orjson.loads(example.read_bytes()) == ovh_app_body(
        model, "pixel-v2026-12-07", datastore="GRA"
    )


def test_the_k8s_manifest_puts_the_service_in_front_of_vllm() -> None:
    import yaml

    path = Path(__file__).parents[2] / "deploy" / "serving" / "k8s.yaml"
    docs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(path.read_text())}
    vllm = docs[("Deployment", "pixel-vllm")]["spec"]["template"]["spec"]["containers"][0]
    assert vllm["resources"]["limits"]["nvidia.com/gpu"] == 1
    serve = docs[("Deployment", "pixel-serve")]["spec"]["template"]["spec"]["containers"][0]
    assert serve["command"][:3] == ["pixel-platform", "serve", "start"]
    assert "http://pixel-vllm:8000" in serve["command"]
    policy = docs[("NetworkPolicy", "pixel-vllm-only-from-the-service")]["spec"]
    assert policy["ingress"][0]["from"][0]["podSelector"]["matchLabels"] == {"app": "pixel-serve"}

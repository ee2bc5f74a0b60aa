"""Deploying an evaluated model: only when every evaluation metric meets its target.

``served_model`` (the asset) and ``pixel-platform serve start --current`` meet here. A deployment
is a record in the bucket — ``serving/current.json`` (what is served now) and one object per
deployment under ``serving/deployments/`` (history) — naming the release, the checkpoint, the
scores against their targets and where it runs:

- ``local``: ``final_model/`` of the local checkpoint root, served by ``pixel-platform serve
  start --current`` (transformers on the CPU, the embedded default);
- ``ovh``: an OVH AI Deploy app running vLLM on an H100 with the checkpoint's bucket prefix
  mounted read-only (``ovh_app_body``), created through the AI API, with the thin service in
  front of it (``deploy/serving/``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from pixel_platform.core.errors import TerminalError
from pixel_platform.storage.base import ObjectStore
from pixel_platform.training.checkpoints import FINAL_MODEL
from pixel_platform.training.evaluate import TARGETS

CURRENT = "serving/current.json"
HISTORY = "serving/deployments/"
VLLM_IMAGE = "vllm/vllm-openai:v0.11.0"
OVH_FLAVOR = "h100-1-gpu"
SERVE_PORT = 8000


class NotDeployable(TerminalError):
    """The model did not meet its evaluation targets (names and scores only)."""


@dataclass(frozen=True)
class EvaluatedModel:
    release: str
    checkpoints: str  # local root, or s3://bucket/prefix of an OVH run
    backend: str  # "local" or "ovh"
    scores: Mapping[str, float | None]  # metric -> score (None: not measured)


def shortfalls(scores: Mapping[str, float | None]) -> list[str]:
    """``metric score < target`` for every metric that misses its target (or was not measured)."""
    out = []
    for metric, target in TARGETS.items():
        score = scores.get(metric)
        if score is None or score < target:
            shown = "not measured" if score is None else f"{score:.2f}"
            out.append(f"{metric} {shown} < {target:.2f}")
    return out


@dataclass(frozen=True)
class Deployment:
    release: str
    checkpoints: str
    backend: str
    model: str  # local: the final model directory; ovh: the app's model path
    scores: dict[str, float | None]
    targets: dict[str, float]
    deployed_at: str
    forced: bool = False  # deployed although a metric missed its target (run config force)
    target: dict[str, Any] = field(default_factory=dict)  # how it is reached (command, app id)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ovh_app_body(
    model: EvaluatedModel, name: str, *, datastore: str, image: str = VLLM_IMAGE
) -> dict[str, Any]:
    """An OVH AI Deploy app serving the checkpoint with vLLM's OpenAI-compatible server on one
    H100, the bucket prefix mounted read-only. Written from OVH's documented app fields; it is
    snapshot-tested here, never submitted from this machine."""
    bucket, _, prefix = model.checkpoints.removeprefix("s3://").partition("/")
    return {
        "name": name,
        "image": image,
        "resources": {"gpu": 1, "flavor": OVH_FLAVOR},
        "volumes": [
            {
                "volumeSource": {
                    "dataStore": {
                        "alias": datastore,
                        "container": bucket,
                        "prefix": f"{prefix.rstrip('/')}/{FINAL_MODEL}/",
                    }
                },
                "mountPath": "/workspace/model",
                "permission": "RO",
                "cache": True,
            }
        ],
        "command": ["--model", "/workspace/model", "--served-model-name", name,
                    "--port", str(SERVE_PORT), "--dtype", "bfloat16"],
        "defaultHttpPort": SERVE_PORT,
        "scalingStrategy": {"fixed": {"replicas": 1}},
        "unsecureHttp": False,  # OVH's token in front; the thin service adds per-key limits
        "labels": {"pixel-platform": "served-model", "release": model.release},
    }  # fmt: skip


def deploy(
    store: ObjectStore,
    model: EvaluatedModel,
    *,
    force: bool = False,
    create_app: Any = None,
    datastore: str = "GRA",
    clock: Any = None,
) -> Deployment:
    """Record (and, on OVH, create) the deployment of ``model``; ``NotDeployable`` when a metric
    misses its target, unless ``force``. ``create_app(body) -> {"id": …}``: OVH's app API."""
    missing = shortfalls(model.scores)
    if missing and not force:
        raise NotDeployable(
            f"release {model.release}'s model misses its evaluation targets: "
            + "; ".join(missing)
            + " (nothing deployed; run config force: true deploys anyway, recorded as forced)"
        )
    now = (clock or (lambda: datetime.now(UTC)))().astimezone(UTC)
    name = f"pixel-{model.release}"
    if model.backend == "ovh":
        if create_app is None:
            raise TerminalError("an OVH deployment needs the AI API (OVH_AI_TOKEN)")
        app = create_app(ovh_app_body(model, name, datastore=datastore))
        where, target = "/workspace/model", {"ovh_app_id": app.get("id"), "name": name}
    else:
        final = Path(model.checkpoints) / FINAL_MODEL
        if not (final / "config.json").is_file():
            raise TerminalError(f"{final} holds no model (no config.json)")
        where = str(final)
        target = {"command": f"pixel-platform serve start --current --model-name {name}"}
    deployment = Deployment(
        release=model.release,
        checkpoints=model.checkpoints,
        backend=model.backend,
        model=where,
        scores=dict(model.scores),
        targets=dict(TARGETS),
        deployed_at=now.isoformat(),
        forced=bool(missing),
        target=target,
    )
    body = orjson.dumps(deployment.as_dict(), option=orjson.OPT_INDENT_2) + b"\n"
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    store.write_bytes(f"{HISTORY}{stamp}-{uuid.uuid4().hex[:8]}.json", body)
    store.write_bytes(CURRENT, body)
    return deployment


def current(store: ObjectStore) -> dict[str, Any]:
    """What ``serving/current.json`` says is served (``TerminalError`` when nothing is)."""
    if store.head(CURRENT) is None:
        raise TerminalError(
            f"nothing deployed yet ({store.uri(CURRENT)} is missing): materialize served_model"
        )
    data: dict[str, Any] = orjson.loads(store.read_bytes(CURRENT))
    return data

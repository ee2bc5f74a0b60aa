"""``served_model``: deploys the evaluated model when every evaluation metric meets its target.

The policy and the record are ``serving.deploy``; this reads the latest ``trained_model`` and
``model_evaluation`` materializations and reports what was deployed where. A model that misses a
target is refused with the metric names and scores (run config ``force: true`` deploys it anyway,
recorded as forced: for trying the service out with the tiny local model).
"""

import dagster as dg
from pydantic import Field

from pixel_platform.core.errors import TerminalError
from pixel_platform.defs.resources import StorageResource
from pixel_platform.defs.training.assets import TRAINING_GROUP, _model_dir
from pixel_platform.defs.training.resources import TrainingBackendResource
from pixel_platform.serving.deploy import EvaluatedModel, deploy
from pixel_platform.training.evaluate import TARGETS


class ServeConfig(dg.Config):
    force: bool = Field(
        default=False,
        description="Deploy even if a metric misses its target (recorded as forced).",
    )
    datastore: str = Field(default="GRA", description="ovh: the datastore alias of the bucket")


def _scores(context: dg.AssetExecutionContext) -> dict[str, float | None]:
    event = context.instance.get_latest_materialization_event(dg.AssetKey("model_evaluation"))
    if event is None or event.asset_materialization is None:
        raise dg.Failure("no model_evaluation materialization yet: evaluate the model first")
    metadata = event.asset_materialization.metadata
    return {
        m: float(metadata[m].value) if m in metadata else None  # type: ignore[arg-type]
        for m in TARGETS
    }


@dg.asset(
    deps=["model_evaluation"],
    group_name=TRAINING_GROUP,
    kinds={"openai"},
    description=(
        "The evaluated model, deployed when every evaluation metric meets its target: locally"
        " served by pixel-platform serve start --current (transformers on the CPU), or on OVH"
        " AI Deploy with vLLM on an H100, behind the service's API keys, rate limits and crisis"
        " layer. Records the deployment in serving/current.json."
    ),
)
def served_model(
    context: dg.AssetExecutionContext,
    config: ServeConfig,
    storage: StorageResource,
    training: TrainingBackendResource,
) -> dg.MaterializeResult:
    checkpoints, release, backend = _model_dir(context, training.backend)
    model = EvaluatedModel(release, checkpoints, backend, _scores(context))
    create_app = None
    if backend == "ovh":
        from pixel_platform.training.backends.ovh import OVHClient

        client = OVHClient.from_env(region=training.region, base_url=training.base_url)
        create_app = client.create_app
    try:
        deployment = deploy(
            storage.store(), model, force=config.force, create_app=create_app,
            datastore=config.datastore,
        )  # fmt: skip
    except TerminalError as exc:
        raise dg.Failure(str(exc)) from None
    if deployment.forced:
        context.log.warning("release %s deployed although a metric misses its target", release)
    return dg.MaterializeResult(
        metadata={
            "release": release,
            "backend": backend,
            "model": deployment.model,
            "forced": deployment.forced,
            "target": dg.MetadataValue.json(deployment.target),
        }
    )


serving_job = dg.define_asset_job(
    "serving_job",
    selection=dg.AssetSelection.assets(served_model),
    description="Deploy the evaluated model (only when its evaluation meets every target).",
)

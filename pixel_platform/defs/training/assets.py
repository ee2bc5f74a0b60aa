"""``trained_model`` (submit + wait for the DeepSpeed job) and ``model_evaluation``.

``trained_model`` refuses to submit unless the release passed every gate: Dagster's declarative
automation does not honour blocking checks, so the asset re-verifies itself (the manifest's gate
results and a fresh run of the gates over the published files) before spending GPU hours.
The work is ``training.release_job``'s; the assets read their resources and record the outcome.
"""

import dagster as dg

from pixel_platform.defs.ingest.metadata import md_table
from pixel_platform.defs.release.assets import RELEASE_KEY
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.defs.training.checks import evaluation_check_result, evaluation_check_specs
from pixel_platform.defs.training.resources import TrainingBackendResource, TrainingLaunchConfig
from pixel_platform.training.evaluate import TARGETS
from pixel_platform.training.release_job import (
    Refused,
    evaluate_on_release,
    require_local_checkpoints,
    train_on_release,
)

TRAINING_GROUP = "training"
METRIC_TARGETS = TARGETS  # the release's success metrics: crisis ≥0.85, clinical ≥0.80, …


def _release_version(context: dg.AssetExecutionContext) -> str:
    event = context.instance.get_latest_materialization_event(RELEASE_KEY)
    metadata = event.asset_materialization.metadata if event and event.asset_materialization else {}
    if "version" not in metadata:
        raise dg.Failure("no dataset_release materialization yet; build a release first")
    return str(metadata["version"].value)


@dg.asset(
    deps=[RELEASE_KEY],
    group_name=TRAINING_GROUP,
    kinds={"pytorch"},
    description=(
        "Curriculum SFT (TRL, assistant-only loss, stages in order) then preference alignment"
        " (DPO/ORPO/KTO) on the latest release, as a DeepSpeed job on OVH AI Training or locally."
        " Launch settings (backend, GPUs, ZeRO stage, offload, precision, image, flavor,"
        " timeout) are run config; a job that cannot run where it is sent is refused before"
        " submission. Refuses a release that did not pass every gate. Records job id, state,"
        " spec and checkpoint keys."
    ),
)
def trained_model(
    context: dg.AssetExecutionContext,
    config: TrainingLaunchConfig,
    storage: StorageResource,
    registry: RegistryResource,
    training: TrainingBackendResource,
) -> dg.MaterializeResult:
    store = storage.store()
    version = _release_version(context)
    store_root = storage.local_path if storage.backend == "local" else f"s3://{storage.bucket}"
    settings = training.job_settings(config)
    backend = settings.backend
    try:
        trained = train_on_release(
            store,
            registry.load(),
            version,
            settings,
            open_backend=lambda: training.open(
                store_root, checkpoint_store=store if backend == "ovh" else None, backend=backend
            ),
            log=lambda line: context.log.info(line),
        )
    except Refused as exc:
        raise dg.Failure(str(exc)) from None
    launch = trained.launch
    return dg.MaterializeResult(
        metadata={
            "release": trained.release,
            "job_id": trained.job_id,
            "backend": backend,
            "gpus": launch.gpus,
            "deepspeed": launch.deepspeed or "none",
            "precision": launch.precision,
            "state": trained.state,
            "spec": dg.MetadataValue.path(store.uri(trained.spec_key)),
            "checkpoints": trained.checkpoints,
            "stages": ", ".join(trained.stages),
            "waited_s": round(trained.waited_s, 1),
        }
    )


def _model_dir(context: dg.AssetExecutionContext, default_backend: str) -> tuple[str, str, str]:
    """Checkpoints, release and backend of the latest ``trained_model`` (the backend a run chose
    in the launchpad, else the resource's)."""
    event = context.instance.get_latest_materialization_event(dg.AssetKey("trained_model"))
    if event is None or event.asset_materialization is None:
        raise dg.Failure("no trained_model materialization yet")
    metadata = event.asset_materialization.metadata
    backend = str(metadata["backend"].value) if "backend" in metadata else default_backend
    return str(metadata["checkpoints"].value), str(metadata["release"].value), backend


@dg.asset(
    deps=["trained_model"],
    group_name=TRAINING_GROUP,
    kinds={"pytorch"},
    check_specs=evaluation_check_specs(),
    description=(
        "The trained model scored on the release's test split and a crisis prompt suite: crisis"
        " response accuracy, clinical reasoning, persona match and cultural competency. Each"
        " metric is a check against its target."
    ),
)
def model_evaluation(
    context: dg.AssetExecutionContext, storage: StorageResource, training: TrainingBackendResource
) -> dg.MaterializeResult:
    checkpoints, version, backend = _model_dir(context, training.backend)
    try:
        require_local_checkpoints(backend)
    except Refused as exc:
        raise dg.Failure(str(exc)) from None
    store = storage.store()
    evaluation = evaluate_on_release(store, backend, checkpoints, version)
    return dg.MaterializeResult(
        metadata={
            "release": evaluation.release,
            "metrics": md_table(["metric", "score", "target"], evaluation.rows()),
            "report": dg.MetadataValue.path(store.uri(evaluation.report_key)),
            **evaluation.scores(),
        },
        check_results=[
            evaluation_check_result(name, evaluation.metrics[name]) for name in METRIC_TARGETS
        ],
    )

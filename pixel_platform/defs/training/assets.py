"""``trained_model`` (submit + wait for the DeepSpeed job) and ``model_evaluation``.

``trained_model`` refuses to submit unless the release passed every gate: Dagster's declarative
automation does not honour blocking checks, so the asset re-verifies itself (the manifest's gate
results and a fresh run of the gates over the published files) before spending GPU hours.
"""

import tempfile
from pathlib import Path

import dagster as dg

from pixel_platform.defs.ingest.metadata import md_table
from pixel_platform.defs.release.assets import RELEASE_KEY
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.defs.training.checks import evaluation_check_result, evaluation_check_specs
from pixel_platform.defs.training.resources import TrainingBackendResource
from pixel_platform.release import GateContext, load_manifest, run_gates
from pixel_platform.training.backends import LocalBackend
from pixel_platform.training.config import load_config
from pixel_platform.training.evaluate import TARGETS
from pixel_platform.training.spec import DEFAULT_IMAGE, make_spec, save_spec

TRAINING_GROUP = "training"
METRIC_TARGETS = TARGETS  # the seeds' success metrics: crisis ≥0.85, clinical ≥0.80, …


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
        " Refuses a release that did not pass every gate. Records job id, state, spec and"
        " checkpoint keys."
    ),
)
def trained_model(
    context: dg.AssetExecutionContext,
    storage: StorageResource,
    registry: RegistryResource,
    training: TrainingBackendResource,
) -> dg.MaterializeResult:
    store = storage.store()
    version = _release_version(context)
    manifest = load_manifest(store, version)
    if (manifest.get("gates") or {}).get("passed") is not True:
        raise dg.Failure(f"release {version} did not pass its gates; refusing to train on it")
    ctx = GateContext.from_manifest(registry.load(), manifest)
    failed = [g.name for g in run_gates(store, f"exports/releases/{version}/", ctx) if not g.passed]
    if failed:
        raise dg.Failure(f"release {version} fails gates now ({', '.join(failed)}); not training")

    config = load_config(training.config_path)
    spec = make_spec(
        store,
        version,
        data_bucket=training.data_bucket,
        checkpoint_bucket=training.checkpoint_bucket,
        config=config,
        flavor=training.flavor,
        gpus=training.gpus,
        default_deepspeed=None if training.backend == "local" else "zero2_bf16",
        image=training.image or DEFAULT_IMAGE,
    )
    spec_key = save_spec(store, spec)
    store_root = storage.local_path if storage.backend == "local" else f"s3://{storage.bucket}"
    backend = training.open(
        store_root, checkpoint_store=store if training.backend == "ovh" else None
    )
    job_id = backend.submit(spec)
    context.log.info("submitted training job %s (spec %s)", job_id, spec.spec_id)
    outcome = backend.wait(
        job_id, poll_interval=training.poll_interval_s, on_log=lambda line: context.log.info(line)
    )
    checkpoint_root = (
        str(backend.checkpoint_root / spec.checkpoint_run_prefix())
        if isinstance(backend, LocalBackend)
        else f"s3://{training.checkpoint_bucket}/{spec.checkpoint_run_prefix()}"
    )
    return dg.MaterializeResult(
        metadata={
            "release": version,
            "job_id": job_id,
            "backend": training.backend,
            "state": outcome.state.value,
            "spec": dg.MetadataValue.path(store.uri(spec_key)),
            "checkpoints": checkpoint_root,
            "stages": ", ".join(outcome.checkpoints.get("stages", [])),
            "waited_s": round(outcome.waited_s, 1),
        }
    )


def _model_dir(context: dg.AssetExecutionContext) -> tuple[str, str]:
    event = context.instance.get_latest_materialization_event(dg.AssetKey("trained_model"))
    if event is None or event.asset_materialization is None:
        raise dg.Failure("no trained_model materialization yet")
    metadata = event.asset_materialization.metadata
    return str(metadata["checkpoints"].value), str(metadata["release"].value)


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
    from pixel_platform.training.evaluate import EvalConfig, evaluate_model, write_report
    from pixel_platform.training.release_input import open_release

    checkpoints, version = _model_dir(context)
    if training.backend != "local":
        raise dg.Failure(
            "model_evaluation reads final_model/ from a local checkpoint root; for OVH runs"
            " evaluate with `python -m pixel_platform.training.evaluate` on a GPU machine"
        )
    store = storage.store()
    config = EvalConfig(use_cpu=True, max_test_cases=50, max_new_tokens=48)
    with tempfile.TemporaryDirectory() as cache:
        release = open_release("", cache, store=store, prefix=f"exports/releases/{version}/")
        report = evaluate_model(Path(checkpoints) / "final_model", release, config)
    out_dir = Path(checkpoints) / "evaluation"
    _, md_path = write_report(report, out_dir)
    report_key = f"pipeline/reports/evaluation/{version}/evaluation.md"
    store.upload_file(md_path, report_key)
    metrics = report["metrics"]
    rows = [
        [name, metrics[name]["score"] if metrics[name]["score"] is not None else "n/a", target]
        for name, target in METRIC_TARGETS.items()
    ]
    return dg.MaterializeResult(
        metadata={
            "release": version,
            "metrics": md_table(["metric", "score", "target"], rows),
            "report": dg.MetadataValue.path(store.uri(report_key)),
            **{
                name: float(metrics[name]["score"])
                for name in METRIC_TARGETS
                if metrics[name]["score"] is not None
            },
        },
        check_results=[evaluation_check_result(name, metrics[name]) for name in METRIC_TARGETS],
    )

"""Training on a published release and evaluating the result (no Dagster here).

``train_on_release`` first resolves the launch settings (``training.launch_settings``: a job that
cannot run where it is sent is refused before anything is stored or submitted), then refuses a
release that did not pass every gate, both as recorded in its
manifest and as a fresh run of the gates over the published files (Dagster's declarative
automation does not honour blocking checks, so this is the last line before spending GPU hours),
then submits the job and waits for it. ``evaluate_on_release`` scores a locally trained model on
the release's test split and a crisis prompt suite, and uploads the report to the bucket.

The Dagster ``trained_model`` and ``model_evaluation`` assets call these.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixel_platform.core.errors import ConfigError
from pixel_platform.registry.model import Registry
from pixel_platform.release import GateContext, load_manifest, run_gates
from pixel_platform.release.layout import RELEASES_PREFIX, prefix_of
from pixel_platform.storage.base import ObjectStore
from pixel_platform.training.backends.base import TrainingBackend
from pixel_platform.training.backends.local import LocalBackend
from pixel_platform.training.checkpoints import FINAL_MODEL
from pixel_platform.training.config import TrainConfig, load_config
from pixel_platform.training.evaluate import TARGETS
from pixel_platform.training.launch_settings import Launch, LaunchSettings
from pixel_platform.training.paths import EVALUATION_DIR, evaluation_report_key
from pixel_platform.training.spec import TrainingJobSpec, make_spec, save_spec

LOCAL = "local"  # the backend that trains in a subprocess on this machine


class Refused(Exception):
    """The release may not be trained on, or the model not evaluated here; the message says why."""


@dataclass(frozen=True)
class JobSettings:
    """Where and how a training job runs (the Dagster training resource's fields and the run's
    launch settings)."""

    config_path: str | None  # a TrainConfig YAML (None: bundled defaults)
    data_bucket: str
    checkpoint_bucket: str
    poll_interval_s: float
    launch: LaunchSettings = field(default_factory=LaunchSettings)  # backend, GPUs, ZeRO, …

    @property
    def backend(self) -> str:
        return self.launch.backend

    def resolve(self) -> tuple[TrainConfig, Launch]:
        """The training config and the checked launch settings; ``Refused`` names the field."""
        try:
            config = load_config(self.config_path)
            return config, self.launch.resolve(config)
        except ConfigError as exc:
            raise Refused(f"launch settings refused: {exc}") from None


@dataclass(frozen=True)
class TrainedModel:
    """A finished training job on a release."""

    release: str
    job_id: str
    state: str
    spec_key: str
    checkpoints: str  # the run's checkpoint root: a local directory or an s3:// URI
    stages: list[str]
    waited_s: float
    launch: Launch  # the resolved launch settings the job ran with


def require_passing_gates(store: ObjectStore, registry: Registry, version: str) -> dict[str, Any]:
    """``version``'s manifest, when the release passed every gate at build time and still does
    on its published files; ``Refused`` otherwise."""
    manifest = load_manifest(store, version)
    if (manifest.get("gates") or {}).get("passed") is not True:
        raise Refused(f"release {version} did not pass its gates; refusing to train on it")
    ctx = GateContext.from_manifest(registry, manifest)
    prefix = prefix_of(RELEASES_PREFIX, version)
    failed = [g.name for g in run_gates(store, prefix, ctx) if not g.passed]
    if failed:
        raise Refused(f"release {version} fails gates now ({', '.join(failed)}); not training")
    return manifest


def train_on_release(
    store: ObjectStore,
    registry: Registry,
    version: str,
    settings: JobSettings,
    open_backend: Callable[[], TrainingBackend],
    log: Callable[[str], None],
) -> TrainedModel:
    """Check the release's gates, submit a job training on it, and wait for the job to end.

    The launch settings are checked first (``Refused``: nothing is stored or submitted);
    ``open_backend`` is called only once the release is known to be trainable; ``log`` hears of
    the submission and every line of the job's log.
    """
    config, launch = settings.resolve()
    require_passing_gates(store, registry, version)
    spec = build_spec(store, version, settings, config, launch)
    spec_key = save_spec(store, spec)
    backend = open_backend()
    job_id = backend.submit(spec)
    log(f"submitted training job {job_id} (spec {spec.spec_id})")
    outcome = backend.wait(job_id, poll_interval=settings.poll_interval_s, on_log=log)
    checkpoints = (
        str(backend.checkpoint_root / spec.checkpoint_run_prefix())
        if isinstance(backend, LocalBackend)
        else f"s3://{settings.checkpoint_bucket}/{spec.checkpoint_run_prefix()}"
    )
    return TrainedModel(
        release=version,
        job_id=job_id,
        state=outcome.state.value,
        spec_key=spec_key,
        checkpoints=checkpoints,
        stages=list(outcome.checkpoints.get("stages", [])),
        waited_s=outcome.waited_s,
        launch=launch,
    )


def build_spec(
    store: ObjectStore,
    version: str,
    settings: JobSettings,
    config: TrainConfig | None = None,
    launch: Launch | None = None,
) -> TrainingJobSpec:
    """The job spec for ``version`` under ``settings`` (resolved here unless given)."""
    if config is None or launch is None:
        config, launch = settings.resolve()
    return launch_spec(
        store,
        version,
        config,
        launch,
        data_bucket=settings.data_bucket,
        checkpoint_bucket=settings.checkpoint_bucket,
    )


def launch_spec(
    store: ObjectStore, version: str, config: TrainConfig, launch: Launch, **spec: Any
) -> TrainingJobSpec:
    """``make_spec`` with what resolved ``launch`` settings decide (image, flavor, GPUs, timeout,
    DeepSpeed config and precision); ``spec``: the rest of ``make_spec``'s arguments."""
    return make_spec(
        store,
        version,
        config=config,
        hyperparameters=launch.hyperparameters,
        image=launch.image,
        flavor=launch.flavor,
        gpus=launch.gpus,
        timeout_s=launch.timeout_s,
        default_deepspeed=None,  # the launch settings chose (ZeRO-3 bf16 on OVH by default)
        **spec,
    )


@dataclass(frozen=True)
class Evaluation:
    """A trained model's scores on a release, per metric (``training.evaluate.TARGETS``)."""

    release: str
    metrics: Mapping[str, Mapping[str, Any]]  # the report's ``metrics``: score, n, passed, …
    report_key: str  # the Markdown report in the bucket

    def rows(self) -> list[list[Any]]:
        """[metric, score (``n/a`` when not measured), target] per metric."""
        return [
            [name, self.metrics[name]["score"] if self.metrics[name]["score"] is not None
             else "n/a", target]
            for name, target in TARGETS.items()
        ]  # fmt: skip

    def scores(self) -> dict[str, float]:
        """The measured metrics' scores."""
        return {
            name: float(self.metrics[name]["score"])
            for name in TARGETS
            if self.metrics[name]["score"] is not None
        }


def require_local_checkpoints(backend: str) -> None:
    """Evaluation reads the model from a local checkpoint root: ``Refused`` for other backends."""
    if backend != LOCAL:
        raise Refused(
            "model_evaluation reads final_model/ from a local checkpoint root; for OVH runs"
            " evaluate with `python -m pixel_platform.training.evaluate` on a GPU machine"
        )


def evaluate_on_release(
    store: ObjectStore, backend: str, checkpoints: str, version: str
) -> Evaluation:
    """Score the model a ``backend`` job left under ``checkpoints`` on release ``version``; the
    reports go beside the model (``evaluation/``) and the Markdown one to the bucket too."""
    require_local_checkpoints(backend)
    from pixel_platform.training.evaluate import EvalConfig, evaluate_model, write_report
    from pixel_platform.training.release_input import open_release

    config = EvalConfig(use_cpu=True, max_test_cases=50, max_new_tokens=48)  # a tiny model
    with tempfile.TemporaryDirectory() as cache:
        release = open_release("", cache, store=store, prefix=prefix_of(RELEASES_PREFIX, version))
        report = evaluate_model(Path(checkpoints) / FINAL_MODEL, release, config)
    _, md_path = write_report(report, Path(checkpoints) / EVALUATION_DIR)
    report_key = evaluation_report_key(version, md_path.name)
    store.upload_file(md_path, report_key)
    return Evaluation(release=version, metrics=report["metrics"], report_key=report_key)

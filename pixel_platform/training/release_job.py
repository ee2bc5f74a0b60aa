"""Training on a published release and evaluating the result (no Dagster here).

``train_on_release`` refuses a release that did not pass every gate, both as recorded in its
manifest and as a fresh run of the gates over the published files (Dagster's declarative
automation does not honour blocking checks, so this is the last line before spending GPU hours),
then submits the job and waits for it. ``evaluate_on_release`` scores a locally trained model on
the release's test split and a crisis prompt suite, and uploads the report to the bucket.

The Dagster ``trained_model`` and ``model_evaluation`` assets call these.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pixel_platform.registry.model import Registry
from pixel_platform.release import GateContext, load_manifest, run_gates
from pixel_platform.release.layout import RELEASES_PREFIX, prefix_of
from pixel_platform.storage.base import ObjectStore
from pixel_platform.training.backends.base import TrainingBackend
from pixel_platform.training.backends.local import LocalBackend
from pixel_platform.training.checkpoints import FINAL_MODEL
from pixel_platform.training.config import load_config
from pixel_platform.training.evaluate import TARGETS
from pixel_platform.training.paths import EVALUATION_DIR, evaluation_report_key
from pixel_platform.training.spec import DEFAULT_IMAGE, make_spec, save_spec

LOCAL = "local"  # the backend that trains in a subprocess on this machine
REMOTE_DEEPSPEED = "zero2_bf16"  # the DeepSpeed config of remote jobs; local jobs use none


class Refused(Exception):
    """The release may not be trained on, or the model not evaluated here; the message says why."""


@dataclass(frozen=True)
class JobSettings:
    """Where and how a training job runs (the Dagster training resource's fields)."""

    backend: str  # "local" or "ovh"
    config_path: str | None  # a TrainConfig YAML (None: bundled defaults)
    data_bucket: str
    checkpoint_bucket: str
    flavor: str
    gpus: int
    image: str | None
    poll_interval_s: float


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

    ``open_backend`` is called only once the release is known to be trainable; ``log`` hears of
    the submission and every line of the job's log.
    """
    require_passing_gates(store, registry, version)
    spec = make_spec(
        store,
        version,
        data_bucket=settings.data_bucket,
        checkpoint_bucket=settings.checkpoint_bucket,
        config=load_config(settings.config_path),
        flavor=settings.flavor,
        gpus=settings.gpus,
        default_deepspeed=None if settings.backend == LOCAL else REMOTE_DEEPSPEED,
        image=settings.image or DEFAULT_IMAGE,
    )
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

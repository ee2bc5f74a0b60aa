"""Training on a release (``training.release_job``): a release that did not pass its gates, or
fails them now, is refused before a backend is opened; a trainable one is submitted and waited
for, and the outcome says where its checkpoints are. Evaluation runs on local checkpoints only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pixel_platform.registry.model import DEFAULT_REGISTRY, Registry, load_registry
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.training.backends.base import JobOutcome, JobState, TrainingBackend
from pixel_platform.training.evaluate import TARGETS
from pixel_platform.training.launch_settings import LaunchSettings
from pixel_platform.training.paths import evaluation_report_key
from pixel_platform.training.release_job import (
    Evaluation,
    JobSettings,
    Refused,
    require_local_checkpoints,
    require_passing_gates,
    train_on_release,
)
from pixel_platform_tests.release.support import build_synthetic
from pixel_platform_tests.training.release_fixture import VERSION, write_release

SETTINGS = JobSettings(
    config_path=None,
    data_bucket="data",
    checkpoint_bucket="ckpt",
    poll_interval_s=0.0,
    launch=LaunchSettings(backend="ovh", gpus=1),
)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(DEFAULT_REGISTRY)


def _no_backend() -> TrainingBackend:
    raise AssertionError("a refused release must not open a backend")


def test_a_release_that_did_not_pass_its_gates_is_refused(
    tmp_path: Path, registry: Registry
) -> None:
    write_release(tmp_path, gates_passed=False)
    with pytest.raises(Refused, match=f"release {VERSION} did not pass its gates; refusing"):
        train_on_release(
            LocalObjectStore(tmp_path), registry, VERSION, SETTINGS, _no_backend, print
        )


def test_a_release_that_fails_its_gates_now_is_refused(tmp_path: Path, registry: Registry) -> None:
    write_release(tmp_path)  # says it passed; its files do not (no coverage, no accounting, …)
    with pytest.raises(Refused, match=rf"release {VERSION} fails gates now \(.+\); not training"):
        require_passing_gates(LocalObjectStore(tmp_path), registry, VERSION)


class _Backend:
    """Stands in for a remote backend: records the spec, ends the job at once."""

    def __init__(self) -> None:
        self.submitted: list[Any] = []

    def submit(self, spec: Any) -> str:
        self.submitted.append(spec)
        return "job-1"

    def wait(self, job_id: str, poll_interval: float, on_log: Any) -> JobOutcome:
        on_log("step 1")
        return JobOutcome(job_id, JobState.DONE, {"stages": ["a", "b"]}, 1, 2.345)


def test_a_passing_release_is_trained_on(tmp_path: Path, registry: Registry) -> None:
    built = build_synthetic(tmp_path / "bucket", registry)
    assert built.result.passed
    backend, lines = _Backend(), list[str]()
    trained = train_on_release(
        built.store,
        registry,
        built.result.version,
        SETTINGS,
        lambda: backend,  # type: ignore[arg-type,return-value]
        lines.append,
    )
    (spec,) = backend.submitted
    assert lines == [f"submitted training job job-1 (spec {spec.spec_id})", "step 1"]
    assert (trained.release, trained.job_id, trained.state) == (
        built.result.version,
        "job-1",
        JobState.DONE.value,
    )
    assert trained.checkpoints == f"s3://ckpt/{spec.checkpoint_run_prefix()}"
    assert trained.stages == ["a", "b"] and trained.waited_s == 2.345
    assert built.store.head(trained.spec_key) is not None


def test_evaluation_needs_local_checkpoints() -> None:
    require_local_checkpoints("local")
    with pytest.raises(Refused, match="reads final_model/ from a local checkpoint root"):
        require_local_checkpoints("ovh")


def test_an_evaluation_reports_each_metric_against_its_target() -> None:
    names = list(TARGETS)
    metrics: dict[str, dict[str, Any]] = {
        name: {"score": 0.5, "n": 3, "passed": False} for name in names
    }
    metrics[names[0]] = {"score": None, "n": 0, "passed": False}
    evaluation = Evaluation("v1", metrics, evaluation_report_key("v1", "evaluation.md"))
    assert evaluation.report_key == "pipeline/reports/evaluation/v1/evaluation.md"
    assert evaluation.rows() == [
        [name, "n/a" if name == names[0] else 0.5, target] for name, target in TARGETS.items()
    ]
    assert evaluation.scores() == {name: 0.5 for name in names[1:]}

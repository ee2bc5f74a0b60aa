"""Training on a release: TRL SFT through the curriculum stages, then DPO/ORPO/KTO (no Dagster).

Public API (heavy imports — torch, transformers, trl, deepspeed — only happen inside functions)::

    python -m pixel_platform.training.train --config cfg.yaml [--section.key value ...]
    load_config(path, overrides) -> TrainConfig          # config.py, default.yaml
    run_training(config) -> TrainingResult               # train.py
    open_release(location, cache_dir, expected_manifest_sha256=...) -> VerifiedRelease
    launch_command(num_gpus, train_args) -> argv         # launch.py, deepspeed_configs/*.json
    LaunchSettings(backend="ovh").resolve(config) -> Launch  # launch_settings.py: checked defaults
    make_spec(store, version, ...) -> TrainingJobSpec    # spec.py: .ovh_job_body(), save_spec()
    render_pytorchjob(spec, nodes=N)                     # k8s.py
    open_backend("local" | "ovh") -> TrainingBackend     # backends/: submit/status/logs/cancel/wait
    evaluate_model(model_dir, release, EvalConfig()) / write_report(report, out_dir)  # evaluate.py

Modules: ``data`` (stages and rows), ``chat_template`` (ChatML with generation markers),
``checkpoints`` (run layout, markers, S3 mirror, verification), ``metrics`` (metrics.jsonl),
``trainers`` (TRL trainers), ``scorers`` (evaluation scorers).
"""

from pixel_platform.training.checkpoints import CheckpointMissingError, verify_run_checkpoints
from pixel_platform.training.config import TrainConfig, load_config
from pixel_platform.training.launch import deepspeed_config_path, launch_command
from pixel_platform.training.launch_settings import Launch, LaunchSettings, LaunchSettingsError
from pixel_platform.training.release_input import (
    ReleaseIntegrityError,
    VerifiedRelease,
    open_release,
)
from pixel_platform.training.spec import TrainingJobSpec, load_spec, make_spec, save_spec

__all__ = [
    "CheckpointMissingError",
    "Launch",
    "LaunchSettings",
    "LaunchSettingsError",
    "ReleaseIntegrityError",
    "TrainConfig",
    "TrainingJobSpec",
    "VerifiedRelease",
    "deepspeed_config_path",
    "launch_command",
    "load_config",
    "load_spec",
    "make_spec",
    "open_release",
    "save_spec",
    "verify_run_checkpoints",
]

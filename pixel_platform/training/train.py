"""Training entry point: ``python -m pixel_platform.training.train --config cfg.yaml [--k v ...]``.

1. Open the release and check its manifest first (gates passed, pinned manifest sha256, then the
   sha256 of every file this run reads) — before any model is loaded.
2. Plan the stages from ``curriculum/stage_order.json``: phase A/B stages with SFT (phase A with
   loss on every token, phase B on assistant turns only), then phase C with the preference trainer.
3. For each stage in order: skip it when its ``_COMPLETE.json`` marker is there; otherwise train
   from the previous stage's ``final/`` model, resuming from the stage's latest checkpoint, save
   ``final/``, write the marker (and sync to S3 when the output root is ``s3://``).
4. Copy the last stage's model to ``final_model/`` and write ``_RUN_COMPLETE.json``.

Launch on 1-4 GPUs with ``launch.launch_command`` (``deepspeed --num_gpus N --module
pixel_platform.training.train …``); the launcher's ``--local_rank`` flag is accepted.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixel_platform.core.errors import PixelError, TerminalError
from pixel_platform.training.checkpoints import RunCheckpoints
from pixel_platform.training.config import TrainConfig, dump_config, load_config
from pixel_platform.training.data import (
    PREFERENCE_EXPORT,
    PRETRAINING_EXPORT,
    PRETRAINING_PHASE,
    Stage,
    kto_rows,
    plan_stages,
    preference_rows,
    pretraining_rows,
    sft_rows,
    split_budget,
)
from pixel_platform.training.launch import launch_command, shell_join
from pixel_platform.training.metrics import MetricsLog, metrics_callback
from pixel_platform.training.release_input import VerifiedRelease, open_release

log = logging.getLogger("pixel_platform.training")


@dataclass
class StageOutcome:
    stage: str
    status: str  # "trained" | "skipped" (finished earlier) | "no_data" (no preference pairs)
    steps: int = 0
    resumed_from: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrainingResult:
    run_name: str
    release_version: str
    manifest_sha256: str
    checkpoint_uri: str
    stages: list[StageOutcome]
    final_model: Path | None


def _rank() -> tuple[bool, bool]:
    """(world main process, local main process), from the launcher's environment."""
    return os.environ.get("RANK", "0") == "0", os.environ.get("LOCAL_RANK", "0") == "0"


def _world_size() -> int:
    try:
        return max(1, int(os.environ.get("WORLD_SIZE", "1")))
    except ValueError:
        return 1


def phase_b_budget(config: TrainConfig, stages: list[Stage], world_size: int = 1) -> int:
    """Phase B's step budget when ``sft.total_steps`` is unset: what the stages would train on
    their own — ``sft.max_steps`` each when set, else ``num_train_epochs`` over each stage's train
    records in the release (capped by ``data.max_records_per_stage``) at the effective batch size
    (per-device batch × gradient accumulation × processes). Packing is not counted."""
    sft = config.sft
    batch = max(1, sft.per_device_train_batch_size * sft.gradient_accumulation_steps * world_size)
    total = 0
    for stage in stages:
        if sft.max_steps > 0:
            total += sft.max_steps
            continue
        records = stage.records.get("train", 0)
        if config.data.max_records_per_stage is not None:
            records = min(records, config.data.max_records_per_stage)
        total += max(1, math.ceil(sft.num_train_epochs * records / batch))
    return total


def _stage_steps(
    config: TrainConfig, stages: list[Stage], world_size: int | None = None
) -> dict[str, int]:
    """Steps per stage. Phase B's budget (``sft.total_steps``, else ``phase_b_budget`` from the
    release's counts) is always split by curriculum weight, so the weights apply by default."""
    steps = {
        s.id: (config.preference.max_steps if s.kind == "preference" else config.sft.max_steps)
        for s in stages
    }
    phase_b = [s for s in stages if s.phase == "B"]
    if not phase_b:
        return steps
    total = config.sft.total_steps
    source = "sft.total_steps"
    if total is None:
        total = phase_b_budget(config, phase_b, world_size or _world_size())
        source = "the release's train counts"
    split = split_budget(phase_b, total)
    log.info("curriculum: %d phase B steps (from %s) by weight: %s", total, source, split)
    steps.update(split)
    return steps


def _verify_inputs(release: VerifiedRelease, stages: list[Stage], config: TrainConfig) -> None:
    """Hash every file the run will read now, so a tampered shard fails before any training."""
    splits = ["train"] + ([config.data.eval_split] if config.data.eval_split else [])
    for stage in stages:
        for split in splits:
            for path in stage.files.get(split, ()):
                release.fetch(path)
        exports = {"preference": PREFERENCE_EXPORT, "pretraining": PRETRAINING_EXPORT}
        kind = "pretraining" if stage.phase == PRETRAINING_PHASE else stage.kind
        for split in splits:
            export = exports.get(kind, "").format(split=split)
            if export and release.lists(export):
                release.fetch(export)


def _rows(
    release: VerifiedRelease, stage: Stage, split: str | None, config: TrainConfig
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    if split is None:
        return [], {}
    limit = config.data.max_records_per_stage
    if stage.phase == PRETRAINING_PHASE:
        rows, stats, source = pretraining_rows(release, stage, split, limit)
        return rows, {**stats.as_dict(), "source": source}
    if stage.kind == "sft":
        rows, stats = sft_rows(release, stage, split, limit)
        return rows, stats.as_dict()
    pairs, stats, source = preference_rows(
        release, stage, split, config.data.preference_source, limit
    )
    rows = kto_rows(pairs) if config.preference.method == "kto" else pairs
    return rows, {**stats.as_dict(), "source": source}


def run_training(
    config: TrainConfig, *, callbacks: Sequence[Any] = (), release: VerifiedRelease | None = None
) -> TrainingResult:
    """Train every planned stage of the release; see the module docstring."""
    work_dir = Path(config.work_dir)
    release = release or open_release(
        config.release,
        work_dir / "releases",
        expected_manifest_sha256=config.expected_manifest_sha256,
    )
    stages = plan_stages(release, config.data.stages)
    _verify_inputs(release, stages, config)
    run_name = config.run_name or release.version
    is_main, is_local_main = _rank()
    ckpt = RunCheckpoints.for_run(config.output_root, run_name, work_dir)
    stage_ids = [s.id for s in stages]
    ckpt.pull(stage_ids, config.logging.metrics_file)
    identity = {
        "run_name": run_name,
        "release_version": release.version,
        "release": release.location,
        "manifest_sha256": release.manifest_sha256,
        "base_model": config.model.base_model,
        "config_fingerprint": config.fingerprint(),
        "stages": stage_ids,
        "preference_method": config.preference.method,
    }
    if is_main:
        ckpt.claim(identity)
    metrics = MetricsLog(ckpt.local_root / config.logging.metrics_file, enabled=is_main)
    metrics.write("run_start", run=run_name, release=release.version, stages=",".join(stage_ids))
    log.info(
        "run %s: release %s, stages %s, checkpoints at %s",
        run_name,
        release.version,
        stage_ids,
        ckpt.uri,
    )
    if not stages:
        raise TerminalError(
            f"release {release.version} has no stage with train records to train on"
        )

    from pixel_platform.training.data import iter_records
    from pixel_platform.training.tiny import TINY_MODELS, build_tiny_model, record_texts
    from pixel_platform.training.trainers import (
        build_trainer,
        load_model_and_tokenizer,
        require_training_stack,
    )

    require_training_stack()
    if config.logging.wandb:
        os.environ.setdefault("WANDB_PROJECT", config.logging.wandb_project)
    steps = _stage_steps(config, stages)
    model_path = config.model.base_model
    if model_path in TINY_MODELS:
        # The embedded default: a tiny model built from the release's own text, no download.
        texts = record_texts(
            iter_records(release, tuple(p for st in stages for p in st.files.get("train", ())))
        )
        model_path = str(build_tiny_model(work_dir / f"{model_path}-base", texts, name=model_path))
    outcomes: list[StageOutcome] = []
    retrain_rest = False  # once a stage retrains, later markers describe an older model
    last_done: str | None = None
    for stage in stages:
        marker = None if retrain_rest else ckpt.completed(stage.id)
        if marker is not None:
            log.info("stage %s: complete, skipped", stage.id)
            metrics.write("stage_skipped", stage=stage.id, phase=stage.phase)
            outcomes.append(StageOutcome(stage.id, "skipped", int(marker.get("global_step", 0))))
            model_path = str(ckpt.final_dir(stage.id))
            last_done = stage.id
            continue
        if retrain_rest and ckpt.completed(stage.id) is not None and is_local_main:
            shutil.rmtree(ckpt.stage_dir(stage.id))
        retrain_rest = True
        outcome = _train_stage(
            config,
            release,
            stage,
            steps[stage.id],
            model_path,
            ckpt,
            metrics,
            run_name,
            list(callbacks),
            build_trainer,
            load_model_and_tokenizer,
        )
        outcomes.append(outcome)
        if outcome.status == "trained":
            model_path = str(ckpt.final_dir(stage.id))
            last_done = stage.id

    if last_done is None:
        raise TerminalError(f"release {release.version}: no stage had data to train on")
    final_model = None
    if is_main:
        ckpt.finish(
            last_done,
            [o.stage for o in outcomes if o.status != "no_data"],
            {"release_version": release.version, "manifest_sha256": release.manifest_sha256},
        )
        final_model = ckpt.local_root / "final_model"
        metrics.write("run_end", run=run_name, trained=sum(o.status == "trained" for o in outcomes))
        ckpt.push_metrics(config.logging.metrics_file)
    return TrainingResult(
        run_name, release.version, release.manifest_sha256, ckpt.uri, outcomes, final_model
    )


def _train_stage(
    config: TrainConfig,
    release: VerifiedRelease,
    stage: Stage,
    max_steps: int,
    model_path: str,
    ckpt: RunCheckpoints,
    metrics: MetricsLog,
    run_name: str,
    callbacks: list[Any],
    build_trainer: Any,
    load_model_and_tokenizer: Any,
) -> StageOutcome:
    is_main, _ = _rank()
    train_rows, train_stats = _rows(release, stage, "train", config)
    eval_rows, eval_stats = _rows(release, stage, config.data.eval_split, config)
    if not train_rows and stage.kind == "preference" and not config.data.stages:
        # A release without preference pairs still trains its SFT stages.
        log.warning(
            "stage %s: no preference pairs in release %s, skipped", stage.id, release.version
        )
        metrics.write(
            "stage_skipped", stage=stage.id, phase=stage.phase, reason="no_preference_pairs"
        )
        return StageOutcome(stage.id, "no_data")
    if not train_rows:
        raise TerminalError(
            f"stage {stage.id} of release {release.version} has no usable training rows "
            f"({train_stats})"
        )
    resume = ckpt.latest_checkpoint(stage.id)
    metrics.write(
        "stage_start",
        stage=stage.id,
        phase=stage.phase,
        kind=stage.kind,
        max_steps=max_steps,
        train_rows=len(train_rows),
        eval_rows=len(eval_rows),
        model=model_path,
        resume_from=resume.name if resume else None,
        skipped_rows=sum(train_stats.get("skipped", {}).values()),
    )
    log.info(
        "stage %s (%s): %d train rows, %d eval rows, from %s%s",
        stage.id,
        stage.kind,
        len(train_rows),
        len(eval_rows),
        model_path,
        f", resuming {resume.name}" if resume else "",
    )

    def synced(checkpoint: Path) -> None:
        ckpt.push_checkpoint(stage.id, checkpoint)

    stage_callbacks = [metrics_callback(metrics, stage.id, stage.phase, synced), *callbacks]
    model, tokenizer = load_model_and_tokenizer(config, model_path)
    output_dir = ckpt.stage_dir(stage.id)
    trainer = build_trainer(
        stage.kind, config, model, tokenizer, train_rows, eval_rows,
        output_dir=output_dir, max_steps=max_steps, run_name=f"{run_name}-{stage.id}",
        callbacks=stage_callbacks, assistant_only=stage.phase != PRETRAINING_PHASE,
    )  # fmt: skip
    if trainer.train_dataset is not None and len(trainer.train_dataset) == 0:
        raise TerminalError(
            f"stage {stage.id}: none of its {len(train_rows)} train rows keeps a token to learn"
            f" from within data.max_length={config.data.max_length} (the trainer drops rows whose"
            " assistant turns are all cut off): raise data.max_length"
        )
    result = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    stage_metrics = {k: v for k, v in (result.metrics or {}).items() if isinstance(v, int | float)}
    if eval_rows:
        stage_metrics.update(trainer.evaluate())
    final = ckpt.final_dir(stage.id)
    trainer.save_model(str(final))  # every rank: ZeRO-3 gathers the weights here
    trainer.accelerator.wait_for_everyone()
    if is_main:
        tokenizer.save_pretrained(str(final))
        info = {
            "phase": stage.phase,
            "kind": stage.kind,
            "method": config.preference.method if stage.kind == "preference" else "sft",
            "global_step": trainer.state.global_step,
            "resumed_from": resume.name if resume else None,
            "train_rows": train_stats,
            "eval_rows": eval_stats,
            "metrics": {k: float(v) for k, v in stage_metrics.items()},
        }
        ckpt.mark_complete(stage.id, info)
        metrics.write(
            "stage_end",
            stage=stage.id,
            phase=stage.phase,
            step=trainer.state.global_step,
            **stage_metrics,
        )
        ckpt.push_metrics(config.logging.metrics_file)
    trainer.accelerator.wait_for_everyone()
    return StageOutcome(
        stage.id,
        "trained",
        trainer.state.global_step,
        resume.name if resume else None,
        stage_metrics,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pixel_platform.training.train",
        description="Train a model through a release's curriculum (SFT stages, then preference).",
        epilog="Any other --section.key value pair overrides the config (e.g. --sft.max_steps 3).",
    )
    parser.add_argument(
        "--config", help="training config YAML (defaults: the bundled default.yaml)"
    )
    parser.add_argument(
        "--print-config", action="store_true", help="print the resolved config and exit"
    )
    parser.add_argument(
        "--gpus",
        type=int,
        default=None,
        help="start N processes (1-4) through the launcher; needed for DeepSpeed",
    )
    parser.add_argument("--launcher", choices=["deepspeed", "torchrun"], default="deepspeed")
    return parser


def _strip_launcher_flags(rest: list[str]) -> list[str]:
    """Drop ``--local_rank=N`` / ``--local-rank N`` (deepspeed's launcher adds it; torch reads the
    LOCAL_RANK environment variable instead)."""
    out: list[str] = []
    skip = False
    for token in rest:
        if skip:
            skip = False
            continue
        name = token.split("=", 1)[0]
        if name in ("--local_rank", "--local-rank"):
            skip = "=" not in token
            continue
        out.append(token)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        config = load_config(args.config, _strip_launcher_flags(rest))
        if args.print_config:
            sys.stdout.write(dump_config(config))
            return 0
        if args.gpus is not None and "LOCAL_RANK" not in os.environ:
            # Not launched yet: become the launcher over the GPUs (same arguments, minus --gpus).
            forwarded = ["--config", args.config] if args.config else []
            argv_out = launch_command(
                args.gpus, [*forwarded, *_strip_launcher_flags(rest)], launcher=args.launcher
            )
            if shutil.which(argv_out[0]) is None:  # a venv that is not activated
                beside = Path(sys.executable).with_name(argv_out[0])
                argv_out[0] = str(beside) if beside.exists() else argv_out[0]
            log.info("launching: %s", shell_join(argv_out))
            sys.stdout.flush()
            os.execvp(argv_out[0], argv_out)
        result = run_training(config)
    except PixelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for outcome in result.stages:
        print(f"{outcome.stage}: {outcome.status} (step {outcome.steps})")
    print(f"checkpoints: {result.checkpoint_uri}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""TRL trainers for one stage: ``SFTTrainer`` for phases A/B, DPO/ORPO/KTO for phase C.

Every heavy import (torch, transformers, trl, datasets) happens inside these functions, so the
rest of the package imports in milliseconds and without the ``train`` extra.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pixel_platform.core.errors import MissingDependencyError
from pixel_platform.training.chat_template import fit_chatml
from pixel_platform.training.config import TrainConfig, TrainerArgs
from pixel_platform.training.launch import check_precision, deepspeed_config_path, zero_stage
from pixel_platform.training.tiny import is_moe

log = logging.getLogger(__name__)


def require_training_stack() -> None:
    for module in ("torch", "transformers", "trl", "datasets"):
        try:
            __import__(module)
        except ImportError:
            raise MissingDependencyError(module, "train") from None


def load_model_and_tokenizer(config: TrainConfig, path: str) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs: dict[str, Any] = {
        "dtype": torch.bfloat16 if config.runtime.precision == "bf16" else torch.float32,
        "trust_remote_code": config.model.trust_remote_code,
    }
    if config.model.attn_implementation:
        kwargs["attn_implementation"] = config.model.attn_implementation
    model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    tokenizer = AutoTokenizer.from_pretrained(
        path, trust_remote_code=config.model.trust_remote_code
    )
    fit_chatml(tokenizer, model, config.model.chat_template)
    if is_moe(model.config):
        # TRL turns output_router_logits on, adds router_aux_loss_coef × the load-balancing loss
        # to the loss and logs it as aux_loss (metrics.jsonl, W&B).
        log.info(
            "Mixture-of-Experts base: %s experts, %s per token, router aux loss coef %s",
            getattr(model.config, "num_local_experts", None)
            or getattr(model.config, "num_experts", None),
            getattr(model.config, "num_experts_per_tok", None),
            getattr(model.config, "router_aux_loss_coef", None),
        )
        if config.runtime.deepspeed and zero_stage(config.runtime.deepspeed) == 3:
            mark_moe_leaves(model)
    return model, tokenizer


def moe_block_classes(model: Any) -> list[type]:
    """The classes of a model's sparse MoE blocks (Mixtral's ``MixtralSparseMoeBlock``,
    Qwen-MoE's ``Qwen2MoeSparseMoeBlock``, DeepSeek's ``DeepseekV3MoE``, …)."""
    names = ("SparseMoeBlock", "MoeBlock", "MoE")
    return sorted(
        {type(m) for m in model.modules() if type(m).__name__.endswith(names)},
        key=lambda c: c.__name__,
    )


def mark_moe_leaves(model: Any) -> list[type]:
    """Under ZeRO-3 a rank whose tokens route to no token of some expert never gathers that
    expert's parameters, and the other ranks wait for it forever: each MoE block becomes one
    ZeRO-3 leaf (its parameters gathered together), as DeepSpeed prescribes for MoE models."""
    from deepspeed.utils import set_z3_leaf_modules

    classes = moe_block_classes(model)
    if classes:
        set_z3_leaf_modules(model, classes)
        log.info("ZeRO-3: %s gathered as leaf modules", ", ".join(c.__name__ for c in classes))
    return classes


def _common_args(
    config: TrainConfig, hp: TrainerArgs, output_dir: Path, max_steps: int, run_name: str
) -> dict[str, Any]:
    runtime = config.runtime
    deepspeed = None
    if runtime.deepspeed:
        check_precision(runtime.deepspeed, runtime.precision)
        deepspeed = str(deepspeed_config_path(runtime.deepspeed))
    return {
        "output_dir": str(output_dir),
        "run_name": run_name,
        "learning_rate": hp.learning_rate,
        "num_train_epochs": hp.num_train_epochs,
        "max_steps": max_steps,
        "per_device_train_batch_size": hp.per_device_train_batch_size,
        "per_device_eval_batch_size": hp.per_device_eval_batch_size,
        "gradient_accumulation_steps": hp.gradient_accumulation_steps,
        "warmup_steps": hp.warmup_ratio,  # a float below 1 is a ratio of the total steps
        "lr_scheduler_type": hp.lr_scheduler_type,
        "weight_decay": hp.weight_decay,
        "max_grad_norm": hp.max_grad_norm,
        "logging_steps": hp.logging_steps,
        "save_strategy": "steps",
        "save_steps": hp.save_steps,
        "save_total_limit": hp.save_total_limit,
        "eval_strategy": "no",  # each stage is evaluated once, at its end
        "bf16": runtime.precision == "bf16",
        "fp16": False,
        "use_cpu": runtime.use_cpu,
        "seed": runtime.seed,
        "data_seed": runtime.seed,
        "dataloader_num_workers": runtime.dataloader_num_workers,
        "ddp_backend": runtime.ddp_backend,
        "deepspeed": deepspeed,
        "activation_checkpointing": config.model.gradient_checkpointing,
        "report_to": ["wandb"] if config.logging.wandb else "none",
        "disable_tqdm": True,
        "max_length": config.data.max_length,
    }


def build_trainer(
    kind: str,
    config: TrainConfig,
    model: Any,
    tokenizer: Any,
    train_rows: list[dict[str, Any]],
    eval_rows: list[dict[str, Any]],
    *,
    output_dir: Path,
    max_steps: int,
    run_name: str,
    callbacks: list[Any],
    assistant_only: bool = True,
) -> Any:
    """trl's trainer for a stage: ``sft`` (loss on assistant turns only unless
    ``assistant_only`` is false: pretraining text), or the configured preference method — DPO
    and ORPO take pairs, KTO takes the rows of ``data.kto_rows``."""
    from datasets import Dataset

    if kind == "sft":
        from trl import SFTConfig, SFTTrainer

        trainer_cls: Any = SFTTrainer
        args = SFTConfig(
            **_common_args(config, config.sft, output_dir, max_steps, run_name),
            assistant_only_loss=assistant_only,
            packing=config.sft.packing,
            dataset_num_proc=None,
        )
    else:
        config_cls, trainer_cls = _preference_classes(config.preference.method)
        args = config_cls(
            **_common_args(config, config.preference, output_dir, max_steps, run_name),
            beta=config.preference.beta,
        )
    return trainer_cls(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(eval_rows) if eval_rows else None,
        processing_class=tokenizer,
        callbacks=callbacks,
    )


def _preference_classes(method: str) -> tuple[Any, Any]:
    """trl's config and trainer classes of a preference method (imported on use)."""
    if method == "dpo":
        from trl import DPOConfig, DPOTrainer

        return DPOConfig, DPOTrainer
    if method == "kto":
        from trl import KTOConfig, KTOTrainer

        return KTOConfig, KTOTrainer
    import os

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from trl.experimental.orpo import ORPOConfig, ORPOTrainer  # ORPO lives in trl.experimental

    return ORPOConfig, ORPOTrainer

"""Typed training configuration: frozen dataclasses loaded from YAML plus ``--key value`` flags.

TRL-scripts style: ``python -m pixel_platform.training.train --config cfg.yaml --sft.max_steps 3``.
The bundled ``default.yaml`` is read first, then the ``--config`` file, then the flags (dotted
keys reach nested sections; values are parsed as YAML, so ``3``, ``true``, ``[a, b]`` and
``null`` work). Unknown keys are errors naming the dotted path, like the registry's.
"""

from __future__ import annotations

import dataclasses
import hashlib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, Union

import orjson
import yaml

from pixel_platform.core.errors import ConfigError

DEFAULT_CONFIG = Path(__file__).with_name("default.yaml")
PREFERENCE_METHODS = ("dpo", "orpo", "kto")
PRECISIONS = ("bf16", "fp32")
CHAT_TEMPLATES = ("chatml", "model")


@dataclass(frozen=True)
class ModelArgs:
    base_model: str = "Qwen/Qwen2.5-7B-Instruct"  # a hub id or a local directory
    # "chatml": the bundled ChatML template with {% generation %} markers (assistant-only loss);
    # "model": keep the tokenizer's own template (it must have generation markers for SFT).
    chat_template: str = "chatml"
    attn_implementation: str | None = None  # None: transformers' default (sdpa)
    gradient_checkpointing: bool = True
    trust_remote_code: bool = False


@dataclass(frozen=True)
class DataArgs:
    stages: tuple[str, ...] = ()  # () = every stage with train records, in curriculum order
    max_length: int = 4096
    max_records_per_stage: int | None = None  # a cap for smoke runs; None = all
    eval_split: str | None = "val"  # evaluated at the end of each stage; None = no eval
    # "auto": the release's exports/trl/preference_train.jsonl when listed in the manifest,
    # else pairs derived from phase C shard records carrying metadata.preference.
    preference_source: str = "auto"


@dataclass(frozen=True)
class TrainerArgs:
    """What every stage's ``TrainingArguments`` take from the config."""

    learning_rate: float = 2e-5
    num_train_epochs: float = 1.0
    max_steps: int = -1  # per stage; -1 = num_train_epochs
    per_device_train_batch_size: int = 4
    per_device_eval_batch_size: int = 4
    gradient_accumulation_steps: int = 4
    warmup_ratio: float = 0.03
    lr_scheduler_type: str = "cosine"
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    logging_steps: int = 10
    save_steps: int = 500
    save_total_limit: int | None = 2


@dataclass(frozen=True)
class SFTArgs(TrainerArgs):
    # Phase B's step budget split across the trained stages by curriculum weight (largest
    # remainder, at least one step each); None = the budget the stages would train on their own
    # (max_steps each, or epochs over the release's train counts), still split by weight.
    total_steps: int | None = None
    packing: bool = False


@dataclass(frozen=True)
class PreferenceArgs(TrainerArgs):
    method: str = "dpo"  # dpo | orpo | kto
    beta: float = 0.1
    learning_rate: float = 5e-7
    per_device_train_batch_size: int = 2
    gradient_accumulation_steps: int = 8


@dataclass(frozen=True)
class RuntimeArgs:
    precision: str = "bf16"  # bf16 | fp32
    # A bundled DeepSpeed config name (zero2_bf16, zero3_bf16, zero2_cpu) or a JSON path.
    deepspeed: str | None = None
    use_cpu: bool = False
    seed: int = 42
    dataloader_num_workers: int = 0
    ddp_backend: str | None = None  # None: torch's default (nccl on GPU); "gloo" on CPU


@dataclass(frozen=True)
class LoggingArgs:
    metrics_file: str = "metrics.jsonl"  # relative to the run's checkpoint root
    wandb: bool = False
    wandb_project: str = "pixel-platform"


@dataclass(frozen=True)
class TrainConfig:
    release: str = ""  # a local release directory or s3://bucket/exports/releases/<version>
    expected_manifest_sha256: str | None = None  # the spec pins it; a mismatch refuses to train
    output_root: str = "data/checkpoints"  # local directory or s3://bucket/prefix of this run
    work_dir: str = "data/training/work"  # local scratch: release cache, staged checkpoints
    run_name: str | None = None  # default: the release version
    model: ModelArgs = field(default_factory=ModelArgs)
    data: DataArgs = field(default_factory=DataArgs)
    sft: SFTArgs = field(default_factory=SFTArgs)
    preference: PreferenceArgs = field(default_factory=PreferenceArgs)
    runtime: RuntimeArgs = field(default_factory=RuntimeArgs)
    logging: LoggingArgs = field(default_factory=LoggingArgs)

    def __post_init__(self) -> None:
        if self.preference.method not in PREFERENCE_METHODS:
            raise ConfigError(
                f"preference.method: {self.preference.method!r} is not one of "
                f"{', '.join(PREFERENCE_METHODS)}"
            )
        if self.runtime.precision not in PRECISIONS:
            raise ConfigError(
                f"runtime.precision: {self.runtime.precision!r} is not one of bf16, fp32"
            )
        if self.model.chat_template not in CHAT_TEMPLATES:
            raise ConfigError(
                f"model.chat_template: {self.model.chat_template!r} is not chatml or model"
            )
        if self.data.preference_source not in ("auto", "export", "metadata"):
            raise ConfigError("data.preference_source must be auto, export or metadata")

    def as_dict(self) -> dict[str, Any]:
        return _plain(dataclasses.asdict(self))

    def fingerprint(self) -> str:
        """sha256 of the settings that change what a run trains: not where the release is read
        from or the run is written (the manifest sha256 identifies the release itself)."""
        data = self.as_dict()
        for key in (
            "release",
            "expected_manifest_sha256",
            "output_root",
            "work_dir",
            "run_name",
            "logging",
        ):
            data.pop(key, None)
        data["runtime"].pop("dataloader_num_workers", None)
        return (
            "sha256:" + hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()
        )


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


T = TypeVar("T")


def _coerce(value: Any, hint: Any, path: str) -> Any:
    if hint is Any:
        return value
    origin = typing.get_origin(hint)
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{path}: expected a mapping, got {type(value).__name__}")
        _, item = typing.get_args(hint)
        return {str(k): _coerce(v, item, f"{path}.{k}") for k, v in value.items()}
    if origin in (Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], path)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return build(hint, value, path)
    if origin is tuple:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise ConfigError(f"{path}: expected a list, got {type(value).__name__}")
        item = typing.get_args(hint)[0]
        return tuple(_coerce(v, item, f"{path}.{i}") for i, v in enumerate(value))
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ConfigError(f"{path}: expected a number, got {value!r}")
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"{path}: expected a number, got {value!r}") from None
    if hint is str:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ConfigError(f"{path}: expected a string, got {value!r}")
        return str(value)
    raise ConfigError(f"{path}: unsupported type {hint!r}")  # pragma: no cover - programming error


def build(cls: type[T], data: Any, path: str = "") -> T:
    """An instance of the dataclass ``cls`` from a mapping; unknown keys are errors."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path or '<config>'}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        where = f"{path}." if path else ""
        raise ConfigError(
            f"unknown config key {where}{unknown[0]} (known: {', '.join(sorted(names))})"
        )
    values = {
        key: _coerce(value, hints[key], f"{path}.{key}" if path else key)
        for key, value in data.items()
    }
    return cls(**values)


def _merge(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def read_yaml(path: str | Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read training config {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"training config {path} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"training config {path} must be a mapping at the top level")
    return data


def parse_overrides(argv: Sequence[str]) -> dict[str, Any]:
    """``--a.b value`` / ``--a.b=value`` pairs as a nested mapping (values parsed as YAML)."""
    out: dict[str, Any] = {}
    items = list(argv)
    i = 0
    while i < len(items):
        token = items[i]
        if not token.startswith("--"):
            raise ConfigError(f"unexpected argument {token!r}: overrides are --key value")
        key = token[2:]
        if "=" in key:
            key, raw = key.split("=", 1)
            i += 1
        else:
            if i + 1 >= len(items):
                raise ConfigError(f"--{key} needs a value")
            raw = items[i + 1]
            i += 2
        try:
            value = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError:
            value = raw
        node = out
        parts = key.replace("-", "_").split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def load_config(
    path: str | Path | None = None,
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
) -> TrainConfig:
    """The bundled defaults, then ``path``, then ``overrides`` (a mapping or ``--k v`` flags)."""
    data = read_yaml(DEFAULT_CONFIG)
    if path is not None:
        data = _merge(data, read_yaml(path))
    if overrides:
        if not isinstance(overrides, Mapping):
            overrides = parse_overrides(overrides)
        data = _merge(data, overrides)
    return build(TrainConfig, data)


def dump_config(config: TrainConfig) -> str:
    return yaml.safe_dump(config.as_dict(), sort_keys=False)

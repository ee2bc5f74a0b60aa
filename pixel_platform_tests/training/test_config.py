"""Training config: YAML + --key value overrides into typed frozen dataclasses."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pixel_platform.core.errors import ConfigError
from pixel_platform.training.config import TrainConfig, load_config, parse_overrides


def test_defaults_load_and_are_frozen() -> None:
    config = load_config()
    assert isinstance(config, TrainConfig)
    assert config.preference.method == "dpo" and config.model.chat_template == "chatml"
    assert config.logging.wandb is False  # W&B is opt-in
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.sft.max_steps = 3  # type: ignore[misc]


def test_yaml_then_flags(tmp_path: Path) -> None:
    path = tmp_path / "cfg.yaml"
    path.write_text("sft:\n  learning_rate: 1.0e-4\n  max_steps: 10\npreference:\n  method: orpo\n")
    config = load_config(
        path,
        [
            "--sft.max_steps",
            "3",
            "--data.stages=stage1_foundation,stage2_clinical_reasoning",
            "--runtime.use_cpu",
            "true",
            "--sft.learning_rate",
            "2e-5",
        ],
    )
    assert config.sft.max_steps == 3
    assert config.sft.learning_rate == 2e-5  # "2e-5" is a string to YAML; coerced to float
    assert config.preference.method == "orpo"
    assert config.data.stages == ("stage1_foundation", "stage2_clinical_reasoning")
    assert config.runtime.use_cpu is True


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--sft.bogus", "1"], "unknown config key sft.bogus"),
        (["--sft.max_steps", "many"], "sft.max_steps: expected an integer"),
        (["--runtime.use_cpu", "maybe"], "runtime.use_cpu: expected true or false"),
        (["--preference.method", "ppo"], "preference.method"),
        (["--sft.max_steps"], "needs a value"),
        (["stray"], "unexpected argument"),
    ],
)
def test_bad_overrides_name_the_key(flags: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(None, flags)


def test_parse_overrides_nested() -> None:
    assert parse_overrides(["--a.b.c", "[1, 2]", "--x=null"]) == {
        "a": {"b": {"c": [1, 2]}},
        "x": None,
    }


def test_fingerprint_ignores_paths() -> None:
    a = load_config(None, {"output_root": "/a", "work_dir": "/w1", "release": "/workspace/r"})
    b = load_config(None, {"output_root": "/b", "work_dir": "/w2", "release": "s3://b/r"})
    c = load_config(None, {"sft": {"learning_rate": 1e-3}})
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()

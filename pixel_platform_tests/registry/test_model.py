from pathlib import Path

import pytest
import yaml

from pixel_platform.core.errors import ConfigError
from pixel_platform.registry import STAGES, load_registry
from pixel_platform.registry.model import DEFAULT_REGISTRY, REGISTRY_ENV

SEED_FAMILIES = {
    "mental_health_datasets", "professional_therapeutic", "priority_datasets", "cot_reasoning",
    "edge_case_generator", "edge_case_resulting_chats", "edge_case_synthetic",
    "safety_guardrails_annihilator", "voice_persona", "video_transcripts", "cptsd", "addiction",
    "long_running_therapy", "sarcasm",
}  # fmt: skip


def write_registry(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def minimal(**family_overrides: object) -> dict:
    family = {"stage": "stage1_foundation", "license": "MIT", "sources": [{"prefix": "raw/a/"}]}
    family.update(family_overrides)
    return {
        "licenses": {"MIT": {"name": "MIT", "commercial": True}},
        "families": {"fam": family},
    }


def test_bundled_registry_lists_the_fourteen_seed_families() -> None:
    registry = load_registry()
    # the 14 of the seeds, plus the phase A text and phase C preference families
    assert set(registry.families) == SEED_FAMILIES | {"pretraining_text", "preference_pairs"}
    for name, family in registry.families.items():
        assert family.name == name
        assert family.stage in STAGES
        assert family.sources, name
    assert registry.source_hash.startswith("sha256:")


def test_registry_path_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REGISTRY_ENV, str(write_registry(tmp_path, minimal())))
    assert set(load_registry().families) == {"fam"}


def test_unknown_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_registry(write_registry(tmp_path, minimal(stagee="x")))
    assert "families.fam.stagee" in str(err.value)
    assert str(tmp_path / "registry.yaml") in str(err.value)


def test_bad_stage_and_bad_source_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_registry(write_registry(tmp_path, minimal(stage="stage9")))
    assert "families.fam.stage" in str(err.value)
    with pytest.raises(ConfigError) as err:
        load_registry(write_registry(tmp_path, minimal(sources=[{"prefix": "../escape/"}])))
    assert "families.fam.sources.0" in str(err.value)
    with pytest.raises(ConfigError) as err:
        load_registry(write_registry(tmp_path, minimal(sources=[{"prefix": "a/", "key": "b"}])))
    assert "exactly one" in str(err.value)


def test_undefined_license_and_nested_sources_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"families\.fam\.license"):
        load_registry(write_registry(tmp_path, minimal(license="GPL")))
    with pytest.raises(ConfigError, match="lies inside source"):
        load_registry(
            write_registry(tmp_path, minimal(sources=[{"prefix": "raw/"}, {"prefix": "raw/a/"}]))
        )


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read registry"):
        load_registry(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("families: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_registry(bad)


def test_default_registry_file_ships_with_package() -> None:
    assert DEFAULT_REGISTRY.is_file()

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
    # the 14 of the seeds, plus the phase A text, phase C preference, crisis evaluation and
    # stage 7 simulator ones
    assert set(registry.families) == SEED_FAMILIES | {
        "pretraining_text",
        "preference_pairs",
        "crisis_eval_posts",
        "simulator_tasks",
    }
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


def test_unknown_licence_is_a_decision_that_cannot_be_defined(tmp_path: Path) -> None:
    registry = load_registry(write_registry(tmp_path, minimal(license="unknown")))
    assert registry.families["fam"].license == "unknown"
    assert "unknown" not in registry.licenses  # so the release denies it (license_missing)
    data = minimal()
    data["licenses"]["unknown"] = {"name": "?", "commercial": True}
    with pytest.raises(ConfigError, match=r"licenses\.unknown: 'unknown' is reserved"):
        load_registry(write_registry(tmp_path, data))
    with pytest.raises(ConfigError, match=r"families\.fam\.sources\.0\.license: 'GPL'"):
        load_registry(
            write_registry(tmp_path, minimal(sources=[{"prefix": "a/", "license": "GPL"}]))
        )


def test_posts_routes_only_where_they_cannot_be_trained_as_dialogue(tmp_path: Path) -> None:
    ok = minimal(stage="phaseA_pretraining", posts="text")
    assert load_registry(write_registry(tmp_path, ok)).families["fam"].posts == "text"
    with pytest.raises(ConfigError, match=r"families\.fam\.posts: 'text' makes phase A text"):
        load_registry(write_registry(tmp_path, minimal(posts="text")))
    with pytest.raises(ConfigError, match=r"families\.fam\.sources\.0\.posts: 'crisis_eval'"):
        load_registry(
            write_registry(tmp_path, minimal(sources=[{"prefix": "a/", "posts": "crisis_eval"}]))
        )
    holdout = minimal(holdout=True, sources=[{"prefix": "a/", "posts": "crisis_eval"}])
    family = load_registry(write_registry(tmp_path, holdout)).families["fam"]
    assert family.source_posts(family.sources[0]) == "crisis_eval"
    with pytest.raises(ConfigError, match=r"format: 'post' needs a 'posts' route"):
        load_registry(
            write_registry(tmp_path, minimal(sources=[{"prefix": "a/", "format": "post"}]))
        )


def test_not_ingested_locations_are_checked(tmp_path: Path) -> None:
    def with_claims(*claims: dict) -> Path:
        data = minimal()
        data["not_ingested"] = list(claims)
        return write_registry(tmp_path, data)

    registry = load_registry(
        with_claims(
            {"prefix": "processed/a/", "reason": "mirror", "of": "raw/a/"},
            {"prefix": "voice/monologues/", "reason": "generator_input", "read_by": ["x"]},
            {"key": "config/c.json", "reason": "reference"},
        )
    )
    assert [e.location for e in registry.not_ingested] == [
        "processed/a/",
        "voice/monologues/",
        "config/c.json",
    ]
    with pytest.raises(ConfigError, match=r"not_ingested\.0\.of: 'raw/b/' is not the location"):
        load_registry(with_claims({"prefix": "p/", "reason": "mirror", "of": "raw/b/"}))
    with pytest.raises(ConfigError, match="names the source of a mirror"):
        load_registry(with_claims({"prefix": "p/", "reason": "mirror"}))
    with pytest.raises(ConfigError, match="names the assets that read it"):
        load_registry(with_claims({"prefix": "p/", "reason": "generator_input"}))
    with pytest.raises(ConfigError, match="lies inside source 'raw/a/'"):
        load_registry(with_claims({"key": "raw/a/x.json", "reason": "reference"}))
    with pytest.raises(ConfigError, match=r"already claimed by families\.fam\.sources\.0"):
        load_registry(with_claims({"prefix": "raw/a/", "reason": "reference"}))


def test_a_coverage_waiver_is_its_reason(tmp_path: Path) -> None:
    family = load_registry(
        write_registry(tmp_path, minimal(coverage_waived="  licence under review  "))
    ).families["fam"]
    assert family.coverage_waived == "licence under review"
    plain = load_registry(write_registry(tmp_path, minimal())).families["fam"]
    assert plain.coverage_waived is None
    for no_reason in ("", "   ", True):
        with pytest.raises(ConfigError, match=r"families\.fam\.coverage_waived"):
            load_registry(write_registry(tmp_path, minimal(coverage_waived=no_reason)))

"""Unit tests: split plan, routing reasons, curriculum validation."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
import yaml

from pixel_platform.core.errors import ConfigError
from pixel_platform.registry.model import STAGES, Registry
from pixel_platform.release.curriculum import (
    DEFAULT_CURRICULUM,
    load_curriculum,
    parse_curriculum,
)
from pixel_platform.release.routing import exclusion_reason, record_uid
from pixel_platform.release.split import plan_splits
from pixel_platform_tests.release.synthetic import _vocabulary, make_record


def _clusters(family: str, n: int) -> list[tuple[str, str]]:
    return [(f"{family}-{i}", family) for i in range(n)]


def test_split_is_stratified_per_family_and_deterministic() -> None:
    pairs = _clusters("big", 400) + _clusters("small", 20) + _clusters("tiny", 19)
    plan = plan_splits(pairs, holdout_families=["held"])
    again = plan_splits(list(reversed(pairs)), holdout_families=["held"])
    assert plan.split_of_cluster == again.split_of_cluster
    by_family: dict[str, dict[str, int]] = {}
    for cluster, family in pairs:
        split = plan.split(cluster)
        by_family.setdefault(family, {"train": 0, "val": 0, "test": 0})[split] += 1
    assert by_family["big"] == {"train": 360, "val": 20, "test": 20}
    assert by_family["small"] == {"train": 18, "val": 1, "test": 1}
    assert by_family["tiny"] == {"train": 19, "val": 0, "test": 0}
    assert plan.rule_of_family == {"big": "stratified", "small": "stratified", "tiny": "tiny"}


def test_holdout_wins_for_a_shared_cluster() -> None:
    pairs = [*_clusters("held", 30), ("shared", "open"), ("shared", "held")]
    plan = plan_splits(pairs, holdout_families=["held"])
    assert {plan.split(c) for c, f in pairs if f == "held"} == {"test"}
    assert plan.split("shared") == "test"


def test_adding_a_cluster_moves_at_most_a_boundary_cluster() -> None:
    base = _clusters("f", 200)
    before = plan_splits(base, []).split_of_cluster
    after = plan_splits([*base, ("f-new", "f")], []).split_of_cluster
    moved = [c for c in before if before[c] != after[c]]
    assert len(moved) <= 2


def _record(registry: Registry, family: str = "cptsd") -> dict[str, Any]:
    rng = random.Random(1)
    return make_record(rng, _vocabulary(rng, 200), family, registry, 3)


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda r: r["metadata"].pop("provenance"), "provenance_incomplete"),
        (lambda r: r["metadata"]["provenance"].update(family="mystery"), "family_unknown"),
        (lambda r: r["metadata"]["provenance"].update(license=None), "license_missing"),
        (lambda r: r["metadata"]["provenance"].update(license="WTFPL"), "license_missing"),
        (
            lambda r: r["metadata"]["provenance"].update(license="CC-BY-NC-4.0"),
            "license_noncommercial",
        ),
        (lambda r: r["metadata"]["provenance"].pop("source_etag"), "provenance_incomplete"),
        (lambda r: r["metadata"].update(pii_status="requires_review"), "pii_requires_review"),
        (lambda r: r["metadata"].pop("pii_status"), "pii_status_missing"),
        (
            lambda r: r["metadata"]["crisis"].update(crisis_response_unsafe=True),
            "crisis_response_unsafe",
        ),
    ],
)
def test_routing_denies_by_default(registry: Registry, edit: Any, reason: str) -> None:
    record = _record(registry)
    assert exclusion_reason(record, registry, commercial=True) is None
    edit(record)
    assert exclusion_reason(record, registry, commercial=True) == reason


def test_non_commercial_ships_in_a_non_commercial_build(registry: Registry) -> None:
    record = _record(registry)
    record["metadata"]["provenance"]["license"] = "CC-BY-NC-4.0"
    assert exclusion_reason(record, registry, commercial=False) is None


def test_uid_names_the_source(registry: Registry) -> None:
    record = _record(registry)
    assert record_uid(record, "in.jsonl", 9) == "gdrive/raw/cptsd/part-0.jsonl#3"
    record["metadata"]["provenance"]["index"] = None
    assert record_uid(record, "in.jsonl", 9) == "gdrive/raw/cptsd/part-0.jsonl@L4"
    del record["metadata"]["provenance"]
    assert record_uid(record, "in.jsonl", 9) == "in.jsonl@L9"


def test_bundled_curriculum_orders_every_stage_with_weights(registry: Registry) -> None:
    curriculum = load_curriculum()
    assert sorted(curriculum.stage_ids) == sorted(STAGES)
    assert curriculum.stage_ids[0] == "phaseA_pretraining"
    assert curriculum.stage_ids[-1] == "phaseC_preference"
    weights = [s.weight for s in curriculum.stages if s.phase == "B"]
    assert weights == [25, 20, 15, 15, 10, 10, 5]
    assert curriculum.stage_for(registry, "cptsd") == "stage6_specialized_domains"
    assert curriculum.phase_of("phaseC_preference") == "C"
    assert curriculum.hash.startswith("sha256:")


def test_curriculum_override_and_validation(registry: Registry) -> None:
    data = yaml.safe_load(DEFAULT_CURRICULUM.read_text())
    data["family_stage_overrides"] = {"cptsd": "stage7_simulator_tasks"}
    curriculum = parse_curriculum(data)
    assert curriculum.stage_for(registry, "cptsd") == "stage7_simulator_tasks"

    bad_weights = copy.deepcopy(data)
    bad_weights["phases"][1]["stages"][0]["weight"] = 30
    with pytest.raises(ConfigError, match="add up to 100"):
        parse_curriculum(bad_weights)
    missing = copy.deepcopy(data)
    missing["phases"][1]["stages"].pop()
    with pytest.raises(ConfigError, match="exactly once"):
        parse_curriculum(missing)
    unknown = copy.deepcopy(data)
    unknown["family_stage_overrides"] = {"nobody": "stage1_foundation"}
    with pytest.raises(ConfigError, match="unknown families"):
        parse_curriculum(unknown).check_registry(registry)

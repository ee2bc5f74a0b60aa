"""The training curriculum: phases A (pretraining), B (seven SFT stages, weighted), C (preference).

Loaded from ``curriculum.yaml`` beside this module unless a path is given. It is validated against
the registry's ``STAGES``: every stage appears exactly once, phase B's weights add up to 100, and
overrides name known families and stages. ``hash`` (sha256 of the file bytes) goes in the manifest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pixel_platform.core.errors import ConfigError
from pixel_platform.registry.model import STAGES, Registry

DEFAULT_CURRICULUM = Path(__file__).with_name("curriculum.yaml")
PHASES = ("A", "B", "C")


@dataclass(frozen=True)
class StageSpec:
    id: str
    phase: str
    name: str
    weight: float  # share of phase B's sampling budget in percent; 0 outside phase B
    order: int  # position in training order, 1-based over all phases


@dataclass(frozen=True)
class Curriculum:
    name: str
    stages: tuple[StageSpec, ...]  # in training order
    family_stage_overrides: dict[str, str] = field(default_factory=dict)
    hash: str = ""
    phase_names: dict[str, str] = field(default_factory=dict)

    def stage(self, stage_id: str) -> StageSpec:
        for spec in self.stages:
            if spec.id == stage_id:
                return spec
        raise ConfigError(f"stage {stage_id!r} is not in curriculum {self.name!r}")

    @property
    def stage_ids(self) -> tuple[str, ...]:
        return tuple(spec.id for spec in self.stages)

    def stage_for(self, registry: Registry, family: str) -> str:
        """The stage a family trains in: the curriculum's override, else the registry's."""
        override = self.family_stage_overrides.get(family)
        return override if override is not None else registry.family(family).stage

    def phase_of(self, stage_id: str) -> str:
        return self.stage(stage_id).phase

    def check_registry(self, registry: Registry) -> None:
        unknown = sorted(set(self.family_stage_overrides) - set(registry.families))
        if unknown:
            raise ConfigError(
                f"curriculum {self.name!r}: family_stage_overrides names unknown families {unknown}"
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "hash": self.hash,
            "stages": [
                {"id": s.id, "phase": s.phase, "name": s.name, "weight": s.weight, "order": s.order}
                for s in self.stages
            ],
            "family_stage_overrides": dict(sorted(self.family_stage_overrides.items())),
        }


def load_curriculum(path: str | Path | None = None) -> Curriculum:
    resolved = Path(path) if path is not None else DEFAULT_CURRICULUM
    try:
        raw = resolved.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read curriculum {resolved}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"curriculum {resolved} is not valid YAML: {exc}") from None
    return parse_curriculum(data, source=str(resolved), digest=_digest(raw))


def _digest(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def parse_curriculum(data: Any, *, source: str = "<dict>", digest: str = "") -> Curriculum:
    def fail(where: str, message: str) -> ConfigError:
        return ConfigError(f"invalid curriculum {source}: {where}: {message}")

    if not isinstance(data, dict):
        raise fail("<top level>", "must be a mapping with 'phases'")
    unknown = sorted(set(data) - {"version", "name", "phases", "family_stage_overrides"})
    if unknown:
        raise fail("<top level>", f"unknown keys {unknown}")
    phases = data.get("phases")
    if not isinstance(phases, list) or [p.get("id") for p in phases if isinstance(p, dict)] != list(
        PHASES
    ):
        raise fail("phases", f"must list the phases {', '.join(PHASES)} in that order")
    stages: list[StageSpec] = []
    phase_names: dict[str, str] = {}
    for i, phase in enumerate(phases):
        phase_id = phase["id"]
        phase_names[phase_id] = str(phase.get("name", phase_id))
        entries = phase.get("stages")
        if not isinstance(entries, list) or not entries:
            raise fail(f"phases.{i}.stages", "must be a non-empty list")
        for j, entry in enumerate(entries):
            where = f"phases.{i}.stages.{j}"
            if not isinstance(entry, dict) or entry.get("id") not in STAGES:
                raise fail(where, f"id must be one of {', '.join(STAGES)}")
            weight = entry.get("weight", 0)
            if phase_id != "B" and weight:
                raise fail(where, "only phase B stages carry weights")
            if not isinstance(weight, int | float) or weight < 0:
                raise fail(where, "weight must be a number >= 0")
            stages.append(
                StageSpec(
                    id=entry["id"],
                    phase=phase_id,
                    name=str(entry.get("name", entry["id"])),
                    weight=float(weight),
                    order=len(stages) + 1,
                )
            )
    ids = [s.id for s in stages]
    missing = sorted(set(STAGES) - set(ids))
    doubled = sorted({s for s in ids if ids.count(s) > 1})
    if missing or doubled:
        raise fail("phases", f"every stage exactly once; missing {missing}, repeated {doubled}")
    total = sum(s.weight for s in stages if s.phase == "B")
    if abs(total - 100.0) > 1e-6:
        raise fail("phases.B", f"stage weights must add up to 100, got {total:g}")
    overrides = data.get("family_stage_overrides") or {}
    if not isinstance(overrides, dict) or any(v not in STAGES for v in overrides.values()):
        raise fail("family_stage_overrides", "must map family names to stage ids")
    return Curriculum(
        name=str(data.get("name", "curriculum")),
        stages=tuple(stages),
        family_stage_overrides={str(k): str(v) for k, v in overrides.items()},
        hash=digest or _digest(json.dumps(data, sort_keys=True, default=str).encode()),
        phase_names=phase_names,
    )

"""Curation settings: one YAML file with a section per step (quality, pii, crisis, dedup)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from pixel_platform.core.errors import ConfigError
from pixel_platform.curation.dedup import DedupConfig
from pixel_platform.curation.pii import PiiConfig
from pixel_platform.curation.quality import QualityConfig

DEFAULT_CURATION_CONFIG = Path(__file__).with_name("curation.yaml")
CURATION_CONFIG_ENV = "PIXEL_CURATION_CONFIG"
SECTIONS = ("quality", "pii", "crisis", "dedup")


@dataclass(frozen=True)
class CurationConfig:
    quality: QualityConfig = field(default_factory=QualityConfig)
    pii: PiiConfig = field(default_factory=PiiConfig)
    crisis_lexicon: str | None = None
    dedup: DedupConfig = field(default_factory=DedupConfig)
    source_hash: str = ""

    @classmethod
    def load(cls, path: str | Path | None = None) -> CurationConfig:
        resolved = Path(path or os.environ.get(CURATION_CONFIG_ENV) or DEFAULT_CURATION_CONFIG)
        try:
            raw_bytes = resolved.read_bytes()
            data: Any = yaml.safe_load(raw_bytes) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read curation config {resolved}: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"curation config {resolved} must be a mapping")
        unknown = sorted(set(data) - set(SECTIONS))
        if unknown:
            raise ConfigError(
                f"curation config {resolved}: unknown section(s) {', '.join(unknown)};"
                f" expected {', '.join(SECTIONS)}"
            )
        try:
            return cls(
                quality=QualityConfig.from_mapping(data.get("quality") or {}),
                pii=_pii_config(data.get("pii") or {}),
                crisis_lexicon=(data.get("crisis") or {}).get("lexicon"),
                dedup=DedupConfig.from_dict(data.get("dedup") or {}),
                source_hash="sha256:" + hashlib.sha256(raw_bytes).hexdigest(),
            )
        except ConfigError as exc:
            raise ConfigError(f"curation config {resolved}: {exc}") from None


def _pii_config(section: dict[str, Any]) -> PiiConfig:
    known = {f.name for f in fields(PiiConfig)}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(f"pii: unknown key(s) {', '.join(unknown)}")
    values = dict(section)
    if "uncertain_band" in values:
        values["uncertain_band"] = tuple(values["uncertain_band"])
    if "allowlist_path" in values:
        values["allowlist_path"] = Path(values["allowlist_path"])
    if "entities" in values:
        values["entities"] = tuple(values["entities"])
    return PiiConfig(**values)

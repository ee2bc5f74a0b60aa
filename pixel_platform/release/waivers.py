"""Coverage waivers: families a release may lack, each with the reason and where it came from.

A waiver lets the Coverage gate pass without a family's records. Every waiver carries a reason
(a waiver nobody can explain later is the gap the gate exists to catch) and its source:

- ``registry``: ``families.<name>.coverage_waived: "<reason>"`` in the registry YAML;
- ``run_config``: the ``dataset_release`` asset's run config, ``waive_coverage: [FAMILY:REASON]``;
- ``cli``: ``pixel-platform run --waive-coverage FAMILY:REASON`` (which sets that run config);
- ``options``: ``ReleaseOptions(coverage_waivers=...)`` from Python.

``resolve_waivers`` adds the registry's to the given ones and checks them: a waiver for a family
the registry does not have is an error naming it. The manifest records all of them under
``options.coverage_waivers``; the Coverage gate lists them in its metadata.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pixel_platform.core.errors import ConfigError
from pixel_platform.registry.model import Registry

WAIVER_SOURCES = ("registry", "run_config", "cli", "options")


@dataclass(frozen=True, order=True)
class CoverageWaiver:
    family: str
    source: str
    reason: str

    def __post_init__(self) -> None:
        if self.source not in WAIVER_SOURCES:
            raise ConfigError(
                f"coverage waiver source {self.source!r}: expected one of"
                f" {', '.join(WAIVER_SOURCES)}"
            )
        if not self.family.strip():
            raise ConfigError(f"a coverage waiver ({self.source}) names no family")
        if not self.reason.strip():
            raise ConfigError(
                f"the coverage waiver of family {self.family!r} ({self.source}) needs a reason"
            )

    def as_dict(self) -> dict[str, str]:
        return {"family": self.family, "reason": self.reason, "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CoverageWaiver:
        return cls(str(data["family"]), str(data["source"]), str(data["reason"]))


def parse_waiver(text: str, source: str) -> CoverageWaiver:
    """``FAMILY:REASON`` (the reason may itself contain colons) -> a waiver from ``source``."""
    family, colon, reason = text.partition(":")
    if not colon or not reason.strip():
        raise ConfigError(
            f"coverage waiver {family.strip()!r} ({source}) needs a reason: FAMILY:REASON,"
            " e.g. sarcasm:licence under review"
        )
    return CoverageWaiver(family.strip(), source, reason.strip())


def parse_waivers(texts: Iterable[str], source: str) -> tuple[CoverageWaiver, ...]:
    return tuple(parse_waiver(text, source) for text in texts)


def registry_waivers(registry: Registry) -> tuple[CoverageWaiver, ...]:
    return tuple(
        CoverageWaiver(name, "registry", spec.coverage_waived)
        for name, spec in sorted(registry.families.items())
        if spec.coverage_waived is not None
    )


def resolve_waivers(
    registry: Registry, waivers: Iterable[CoverageWaiver] = ()
) -> tuple[CoverageWaiver, ...]:
    """The registry's waivers plus ``waivers``, checked and sorted (family, source). Resolving
    twice gives the same waivers; one family waived twice by one source is an error."""
    chosen: dict[tuple[str, str], CoverageWaiver] = {}
    for waiver in (*registry_waivers(registry), *waivers):
        if waiver.family not in registry.families:
            raise ConfigError(
                f"coverage waiver ({waiver.source}) for family {waiver.family!r}, which the"
                f" registry does not have; its families: {', '.join(sorted(registry.families))}"
            )
        earlier = chosen.setdefault((waiver.family, waiver.source), waiver)
        if earlier != waiver:
            raise ConfigError(
                f"family {waiver.family!r} is waived twice ({waiver.source}) with different"
                " reasons; give one"
            )
    return tuple(sorted(chosen.values()))


def waivers_from_options(options: Mapping[str, Any]) -> tuple[CoverageWaiver, ...]:
    """The waivers a manifest's ``options`` record (none in manifests from before waivers had
    reasons: their ``waived_families`` still count, without one)."""
    entries = options.get("coverage_waivers") or ()
    try:
        return tuple(sorted(CoverageWaiver.from_dict(entry) for entry in entries))
    except (KeyError, TypeError, AttributeError):
        raise ConfigError(
            "manifest options.coverage_waivers: each entry needs family, source and reason"
        ) from None

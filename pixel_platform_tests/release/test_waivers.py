"""Coverage waivers (``release.waivers``): a waived family may be absent; every waiver has a
reason and a source, is checked against the registry and is recorded in the manifest, the
Coverage gate's metadata and the report."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml

from pixel_platform.core.errors import ConfigError
from pixel_platform.registry.model import DEFAULT_REGISTRY, Registry, load_registry
from pixel_platform.release import (
    GateContext,
    ReleaseResult,
    build_release,
    list_releases,
    run_gates,
)
from pixel_platform.release.results import GateResult
from pixel_platform.release.waivers import (
    CoverageWaiver,
    parse_waiver,
    registry_waivers,
    resolve_waivers,
)
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.support import release_options
from pixel_platform_tests.release.synthetic import write_inputs

ABSENT = "sarcasm"


def registry_waiving(tmp_path: Path, waived: dict[str, str]) -> Registry:
    """The bundled registry with ``coverage_waived`` set on some families."""
    data = yaml.safe_load(DEFAULT_REGISTRY.read_bytes())
    for family, reason in waived.items():
        data["families"][family]["coverage_waived"] = reason
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_registry(path)


def build_without(
    root: Path, registry: Registry, family: str = ABSENT, **overrides: object
) -> ReleaseResult:
    """The synthetic release with no input (and no accounting) for ``family``."""
    store = LocalObjectStore(root)
    inputs = write_inputs(store, registry)
    kept = [key for key in inputs.inputs if f"/{family}/" not in key]
    accounting = {f: a for f, a in inputs.accounting.items() if f != family}
    options = release_options(**overrides)
    return build_release(store, registry, kept, accounting, inputs.snapshots, options)


def coverage(result: ReleaseResult) -> GateResult:
    return next(g for g in result.gates if g.name == "coverage")


def test_without_a_waiver_the_absent_family_fails_coverage(
    tmp_path: Path, registry: Registry
) -> None:
    result = build_without(tmp_path, registry)
    assert {g.name for g in result.gates if not g.passed} == {"coverage"}
    assert coverage(result).violations == {"family_missing": 1}
    assert result.manifest["options"]["coverage_waivers"] == []
    report = (tmp_path / result.prefix / "report.html").read_text()
    assert f'<p class="fail" id="coverage-missing">Missing, not waived: {ABSENT}</p>' in report
    assert "No coverage waivers." in report


def test_a_registry_waiver_lets_the_family_be_absent_and_is_recorded(tmp_path: Path) -> None:
    reason = "licence under review: ticket 42"
    registry = registry_waiving(tmp_path, {ABSENT: reason})
    result = build_without(tmp_path / "bucket", registry)
    assert result.passed, {g.name: g.violations for g in result.gates if not g.passed}
    recorded = [{"family": ABSENT, "reason": reason, "source": "registry"}]
    assert result.manifest["options"]["coverage_waivers"] == recorded
    assert result.manifest["options"]["waived_families"] == [ABSENT]
    gate = coverage(result)
    assert gate.metadata["waivers"] == recorded and ABSENT in gate.metadata["waived"]
    assert gate.metadata["waived_but_present"] == []
    # verify re-gates with the manifest's waivers, whatever the registry says now
    release = tmp_path / "bucket" / result.prefix
    manifest = orjson.loads((release / "manifest.json").read_bytes())
    ctx = GateContext.from_manifest(load_registry(DEFAULT_REGISTRY), manifest)
    (again,) = run_gates(LocalObjectStore(release), "", ctx, ["coverage"])
    assert again.passed and again.metadata["waivers"] == recorded


def test_waivers_from_options_join_the_registrys_and_all_are_recorded(tmp_path: Path) -> None:
    registry = registry_waiving(tmp_path, {"cptsd": "transcripts pending"})
    waivers = (
        CoverageWaiver(ABSENT, "cli", "relabelling"),
        CoverageWaiver(ABSENT, "options", "relabelling, from Python"),
    )
    result = build_without(tmp_path / "bucket", registry, coverage_waivers=waivers)
    assert result.passed
    assert result.manifest["options"]["coverage_waivers"] == [
        {"family": "cptsd", "reason": "transcripts pending", "source": "registry"},
        {"family": ABSENT, "reason": "relabelling", "source": "cli"},
        {"family": ABSENT, "reason": "relabelling, from Python", "source": "options"},
    ]
    assert coverage(result).metadata["waived_but_present"] == ["cptsd"]
    report = (tmp_path / "bucket" / result.prefix / "report.html").read_text()
    assert 'id="coverage-waivers"' in report
    for text in ("transcripts pending", "relabelling, from Python", "registry", "cli"):
        assert text in report


def test_a_waiver_for_an_unknown_family_is_an_error_naming_it(
    tmp_path: Path, registry: Registry
) -> None:
    waiver = CoverageWaiver("no_such_family", "cli", "typo")
    with pytest.raises(ConfigError, match=r"'no_such_family'.*registry does not have"):
        build_without(tmp_path, registry, coverage_waivers=(waiver,))
    store = LocalObjectStore(tmp_path)
    assert list_releases(store) == []
    assert not list(store.list("exports/"))  # failed before claiming a version


def test_a_waiver_needs_a_reason() -> None:
    for text in ("sarcasm", "sarcasm:", "sarcasm:   "):
        with pytest.raises(ConfigError, match="'sarcasm' \\(cli\\) needs a reason"):
            parse_waiver(text, "cli")
    with pytest.raises(ConfigError, match="needs a reason"):
        CoverageWaiver("sarcasm", "options", " ")
    with pytest.raises(ConfigError, match="source 'somewhere'"):
        CoverageWaiver("sarcasm", "somewhere", "why")
    assert parse_waiver(" sarcasm : see: ticket 42 ", "run_config") == CoverageWaiver(
        "sarcasm", "run_config", "see: ticket 42"
    )


def test_resolving_adds_the_registrys_checks_and_is_idempotent(tmp_path: Path) -> None:
    registry = registry_waiving(tmp_path, {"cptsd": "pending"})
    assert registry_waivers(registry) == (CoverageWaiver("cptsd", "registry", "pending"),)
    given = (CoverageWaiver(ABSENT, "cli", "b"), CoverageWaiver("addiction", "cli", "a"))
    once = resolve_waivers(registry, given)
    assert [(w.family, w.source) for w in once] == [
        ("addiction", "cli"),
        ("cptsd", "registry"),
        (ABSENT, "cli"),
    ]
    assert resolve_waivers(registry, once) == once
    with pytest.raises(ConfigError, match="'sarcasm' is waived twice \\(cli\\)"):
        resolve_waivers(registry, (*given, CoverageWaiver(ABSENT, "cli", "other")))


def test_a_waiver_list_of_strings_is_refused() -> None:
    with pytest.raises(ConfigError, match="CoverageWaiver"):
        release_options(coverage_waivers=("sarcasm:why",))

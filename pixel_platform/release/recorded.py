"""A published release's gate results: the build's own, while they still hold, else recomputed.

The build ran every gate on the staged files and recorded the results in the manifest. They are
those of the published release as long as the manifest is the one the build wrote (its sha256 is
kept outside the bucket, e.g. in the Dagster instance), every file matches the manifest's sha256,
and the registry and code are those of the build. Otherwise (anything edited after publishing, a
new registry or code version) the gate runs again on the published files. The hash gate always
runs, and also holds the manifest to the digest kept outside the bucket and its ``version`` to its
folder (``release.authenticity``), so a manifest rewritten to match rewritten files is caught too.

The Dagster gate checks use this; ``pixel-platform verify`` always recomputes every gate but
shares the registry comparison (``built_with_registry``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pixel_platform import PIPELINE_VERSION
from pixel_platform.core.progress import Progress, no_progress
from pixel_platform.registry.model import Registry
from pixel_platform.release.authenticity import check_authenticity
from pixel_platform.release.gates import digest_object, run_gates_on
from pixel_platform.release.layout import NOT_IN_MANIFEST, RELEASES_PREFIX, prefix_of
from pixel_platform.release.options import GateContext
from pixel_platform.release.results import GateResult
from pixel_platform.release.signing import manifest_digest
from pixel_platform.release.view import ReleaseView
from pixel_platform.storage.base import ObjectStore

ALWAYS_RECOMPUTED = "hash"  # the gate that never takes the build's result
INSTANCE_ANCHOR = "dagster instance"  # what the digest kept outside the bucket is called

# (release prefix, manifest sha256, listing, stored paths) -> whether every file matches the
# manifest. The gate checks of one run share it when they run in one process (in-process executor).
_VERIFIED_FILES: dict[tuple[str, str, tuple[tuple[str, str, int], ...], tuple[str, ...]], bool] = {}


def built_with_registry(manifest: Mapping[str, Any], registry_hash: str) -> bool:
    """Whether the release was built with the registry whose source hashes to ``registry_hash``."""
    return bool((manifest.get("registry") or {}).get("hash") == registry_hash)


def built_with_this_code(manifest: Mapping[str, Any]) -> bool:
    """Whether the release was built by this pipeline version."""
    return bool((manifest.get("pipeline") or {}).get("version") == PIPELINE_VERSION)


def files_match_manifest(
    store: ObjectStore, prefix: str, manifest: dict[str, Any], manifest_sha256: str
) -> bool:
    """Every file the manifest lists has its sha256 and size, and nothing else is there."""
    view = ReleaseView(store, prefix)
    listing = tuple(sorted((path, i.etag, i.size) for path, i in view.objects.items()))
    key = (view.uri(), manifest_sha256, listing, tuple(sorted(view.stored_paths)))
    if key not in _VERIFIED_FILES:
        listed = {entry["path"]: entry for entry in manifest.get("files", [])}
        ok = view.stored_paths - NOT_IN_MANIFEST == set(listed)
        for path, entry in listed.items() if ok else ():
            sha256, size, _ = digest_object(view, path)
            if (sha256, size) != (entry.get("sha256"), entry.get("bytes")):
                ok = False
                break
        _VERIFIED_FILES[key] = ok
    return _VERIFIED_FILES[key]


def recorded_result(
    gate: str,
    store: ObjectStore,
    prefix: str,
    manifest: dict[str, Any],
    built_sha256: str,
    registry_hash: str,
) -> GateResult | None:
    """The build's own result for ``gate``, when it still holds for what is published.

    It holds while the manifest is the one the build wrote (``built_sha256``: the hex digest kept
    outside the bucket), every file matches the manifest's sha256, and the registry and code are
    those of the build; ``None`` otherwise, and always for the hash gate.
    """
    if gate == ALWAYS_RECOMPUTED or not built_sha256:
        return None
    view = ReleaseView(store, prefix)
    same_build = view.manifest_bytes is not None and (
        manifest_digest(view.manifest_bytes) == f"sha256:{built_sha256}"
    )
    same_code = built_with_this_code(manifest)
    same_registry = built_with_registry(manifest, registry_hash)
    if not (same_build and same_code and same_registry):
        return None
    results = {r["name"]: r for r in (manifest.get("gates") or {}).get("results", [])}
    if gate not in results or not files_match_manifest(store, prefix, manifest, built_sha256):
        return None
    return GateResult.from_dict(results[gate])


def with_findings(result: GateResult, extra: GateResult) -> GateResult:
    """``result`` with ``extra``'s violations and examples added; it fails if either does."""
    violations = dict(result.violations)
    for kind, n in extra.violations.items():
        violations[kind] = violations.get(kind, 0) + n
    return GateResult(
        result.name,
        result.passed and extra.passed,
        dict(sorted(violations.items())),
        [*result.examples, *extra.examples],
        {**result.metadata, extra.name: extra.metadata},
    )


def published_gate_result(
    gate: str,
    store: ObjectStore,
    version: str,
    manifest: dict[str, Any],
    built_sha256: str,
    registry: Registry,
    *,
    progress: Progress = no_progress,
) -> tuple[GateResult, bool]:
    """(``gate``'s result on the published release ``version``, whether it is the build's own).

    The build's recorded result while it holds (``recorded_result``), else the gate run again on
    the published files; the hash gate also checks the manifest's authenticity against
    ``built_sha256`` (when there is one) and its folder's version.
    """
    prefix = prefix_of(RELEASES_PREFIX, version)
    result = recorded_result(gate, store, prefix, manifest, built_sha256, registry.source_hash)
    if result is not None:
        return result, True
    view = ReleaseView(store, prefix)
    (result,) = run_gates_on(
        view, GateContext.from_manifest(registry, manifest), [gate], progress=progress
    )
    if gate == ALWAYS_RECOMPUTED:
        recorded = {INSTANCE_ANCHOR: f"sha256:{built_sha256}"} if built_sha256 else {}
        result = with_findings(result, check_authenticity(view, version, recorded))
    return result, False

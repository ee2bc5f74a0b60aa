"""Versioned, gated training releases (no Dagster here; the asset and the CLI call into this).

Public API::

    result = build_release(store, registry, inputs, accounting, snapshots, ReleaseOptions(...))
    # accounting: {family: core.report.Accounting} (or its dict), from the dedup report
    result.version, result.prefix, result.manifest, result.gates
    result.published, result.latest_moved
    list_releases(store) -> ["v2025-12-29", "v2025-12-29-2", ...]     # only those with a manifest
    load_manifest(store, version) -> dict
    run_gates(store, release_prefix, GateContext.from_manifest(registry, manifest)) -> [GateResult]

Modules: ``curriculum`` (phases/stages/weights), ``routing`` (what ships, exclusion reasons),
``split`` (cluster split per family), ``build`` (staging, gates, publishing), ``gates`` (the
eleven gates), ``recorded`` (a published release's recorded gate results, reused by the Dagster
checks while the files still match), ``summary`` (what a build reports), ``waivers`` (coverage
waivers: family, reason, source), ``view`` (a release read through the ObjectStore), ``publish``
(versions, LATEST, ``final_dataset/``), ``stats``/``report``/``charts``/``exports`` (stats.json,
report.html and its HTML charts, trainer files), ``signing`` (Ed25519 signatures of manifests)
and ``authenticity`` (a manifest against its folder's version, a digest kept outside the bucket
and its signature).
"""

from pixel_platform.release.build import ReleaseResult, build_release, iter_released
from pixel_platform.release.curriculum import Curriculum, load_curriculum
from pixel_platform.release.gates import GATES, run_gate, run_gates, run_gates_on
from pixel_platform.release.layout import FINAL_PREFIX, RELEASES_PREFIX, STAGING_PREFIX
from pixel_platform.release.options import GateContext, ReleaseOptions
from pixel_platform.release.publish import list_releases, load_manifest, read_latest
from pixel_platform.release.results import GateResult
from pixel_platform.release.view import ReleaseView

__all__ = [
    "FINAL_PREFIX",
    "GATES",
    "RELEASES_PREFIX",
    "STAGING_PREFIX",
    "Curriculum",
    "GateContext",
    "GateResult",
    "ReleaseOptions",
    "ReleaseResult",
    "ReleaseView",
    "build_release",
    "iter_released",
    "list_releases",
    "load_curriculum",
    "load_manifest",
    "read_latest",
    "run_gate",
    "run_gates",
    "run_gates_on",
]

"""Assemble what ``release.build_release`` needs from the pipeline's own stats files.

Inputs are the deduplicated partitions; accounting per family adds up ingest, curation and dedup
counts (raw in = released + quarantined + dedup-dropped + release-excluded, checked by the
Accounting gate); snapshots name every raw object with its ETag for the manifest.

A build is skipped when ``LATEST`` is a release that passed its gates and was built from exactly
these inputs (``inputs_fingerprint``: deduplicated outputs by sha256, accounting, raw snapshots,
registry, curriculum, gate options, code version): it would only publish the same records again
under a new version number.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from pixel_platform import PIPELINE_VERSION
from pixel_platform.core.reasons import Reason
from pixel_platform.curation.config import CurationConfig
from pixel_platform.derived.status import derived_skipped
from pixel_platform.pipeline.curate import read_curated_stats
from pixel_platform.pipeline.dedup import read_dedup_stats
from pixel_platform.pipeline.partition import read_partition_stats
from pixel_platform.pipeline.snapshot import read_snapshot
from pixel_platform.registry.model import Registry
from pixel_platform.release import (
    ReleaseOptions,
    ReleaseResult,
    build_release,
    load_curriculum,
    load_manifest,
    read_latest,
)
from pixel_platform.storage.base import ObjectStore

REPO_ROOT = Path(__file__).resolve().parents[2]


def git_sha() -> str:
    """``PIXEL_GIT_SHA`` (set in images), else the checkout's HEAD, else empty."""
    if os.environ.get("PIXEL_GIT_SHA"):
        return os.environ["PIXEL_GIT_SHA"]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


@dataclass(frozen=True)
class UpToDate:
    """No build: ``LATEST`` (``version``) was built from the same inputs and passed its gates."""

    version: str
    manifest: dict[str, Any]
    fingerprint: str


def release_inputs(
    store: ObjectStore,
) -> tuple[list[str], dict[str, dict[str, Any]], list[dict[str, Any]], list[list[str]]]:
    """The deduplicated partitions' keys, per-family accounting, raw snapshots, and each
    partition's (key, sha256) for the inputs fingerprint."""
    dedup = read_dedup_stats(store)
    if dedup is None or dedup.get("dry_run"):
        raise FileNotFoundError(
            "no deduplicated partitions; materialize deduplicated_conversations"
        )
    inputs = [out["key"] for out in dedup["outputs"]]
    accounting: dict[str, dict[str, Any]] = {}
    snapshots: list[dict[str, Any]] = []
    for out in dedup["outputs"]:
        family, partition = out["family"], out["partition_key"]
        processed = read_partition_stats(store, family, partition)
        curated = read_curated_stats(store, family, partition)
        snapshot = read_snapshot(store, family, partition)
        if processed is None or curated is None or snapshot is None:
            raise FileNotFoundError(f"{family} {partition}: processed/curated stats missing")
        entry = accounting.setdefault(
            family, {"raw_in": 0, "quarantined": Counter(), "dedup_dropped": Counter()}
        )
        entry["raw_in"] += processed["units_in"]
        entry["quarantined"].update(processed["quarantined_by_reason"])
        entry["quarantined"].update(curated["quarantined_by_reason"])
        snapshots += [
            {"key": o.key, "etag": o.etag, "size": o.size, "family": family}
            for o in snapshot.objects
        ]
    for family, counts in dedup["families"].items():
        if family in accounting:
            accounting[family]["dedup_dropped"].update(counts["dropped_by_kind"])
    for entry in accounting.values():
        entry["quarantined"] = dict(entry["quarantined"])
        entry["dedup_dropped"] = dict(entry["dedup_dropped"])
    contents = [[out["key"], out["sha256"]] for out in dedup["outputs"]]
    return inputs, accounting, snapshots, contents


def inputs_fingerprint(
    contents: list[list[str]],
    accounting: dict[str, dict[str, Any]],
    snapshots: list[dict[str, Any]],
    registry: Registry,
    options: ReleaseOptions,
) -> str:
    """Everything a release's files are a function of, hashed."""
    document = {
        "inputs": contents,
        "accounting": accounting,
        "raw_objects": [[s["key"], s["etag"], s["size"]] for s in snapshots],
        "registry": registry.source_hash,
        "curriculum": load_curriculum(options.curriculum_path).as_dict(),
        "options": options.gate_options(),
        "pipeline": [options.pipeline_version, options.git_sha],
    }
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def release_options(config: CurationConfig, **overrides: Any) -> ReleaseOptions:
    return ReleaseOptions(
        dedup=config.dedup,
        pipeline_version=PIPELINE_VERSION,
        git_sha=git_sha(),
        **overrides,
    )


def build_pipeline_release(
    store: ObjectStore,
    registry: Registry,
    config: CurationConfig,
    *,
    force: bool = False,
    **overrides: Any,
) -> ReleaseResult | UpToDate:
    """Build a release from the deduplicated partitions, unless ``LATEST`` already is that
    release (see the module docstring); ``force`` builds regardless."""
    inputs, accounting, snapshots, contents = release_inputs(store)
    # Derived families whose generators had nothing to generate from: named in the manifest with
    # the reason, so Coverage tells them apart from a family that went missing. A family with
    # any raw unit besides a retracted (empty) generator output is never among them.
    skipped = {
        family: reason
        for family, reason in derived_skipped(store, registry).items()
        if _only_empty_outputs(accounting.get(family))
    }
    overrides = {"derived_skipped": skipped, **overrides}
    options = release_options(config, **overrides)
    fingerprint = inputs_fingerprint(contents, accounting, snapshots, registry, options)
    if not force and options.version is None:
        current = _latest_if_same(store, options, fingerprint)
        if current is not None:
            return current
    options = release_options(config, inputs_fingerprint=fingerprint, **overrides)
    return build_release(store, registry, inputs, accounting, snapshots, options)


def _only_empty_outputs(entry: dict[str, Any] | None) -> bool:
    """No raw unit at all, or only the ``empty_file`` units of emptied generator outputs."""
    if entry is None:
        return True
    return bool(entry["raw_in"] == entry["quarantined"].get(Reason.EMPTY_FILE, 0))


def _latest_if_same(
    store: ObjectStore, options: ReleaseOptions, fingerprint: str
) -> UpToDate | None:
    version = read_latest(store, options.releases_prefix)
    if version is None:
        return None
    manifest = load_manifest(store, version, options.releases_prefix)
    passed = (manifest.get("gates") or {}).get("passed") is True
    if passed and (manifest.get("inputs") or {}).get("fingerprint") == fingerprint:
        return UpToDate(version, manifest, fingerprint)
    return None

"""Assemble what ``release.build_release`` needs from the pipeline's own stats files.

Inputs are the deduplicated partitions, read from the dedup report alone: it carries per family
the accounting of ingest, curation and dedup (raw in = released + quarantined + dedup-dropped +
release-excluded, checked by the Accounting gate); snapshots name every raw object with its ETag
for the manifest.

A build is skipped when ``LATEST`` is a release that passed its gates and was built from exactly
these inputs (``inputs_fingerprint``: deduplicated outputs by sha256, accounting, raw snapshots,
registry, curriculum, gate options, code version): it would only publish the same records again
under a new version number. So is one when the newest release passed, waits for the review of
its Bias/QA report (``bias_qa.require_review``) and was built from these inputs: a nightly does
not pile up copies of a version nobody has signed off yet.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from pixel_platform import PIPELINE_VERSION
from pixel_platform.core.errors import StageInputMissing
from pixel_platform.core.reasons import Reason
from pixel_platform.core.report import Accounting
from pixel_platform.curation.config import CurationConfig
from pixel_platform.derived.status import derived_skipped
from pixel_platform.pipeline.dedup import read_dedup_stats
from pixel_platform.pipeline.snapshot import read_snapshot
from pixel_platform.registry.model import Registry
from pixel_platform.release import (
    ReleaseOptions,
    ReleaseResult,
    build_release,
    list_releases,
    load_curriculum,
    load_manifest,
    read_latest,
)
from pixel_platform.review.book import ReviewBook
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
    """No build: ``LATEST`` (``version``), or the newest release waiting for review, was built
    from the same inputs and passed its gates."""

    version: str
    manifest: dict[str, Any]
    fingerprint: str


@dataclass(frozen=True)
class ReleaseInputs:
    """What a release is built from, all read from the dedup report (which carries every
    earlier stage's accounting forward) and the raw snapshots it names."""

    keys: list[str]  # the deduplicated partitions' files
    accounting: dict[str, Accounting]  # per family: raw in, quarantined, dedup dropped
    snapshots: list[dict[str, Any]]  # every raw object: key, etag, size, family
    contents: list[list[str]]  # each partition's [key, sha256], for the inputs fingerprint
    review: str = ""  # the review book's digest: a new decision is a new input


def release_inputs(store: ObjectStore) -> ReleaseInputs:
    dedup = read_dedup_stats(store)
    if dedup is None or dedup.dry_run:
        raise StageInputMissing(
            "no deduplicated partitions; materialize deduplicated_conversations first"
        )
    snapshots: list[dict[str, Any]] = []
    for part in dedup.partitions:
        snapshot = read_snapshot(store, part.family, part.partition_key)
        if snapshot is None:
            raise StageInputMissing(
                f"{part.family} {part.partition_key}: the raw snapshot is missing; materialize"
                f" raw/{part.family} for it again"
            )
        snapshots += [
            {"key": o.key, "etag": o.etag, "size": o.size, "family": part.family}
            for o in snapshot.objects
        ]
    return ReleaseInputs(
        keys=[part.output.key for part in dedup.partitions],
        accounting=dedup.accounting(),
        snapshots=snapshots,
        contents=[[part.output.key, part.output.sha256] for part in dedup.partitions],
        review=ReviewBook.load(store).digest,
    )


def inputs_fingerprint(inputs: ReleaseInputs, registry: Registry, options: ReleaseOptions) -> str:
    """Everything a release's files are a function of, hashed."""
    document = {
        "inputs": inputs.contents,
        "accounting": {family: a.as_dict() for family, a in inputs.accounting.items()},
        "raw_objects": [[s["key"], s["etag"], s["size"]] for s in inputs.snapshots],
        "registry": registry.source_hash,
        "curriculum": load_curriculum(options.curriculum_path).as_dict(),
        "options": options.gate_options(),
        "pipeline": [options.pipeline_version, options.git_sha],
        "review": inputs.review,
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
    inputs = release_inputs(store)
    # Derived families whose generators had nothing to generate from: named in the manifest with
    # the reason, so Coverage tells them apart from a family that went missing. A family with
    # any raw unit besides a retracted (empty) generator output is never among them.
    skipped = {
        family: reason
        for family, reason in derived_skipped(store, registry).items()
        if _only_empty_outputs(inputs.accounting.get(family))
    }
    overrides = {"derived_skipped": skipped, **overrides}
    options = release_options(config, **overrides)
    fingerprint = inputs_fingerprint(inputs, registry, options)
    if not force and options.version is None:
        current = _latest_if_same(store, options, fingerprint)
        if current is not None:
            return current
    options = release_options(
        config,
        inputs_fingerprint=fingerprint,
        input_digests={key: sha256 for key, sha256 in inputs.contents},
        **overrides,
    )
    return build_release(store, registry, inputs.keys, inputs.accounting, inputs.snapshots, options)


def _only_empty_outputs(entry: Accounting | None) -> bool:
    """No raw unit at all, or only the ``empty_file`` units of emptied generator outputs."""
    if entry is None:
        return True
    return entry.raw_in == entry.quarantined.get(Reason.EMPTY_FILE, 0)


def _latest_if_same(
    store: ObjectStore, options: ReleaseOptions, fingerprint: str
) -> UpToDate | None:
    latest = read_latest(store, options.releases_prefix)
    versions = [latest] if latest is not None else []
    published = list_releases(store, options.releases_prefix)
    if published and published[-1] != latest:
        versions.append(published[-1])  # counts only while it waits for review (below)
    for version in versions:
        manifest = load_manifest(store, version, options.releases_prefix)
        passed = (manifest.get("gates") or {}).get("passed") is True
        awaiting = (manifest.get("review") or {}).get("required") is True
        if version != latest and not awaiting:
            continue
        if passed and (manifest.get("inputs") or {}).get("fingerprint") == fingerprint:
            return UpToDate(version, manifest, fingerprint)
    return None

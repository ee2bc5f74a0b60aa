"""The eleven release gates. Each reads the release through a ``ReleaseView`` and reports every
violation with counts by kind, plus a few examples (uids, keys, hashes; never text).

The gates do not read the shards themselves: one scan (``release.scan``, shared through the
view, parallel by shard on large releases) computes what each needs, and a gate judges from it
and from the release's JSON files (manifest, stats, quarantine).

Every gate has the same signature, ``gate(release, ctx) -> GateResult``; ``GATES`` lists them in
the order they run and ``run_gates`` runs them all. The Dagster asset checks and
``pixel-platform verify`` both call these functions.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson

from pixel_platform.core.progress import Progress, no_progress
from pixel_platform.release.exports import EXPORT_FORMATS
from pixel_platform.release.fidelity import placeholder_jumps
from pixel_platform.release.layout import (
    COMPILED,
    MANIFEST,
    NOT_IN_MANIFEST,
    QUARANTINE,
    SPLITS,
    STATS,
    prefix_of,
    version_sort_key,
)
from pixel_platform.release.options import GateContext
from pixel_platform.release.publish import list_releases
from pixel_platform.release.results import GateResult, Violations
from pixel_platform.release.scan import (
    READ_CHUNK,
    SCANLESS_GATES,
    DuplicateIndex,
    ReleaseScan,
    add_outcomes,
    allowed_licences,
    cluster_digest,
    parts_for,
)
from pixel_platform.release.split import RULE_STRATIFIED, cluster_key, family_rule
from pixel_platform.release.stats import RECORD_SECTIONS
from pixel_platform.release.view import ReleaseView
from pixel_platform.storage.base import ObjectStore

log = logging.getLogger(__name__)

GateFn = Callable[[ReleaseView, GateContext], GateResult]


def _scan(release: ReleaseView, ctx: GateContext, gate: str) -> ReleaseScan:
    """The release's shared scan (``release.scan``), with what ``gate`` needs."""
    return release.scan(ctx, parts_for([gate]))


def read_quarantine(release: ReleaseView) -> list[dict[str, Any]] | None:
    if QUARANTINE not in release.objects:
        return None
    with release.store.open_read(release.key(QUARANTINE)) as fh:
        return [orjson.loads(line) for line in fh if line.strip()]


def _duplicates(release: ReleaseView, ctx: GateContext, gate: str) -> DuplicateIndex:
    dups = _scan(release, ctx, gate).duplicates
    assert dups is not None  # the scan for this gate includes the duplicate index
    return dups


# -- 1. coverage -----------------------------------------------------------------------------------
LICENCE_EXCLUSIONS = frozenset({"license_missing", "license_noncommercial"})


def _denied_for_licence(release: ReleaseView) -> set[str]:
    """Families every one of whose records that reached the release was excluded for its
    licence: the release quarantine's licence exclusions of the family equal what reached the
    release by the manifest's upstream accounting (raw in - quarantined - dedup-dropped)."""
    licence: Counter[str] = Counter()
    other: set[str] = set()
    for entry in read_quarantine(release) or ():
        family = str(entry.get("family"))
        if entry.get("reason") in LICENCE_EXCLUSIONS:
            licence[family] += 1
        else:
            other.add(family)
    accounting = (release.manifest or {}).get("accounting")
    denied = set()
    for family, n in licence.items():
        row = accounting.get(family) if isinstance(accounting, dict) else None
        if family in other or not isinstance(row, dict):
            continue
        try:
            reached = int(row["raw_in"]) - sum((row.get("quarantined") or {}).values())
            reached -= sum((row.get("dedup_dropped") or {}).values())
        except (KeyError, TypeError, ValueError):
            continue  # the accounting gate reports a malformed entry
        if reached == n:
            denied.add(family)
    return denied


def gate_coverage(release: ReleaseView, ctx: GateContext) -> GateResult:
    """Every registry family has records in the release, unless explicitly waived, or unless the
    release denied every record of it for its licence: deny by default at work, with the family
    and its counts in the release quarantine, not a family lost on the way (``licence_denied``).

    The metadata lists the waivers (family, reason, source: registry, run config, CLI or Python
    options; ``release.waivers``) and the waived families that shipped all the same."""
    v = Violations("coverage", ctx.max_examples)
    present = _scan(release, ctx, "coverage").families
    denied = _denied_for_licence(release)
    licence_denied = []
    for family in sorted(ctx.registry.families):
        if present[family] == 0 and family not in ctx.waived_families:
            if family in denied:
                licence_denied.append(family)
                continue
            v.add("family_missing", {"family": family})
    for family in sorted(set(present) - set(ctx.registry.families)):
        v.add("family_unknown", {"family": family}, n=present[family])
    return v.result(
        records_per_family=dict(sorted(present.items())),
        waived=sorted(ctx.waived_families),
        waivers=[w.as_dict() for w in ctx.coverage_waivers],
        waived_but_present=sorted(w for w in ctx.waived_families if present[w]),
        licence_denied=licence_denied,
    )


# -- 2. leakage ------------------------------------------------------------------------------------
def gate_leakage(release: ReleaseView, ctx: GateContext) -> GateResult:
    """No exact (content hash) or near duplicate across splits. "Near" is dedup's own definition
    (``curation.dedup.near``) under the build's dedup settings: exact Jaccard of the shingle sets
    at or above the same threshold, for every pair MinHash LSH proposes."""
    v = Violations("leakage", ctx.max_examples)
    dups = _duplicates(release, ctx, "leakage")
    groups: dict[str, list[int]] = defaultdict(list)
    for i, digest in enumerate(dups.hashes):
        groups[digest].append(i)
    for digest, members in sorted(groups.items()):
        splits = sorted({dups.splits[i] for i in members})
        if len(splits) > 1:
            uids = [dups.uids[i] for i in members[:4]]
            v.add("exact_cross_split", {"content_hash": digest, "uids": uids, "splits": splits})
    for left, right, similarity in zip(
        dups.near_left.tolist(),
        dups.near_right.tolist(),
        dups.near_similarity.tolist(),
        strict=True,
    ):
        if dups.splits[left] != dups.splits[right] and dups.hashes[left] != dups.hashes[right]:
            v.add(
                "near_cross_split",
                {
                    "uids": [dups.uids[left], dups.uids[right]],
                    "splits": [dups.splits[left], dups.splits[right]],
                    "similarity": round(similarity, 4),
                },
            )
    return v.result(
        records=len(dups.uids),
        threshold=ctx.dedup.threshold,
        shingle_size=ctx.dedup.shingle_size,
        near_pairs=int(dups.near_left.size),
    )


# -- 3. distribution -------------------------------------------------------------------------------
def gate_distribution(release: ReleaseView, ctx: GateContext) -> GateResult:
    """Split shares of the stratified families within tolerance; family shares within bounds.

    Only families split by rank (non-holdout, at least ``min_clusters_for_split`` clusters) are
    in the split-share check: holdout families are test-only and tiny ones train-only by design.
    """
    v = Violations("distribution", ctx.max_examples)
    scan = _scan(release, ctx, "distribution")
    per_family, family_split = scan.families, scan.family_split
    clusters = scan.clusters_per_family()
    total = sum(per_family.values())
    if total == 0:
        v.add("release_empty", {"file": "shards/"})
        return v.result()
    stratified: Counter[str] = Counter()
    for family, counts in family_split.items():
        spec = ctx.registry.families.get(family)
        holdout = bool(spec and spec.holdout)
        rule = family_rule(clusters.get(family, 0), holdout, ctx.min_clusters_for_split)
        if spec is not None and rule == RULE_STRATIFIED:
            stratified.update(counts)
    n_stratified = sum(stratified.values())
    shares = {}
    if n_stratified:
        for split, target in zip(SPLITS, ctx.split_ratios, strict=True):
            share = stratified[split] / n_stratified
            shares[split] = round(share, 4)
            if abs(share - target) > ctx.tolerance:
                v.add(
                    "split_ratio_out_of_tolerance",
                    {"split": split, "share": round(share, 4), "target": target},
                )
    default_bounds = ctx.family_share_bounds.get("*")
    family_shares = {}
    for family in sorted(set(per_family) | (set(ctx.family_share_bounds) - {"*"})):
        share = per_family[family] / total
        family_shares[family] = round(share, 4)
        bounds = ctx.family_share_bounds.get(family, default_bounds)
        if bounds is None:
            continue
        low, high = bounds
        if share < low:
            v.add(
                "family_share_below_min", {"family": family, "share": round(share, 4), "min": low}
            )
        elif share > high:
            v.add(
                "family_share_above_max", {"family": family, "share": round(share, 4), "max": high}
            )
    return v.result(
        split_shares_stratified=shares,
        stratified_records=n_stratified,
        target=list(ctx.split_ratios),
        tolerance=ctx.tolerance,
        family_shares=family_shares,
    )


# -- 4. pii ----------------------------------------------------------------------------------------
def gate_pii(release: ReleaseView, ctx: GateContext) -> GateResult:
    """No record awaits PII review, and a rescan of every turn (and of every preference pair's
    rejected reply) finds no structured PII (``scan_texts`` ignores placeholders such as
    ``<EMAIL_1>`` and allowlisted crisis lines). In a build (``ctx.pii_memo_prefix`` set), turns
    the last build's scan found clean with the same scanner are not scanned again (``pii_memo``)."""
    v = Violations("pii", ctx.max_examples)
    scan = _scan(release, ctx, "pii")
    scan.violations("pii", v)
    return v.result(
        turns_scanned=scan.pii_turns - int(scan.pii_memo.get("turns_clean_in_memo", 0)),
        turns_checked=scan.pii_turns,
        **scan.pii_memo,
        entities=list(ctx.pii_entities),
        **_cache_note(ctx, scan),
    )


def _cache_note(ctx: GateContext, scan: ReleaseScan) -> dict[str, Any]:
    """In a build with the scan cache: how many shards' scans it reused (``release.scan_cache``)."""
    return {"shards_from_cache": scan.shards_from_cache} if ctx.scan_cache_prefix else {}


# -- 5. provenance ---------------------------------------------------------------------------------
def gate_provenance(release: ReleaseView, ctx: GateContext) -> GateResult:
    """Full provenance on every record and a licence the build allows (deny by default)."""
    v = Violations("provenance", ctx.max_examples)
    scan = _scan(release, ctx, "provenance")
    scan.violations("provenance", v)
    add_outcomes(v, scan.expectations["provenance"])
    return v.result(
        licences=dict(sorted(scan.licences.items())),
        allowed_licences=allowed_licences(ctx),
        commercial=ctx.commercial,
    )


def digest_object(release: ReleaseView, path: str) -> tuple[str, int, int]:
    """sha256, bytes and newline count of one object, streamed."""
    digest = hashlib.sha256()
    size = lines = 0
    with release.store.open_read(release.key(path)) as fh:
        while chunk := fh.read(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
    return "sha256:" + digest.hexdigest(), size, lines


def gate_hash(release: ReleaseView, ctx: GateContext) -> GateResult:
    """Content hashes recomputed from the messages match the records; every file's sha256, size
    and record count match the manifest; no file is unlisted; compiled = the shards, in order."""
    v = Violations("hash", ctx.max_examples)
    scan = _scan(release, ctx, "hash")
    scan.violations("hash", v)
    add_outcomes(v, scan.expectations["hash"])

    manifest = release.manifest
    if manifest is None:
        v.add("manifest_missing", {"file": MANIFEST})
        return v.result()
    listed = {str(f.get("path")): f for f in manifest.get("files") or [] if isinstance(f, dict)}
    digests: dict[str, str] = {}
    for path, entry in sorted(listed.items()):
        info = release.objects.get(path)
        if info is None:
            v.add("file_missing", {"file": path})
            continue
        sha, size, lines = scan.shards.get(path) or digest_object(release, path)
        digests[path] = sha
        if size != entry.get("bytes"):
            v.add(
                "file_bytes_mismatch",
                {"file": path, "manifest": entry.get("bytes"), "actual": size},
            )
        if sha != entry.get("sha256"):
            v.add("file_sha256_mismatch", {"file": path})
        if entry.get("records") is not None and lines != entry["records"]:
            v.add(
                "file_records_mismatch",
                {"file": path, "manifest": entry["records"], "actual": lines},
            )
    # Every stored file, a local store's hidden ``.tmp-*`` ones too: nothing foreign ships.
    for path in sorted(release.stored_paths - set(listed) - NOT_IN_MANIFEST):
        v.add("file_unlisted", {"file": path})
    if COMPILED in release.objects:
        concatenated = hashlib.sha256()
        for split in SPLITS:
            for path in release.shard_paths[split]:
                with release.store.open_read(release.key(path)) as fh:
                    while chunk := fh.read(READ_CHUNK):
                        concatenated.update(chunk)
        compiled = digests.get(COMPILED) or digest_object(release, COMPILED)[0]
        if compiled != "sha256:" + concatenated.hexdigest():
            v.add("compiled_differs_from_shards", {"file": COMPILED})
    return v.result(files_checked=len(listed), records_checked=scan.parsed)


# -- 7. split --------------------------------------------------------------------------------------
def gate_split(release: ReleaseView, ctx: GateContext) -> GateResult:
    """Holdout families only in test; no cluster in two splits; each record's split, stage and
    phase labels match its shard folder and the curriculum."""
    v = Violations("split", ctx.max_examples)
    scan = _scan(release, ctx, "split")
    scan.violations("split", v)
    straddling = scan.straddling_clusters()
    if straddling:
        for cluster, (uid, splits) in sorted(_cluster_examples(release, straddling).items()):
            v.add(
                "cluster_straddles_splits",
                {"cluster_id": cluster, "uid": uid, "splits": sorted(splits)},
            )
    add_outcomes(v, scan.expectations["split"])
    holdout = sorted(f for f, s in ctx.registry.families.items() if s.holdout)
    return v.result(holdout_families=holdout, clusters=int(np.unique(scan.cluster_keys).size))


def _cluster_examples(release: ReleaseView, digests: set[int]) -> dict[str, tuple[str, set[str]]]:
    """For the clusters with these digests (``scan.cluster_digest``): the cluster id, the uid of
    its first record and its splits; one more pass, only when a cluster straddles splits."""
    found: dict[str, tuple[str, set[str]]] = {}
    for record in release.records():
        if record.data is None:
            continue
        cluster = cluster_key(record.data)
        if cluster_digest(cluster) in digests:
            found.setdefault(cluster, (record.uid, set()))[1].add(record.split)
    return found


# -- 8. stats --------------------------------------------------------------------------------------
def _leaf_diffs(expected: Any, actual: Any, path: str = "") -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        diffs = []
        for key in sorted(set(expected) | set(actual), key=str):
            diffs += _leaf_diffs(expected.get(key), actual.get(key), f"{path}.{key}".lstrip("."))
        return diffs
    return [] if expected == actual else [path or "<root>"]


def gate_stats(release: ReleaseView, ctx: GateContext) -> GateResult:
    """stats.json exists and its counts, histograms, PII and crisis numbers equal a recount of the
    shards; the manifest's counts and the quarantine counts agree with the files too, and the
    phase A / phase C export files are exactly what the shards give."""
    v = Violations("stats", ctx.max_examples)
    scan = _scan(release, ctx, "stats")
    assert scan.stats is not None  # the stats part recounts
    actual = scan.stats.as_dict()
    stats = release.read_json(STATS)
    if not isinstance(stats, dict):
        v.add("stats_missing", {"file": STATS})
        stats = {}
    else:
        for section in RECORD_SECTIONS:
            for key in _leaf_diffs(stats.get(section), actual[section], section):
                v.add(f"stats_{section}_mismatch", {"file": STATS, "key": key})
    manifest = release.manifest or {}
    if manifest:
        for key in _leaf_diffs(manifest.get("counts"), actual["counts"], "counts"):
            v.add("manifest_counts_mismatch", {"file": MANIFEST, "key": key})
    _check_exports(scan.export_digests, manifest, v)
    entries = read_quarantine(release)
    if entries is None:
        v.add("quarantine_file_missing", {"file": QUARANTINE})
    else:
        by_reason = dict(sorted(Counter(str(e.get("reason")) for e in entries).items()))
        if stats and (stats.get("quarantine") or {}).get("release_by_reason") != by_reason:
            v.add("quarantine_counts_mismatch", {"file": STATS})
        if manifest and (manifest.get("exclusions") or {}).get("by_reason") != by_reason:
            v.add("quarantine_counts_mismatch", {"file": MANIFEST})
    return v.result(records=actual["counts"]["total"], by_split=actual["counts"]["by_split"])


def _check_exports(
    expected: dict[str, tuple[int, str]], manifest: dict[str, Any], v: Violations
) -> None:
    """The phase A / phase C export files are what the shards give, byte for byte: rebuilt by
    the scan (records and sha256) and compared with the manifest, whose digests the Hash gate
    checks against the files."""
    listed = {
        str(f.get("path")): f
        for f in manifest.get("files") or []
        if isinstance(f, dict) and f.get("format") in {fmt.name for fmt in EXPORT_FORMATS}
    }
    for path in sorted(set(expected) - set(listed)):
        v.add("export_missing", {"file": path, "records": expected[path][0]})
    for path in sorted(set(listed) - set(expected)):
        v.add("export_unexpected", {"file": path})
    for path in sorted(set(expected) & set(listed)):
        n, sha = expected[path]
        if listed[path].get("records") != n or listed[path].get("sha256") != sha:
            v.add("export_differs_from_shards", {"file": path, "records": n})


# -- 9. dedup --------------------------------------------------------------------------------------
def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(i) for i in range(n)], dtype=np.int64)


def gate_dedup(release: ReleaseView, ctx: GateContext) -> GateResult:
    """Exact plus near duplicates among released records stay under ``max_duplicate_rate``.
    A duplicate is a record beyond the first of its group (exact hash, or near-duplicate graph;
    near as in dedup, ``curation.dedup.near``, at the build's dedup settings)."""
    v = Violations("dedup", ctx.max_examples)
    dups = _duplicates(release, ctx, "dedup")
    n = len(dups.uids)
    first_of: dict[str, int] = {}
    exact_left, exact_right = [], []
    for i, digest in enumerate(dups.hashes):
        j = first_of.setdefault(digest, i)
        if j != i:
            exact_left.append(j)
            exact_right.append(i)
    exact = len(exact_left)
    left = np.concatenate([np.array(exact_left, dtype=np.int64), dups.near_left])
    right = np.concatenate([np.array(exact_right, dtype=np.int64), dups.near_right])
    roots = _components(n, left, right)
    duplicates = n - len(set(roots.tolist())) if n else 0
    near = duplicates - exact
    rate = duplicates / n if n else 0.0
    passed = rate < ctx.max_duplicate_rate
    if not passed:
        v.add("exact_duplicates", None, n=exact)
        v.add("near_duplicates", None, n=near)
    for a, b in list(zip(exact_left, exact_right, strict=True))[:5]:
        v.examples.append({"kind": "exact", "uids": [dups.uids[a], dups.uids[b]]})
    for a, b in list(zip(dups.near_left.tolist(), dups.near_right.tolist(), strict=True))[:5]:
        v.examples.append({"kind": "near", "uids": [dups.uids[a], dups.uids[b]]})
    return v.result(
        passed=passed,
        records=n,
        exact_duplicates=exact,
        near_duplicates=near,
        duplicate_rate=round(rate, 6),
        max_duplicate_rate=ctx.max_duplicate_rate,
        threshold=ctx.dedup.threshold,
        shingle_size=ctx.dedup.shingle_size,
    )


# -- 10. accounting --------------------------------------------------------------------------------
def gate_accounting(release: ReleaseView, ctx: GateContext) -> GateResult:
    """Per family: raw units in = released + quarantined upstream + dedup-dropped + excluded by
    the release. Released and excluded are recounted from the shards and the release quarantine."""
    v = Violations("accounting", ctx.max_examples)
    manifest = release.manifest
    accounting = (manifest or {}).get("accounting")
    if not isinstance(accounting, dict) or not accounting:
        v.add("accounting_missing", {"file": MANIFEST})
        return v.result()
    released = _scan(release, ctx, "accounting").families
    entries = read_quarantine(release)
    if entries is None:
        v.add("quarantine_file_missing", {"file": QUARANTINE})
        entries = []
    excluded = Counter(str(e.get("family")) for e in entries)
    table = {}
    for family in sorted(set(accounting) | set(released) | set(excluded)):
        entry = accounting.get(family)
        if not isinstance(entry, dict):
            v.add("family_without_accounting", {"family": family})
            continue
        upstream = sum((entry.get("quarantined") or {}).values())
        dropped = sum((entry.get("dedup_dropped") or {}).values())
        row = {
            "raw_in": entry.get("raw_in"),
            "released": released[family],
            "quarantined": upstream,
            "dedup_dropped": dropped,
            "release_excluded": excluded[family],
        }
        row["accounted"] = released[family] + upstream + dropped + excluded[family]
        table[family] = row
        if row["raw_in"] != row["accounted"]:
            v.add("family_unbalanced", {"family": family, **row})
    return v.result(families=table)


# -- 11. fidelity ---------------------------------------------------------------------------------
def gate_fidelity(release: ReleaseView, ctx: GateContext) -> GateResult:
    """Redaction did not start eating text: each family's placeholder rate (per 1,000 words,
    ``stats.json`` ``fidelity``) is within ``ctx.fidelity``'s limit of the last passed release
    before this one. The first release, a new family or a small one passes with the reason."""
    v = Violations("fidelity", ctx.max_examples)
    stats = release.read_json(STATS)
    current = stats.get("fidelity") if isinstance(stats, dict) else None
    if not isinstance(current, dict):
        v.add("fidelity_stats_missing", {"file": STATS})
        return v.result()
    version = str((release.manifest or {}).get("version") or "")
    previous = _previous_release(release.store, ctx.releases_prefix, version)
    if previous is None:
        return v.result(baseline=None, note="no earlier passed release to compare with")
    before = ReleaseView(release.store, prefix_of(ctx.releases_prefix, previous)).read_json(STATS)
    baseline = before.get("fidelity") if isinstance(before, dict) else None
    if not isinstance(baseline, dict):
        return v.result(baseline=previous, note="the earlier release has no fidelity section")
    jumps, compared = placeholder_jumps(current, baseline, ctx.fidelity)
    for jump in jumps:
        v.add("placeholder_rate_jump", jump.as_dict())
    return v.result(baseline=previous, limits=ctx.fidelity.as_dict(), compared=compared)


def _previous_release(store: ObjectStore, releases_prefix: str, version: str) -> str | None:
    """The newest passed release older than ``version``."""
    key = version_sort_key(version)
    older = [v for v in list_releases(store, releases_prefix, only_passed=True)
             if version_sort_key(v) < key]  # fmt: skip
    return older[-1] if older else None


GATES: dict[str, GateFn] = {
    "coverage": gate_coverage,
    "leakage": gate_leakage,
    "distribution": gate_distribution,
    "pii": gate_pii,
    "provenance": gate_provenance,
    "hash": gate_hash,
    "split": gate_split,
    "stats": gate_stats,
    "dedup": gate_dedup,
    "accounting": gate_accounting,
    "fidelity": gate_fidelity,
}


def run_gate(name: str, release: ReleaseView, ctx: GateContext) -> GateResult:
    """One gate; a gate that raises fails with ``gate_error`` instead of stopping the others."""
    started = time.perf_counter()
    try:
        result = GATES[name](release, ctx)
    except Exception as exc:  # a broken release must not hide the other gates' findings
        log.exception("gate %s raised", name)
        result = GateResult(
            name, False, {"gate_error": 1}, [], {"error": f"{type(exc).__name__}: {exc}"}
        )
    result.metadata["seconds"] = round(time.perf_counter() - started, 3)
    return result


def run_gates_on(
    release: ReleaseView,
    ctx: GateContext,
    names: list[str] | None = None,
    *,
    progress: Progress = no_progress,
    also_scan: frozenset[str] = frozenset(),
) -> list[GateResult]:
    """The gates in turn; ``progress`` hears of each as it starts (``item``: its name).
    ``also_scan``: scan parts no gate needs, for the caller (the build's ``bias``)."""
    names = names or list(GATES)
    if set(names) - SCANLESS_GATES or also_scan:
        # one scan for all the gates to run (a scan that fails leaves each gate to report it)
        try:
            release.scan(ctx, parts_for(names) | also_scan, progress=progress)
        except Exception:
            log.exception("the gates' shared scan failed; each gate reports its own error")
    results = []
    for done, name in enumerate(names):
        progress("gates", done, len(names), item=name)
        results.append(run_gate(name, release, ctx))
    progress("gates", len(names), len(names))
    return results


def run_gates(
    store: ObjectStore,
    release_prefix: str,
    ctx: GateContext,
    names: list[str] | None = None,
    *,
    progress: Progress = no_progress,
) -> list[GateResult]:
    """Run the gates (all, or ``names``) on the release or staged build at ``release_prefix``."""
    return run_gates_on(ReleaseView(store, release_prefix), ctx, names, progress=progress)

"""``build_release``: deduplicated partitions -> one versioned, gated release.

0. Remove what dead builds left, then claim a version with a build marker (``ownership``): builds
   running at the same time never share a version or delete each other's files.
1. Read every input partition; route each record (``routing``): it ships, or goes to the release
   quarantine with its reason, uid and content hash. Content hashes are recomputed (a record whose
   text changed after hashing, e.g. by redaction, gets the hash of what ships; counted). Released
   records go to a local spill file as JSON lines, never all into memory, labelled
   ``metadata.uid/stage/phase`` and counted (``RecordStats``), their split a placeholder. A
   partition whose bytes the last build read is replayed from its cache entry instead
   (``input_cache``: same lines, same counts).
2. Split by cluster, stratified per family (``split``); fill in each record's split and count it
   in a second pass over the spill file (no parsing), feeding an external merge sort
   (``spill.ExternalSort``) by split, curriculum stage, family, content hash, uid.
3. Stage everything under ``exports/staging/<build-id>/``: shards (a new part at every stage
   change and at ``shard_max_bytes``), the compiled file (the shards concatenated) and the trainer
   exports, all in one pass over the sorted records; then quarantine, stats and a draft manifest.
   Shards and compiled depend only on the inputs and the code: no timestamps. Memory stays about
   ``sort_buffer_bytes`` plus the split plan; local disk holds about twice the release meanwhile
   (``spill_dir``).
4. Run the gates on the staged files (a shard whose bytes the last build scanned reuses that
   scan: ``scan_cache``); the same scan counts the Bias/QA report (``bias_qa``:
   ``reports/bias_qa.json``). Render the report, write the final manifest; its digest
   (sha256 of its exact bytes) goes into the result, and with a signing key its signature into
   ``manifest.json.sig`` (``signing``).
5. Publish: copy to ``exports/releases/<version>/``, manifest last. Only when every gate passed,
   refresh ``final_dataset/`` and move ``exports/releases/LATEST`` (never backwards), unless
   ``bias_qa.require_review``: then they move when a reviewer approves the version's Bias/QA
   report (``review.sign_off``). Remove the
   staging folder and the build marker, whether the build succeeded or failed.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pixel_platform.core.errors import TerminalError
from pixel_platform.core.progress import Progress
from pixel_platform.core.reasons import Reason
from pixel_platform.core.record import record_content_hash
from pixel_platform.core.report import Accounting, HashingWriter
from pixel_platform.registry.model import Registry
from pixel_platform.release.bias_qa import BiasPartial, load_vocabulary, report_document
from pixel_platform.release.curriculum import Curriculum, load_curriculum
from pixel_platform.release.exports import (
    EXPORT_FORMATS,
    ShardFile,
    axolotl_yaml,
    export_line,
    llama_factory_info,
    stage_order,
)
from pixel_platform.release.gates import run_gates_on
from pixel_platform.release.input_cache import (
    SPLIT_PLACEHOLDER,
    InputCache,
    Routed,
    fill_split,
    placeholder_at,
)
from pixel_platform.release.input_cache import context_key as input_context_key
from pixel_platform.release.layout import (
    AXOLOTL,
    BIAS_QA,
    COMPILED,
    LLAMA_FACTORY,
    MANIFEST,
    QUARANTINE,
    REPORT,
    SIGNATURE,
    SPLITS,
    STAGE_ORDER,
    STATS,
    key_in,
    prefix_of,
    shard_path,
)
from pixel_platform.release.options import GateContext, ReleaseOptions
from pixel_platform.release.ownership import BuildLease, claim_version, clean_abandoned
from pixel_platform.release.publish import (
    copy_release,
    is_newest,
    update_canonical,
    write_latest,
)
from pixel_platform.release.report import render_report
from pixel_platform.release.results import GateResult
from pixel_platform.release.review import BIAS_QA_TASK
from pixel_platform.release.routing import (
    UNKNOWN_FAMILY,
    exclusion_reason,
    record_family,
    record_uid,
)
from pixel_platform.release.scan import BIAS
from pixel_platform.release.signing import (
    key_id,
    load_private_key,
    manifest_digest,
    sign_manifest,
)
from pixel_platform.release.spill import ExternalSort
from pixel_platform.release.split import cluster_key, plan_splits
from pixel_platform.release.stats import RecordStats, stats_document
from pixel_platform.release.view import ReleaseView
from pixel_platform.release.waivers import resolve_waivers
from pixel_platform.review.book import REJECTED as REVIEW_REJECTED
from pixel_platform.review.book import (
    ReviewBook,
    generated_prefixes,
    is_generated,
    review_counts,
)
from pixel_platform.storage.base import ObjectInfo, ObjectStore

log = logging.getLogger(__name__)

MANIFEST_SCHEMA = "pixel-release-manifest/1"
JSON_PRETTY = orjson.OPT_INDENT_2  # insertion order: deterministic and readable
PROGRESS_EVERY = 1000  # records between progress reports in the per-record passes


@dataclass
class ReleaseResult:
    version: str
    prefix: str  # where the release is (or would have been) published
    manifest: dict[str, Any]
    gates: list[GateResult]
    published: bool
    latest_moved: bool
    build_id: str = ""
    manifest_digest: str = ""  # sha256:<hex> of the manifest bytes this build published
    signed_by: str | None = None  # key id of the signature, when the build had a signing key
    # Input partitions replayed from the last build's pass 1 (release.input_cache); the shards
    # whose gate scans were reused are in the PII gate's metadata (shards_from_cache).
    inputs_from_cache: int = 0
    # Passed its gates, but LATEST waits for the review of its Bias/QA report (review.sign_off).
    awaiting_review: bool = False

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)


@dataclass
class _Collected:
    """What pass 1 keeps in memory: everything but the released records themselves, which are
    in ``spill`` (a local file, one ``<header JSON> TAB <record JSON>`` line each, input order;
    the header is ``[cluster, family, stage rank, content hash, uid, placeholder offset]``, the
    record's split the placeholder at that byte offset)."""

    spill: Path
    released: int = 0
    exclusions: list[dict[str, Any]] = field(default_factory=list)
    partitions: list[dict[str, Any]] = field(default_factory=list)
    hash_repairs: int = 0
    stats: RecordStats = field(default_factory=RecordStats)  # all but the split counts
    from_cache: int = 0  # input partitions replayed from the input cache
    reviewed: Counter[str] = field(default_factory=Counter)  # "<family>\t<outcome>" (Routed)

    def headers(self) -> Iterator[list[Any]]:
        for header, _ in self.lines():
            yield header

    def lines(self) -> Iterator[tuple[list[Any], bytes]]:
        """Each spill line's parsed header and record JSON bytes."""
        with self.spill.open("rb") as fh:
            for line in fh:
                header, _, record = line[:-1].partition(b"\t")
                yield orjson.loads(header), record


@dataclass
class _WrittenFile:
    path: str
    sha256: str
    bytes: int
    records: int | None
    kind: str
    extra: dict[str, Any] = field(default_factory=dict)

    def entry(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "kind": self.kind,
            "sha256": self.sha256,
            "bytes": self.bytes,
        }
        if self.records is not None:
            out["records"] = self.records
        return {**out, **self.extra}


# -- inputs ----------------------------------------------------------------------------------------
def _exclusion(
    reason: str, uid: str, record: dict[str, Any] | None, input_key: str, input_line: int
) -> dict[str, Any]:
    metadata = (record or {}).get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    prov = metadata.get("provenance")
    prov = prov if isinstance(prov, dict) else {}
    digest = metadata.get("content_hash")
    if not isinstance(digest, str) and record is not None:
        try:
            digest = record_content_hash(record["messages"], record.get("metadata"))
        except (KeyError, TypeError):
            digest = None
    entry: dict[str, Any] = {
        "reason": str(reason),
        "uid": uid,
        "content_hash": digest,
        # An unparseable line has no family; accounting shows it under "<unknown>".
        "family": (record_family(record) if record is not None else None) or UNKNOWN_FAMILY,
        "source_key": prov.get("source_key"),
        "line": prov.get("line"),
        "index": prov.get("index"),
        "input_key": input_key,
        "input_line": input_line,
    }
    pii = metadata.get("pii")
    if isinstance(pii, dict) and isinstance(pii.get("review_reasons"), dict):
        # what a reviewer is asked to decide (codes only), counted in stats.json and the report
        entry["review_reasons"] = {str(k): int(v) for k, v in pii["review_reasons"].items()}
    return entry


def _collect(
    store: ObjectStore,
    inputs: Sequence[str],
    registry: Registry,
    curriculum: Curriculum,
    options: ReleaseOptions,
    book: ReviewBook,
    spill: Path,
) -> _Collected:
    """Pass 1: read every input, route each record; released ones go to ``spill`` with the split
    left as a placeholder (``input_cache``). A partition the last build read with the same
    bytes is replayed from its cache entry instead."""
    out = _Collected(spill)
    cache = None
    if options.input_cache_prefix and options.input_digests:
        cache = InputCache(
            store,
            options.input_cache_prefix,
            input_context_key(registry, curriculum, options.commercial, book.digest),
        )
    keys = sorted(set(inputs))
    with spill.open("wb") as spill_fh:
        for done, key in enumerate(keys, 1):
            info = store.head(key)
            if info is None:
                raise TerminalError(f"release input {store.uri(key)} does not exist; rerun dedup")
            sha256 = options.input_digests.get(key)
            replayed = cache.replay(key, sha256, info.size, spill_fh) if cache and sha256 else None
            if replayed is not None:
                routed = replayed
            elif cache is None or not sha256:
                routed = _route(store, key, registry, curriculum, options, book, spill_fh)
            else:
                with cache.writer(key, sha256, info.size) as (write, finish):
                    routed = _route(
                        store, key, registry, curriculum, options, book, spill_fh, write
                    )
                    finish(routed)
            out.released += routed.released
            out.exclusions += routed.exclusions
            out.hash_repairs += routed.hash_repairs
            out.reviewed.update(routed.reviewed)
            out.stats.merge(routed.stats)
            out.partitions.append(_object_entry(info, records=routed.records))
            log.info("release inputs: %s read (%d records so far)", key, out.released)
            options.progress("release read inputs", done, len(keys), item=key)
    if cache is not None:
        out.from_cache = cache.hits
        cache.prune()
    return out


def _route(
    store: ObjectStore,
    key: str,
    registry: Registry,
    curriculum: Curriculum,
    options: ReleaseOptions,
    book: ReviewBook,
    spill: IO[bytes],
    also: Callable[[bytes], Any] | None = None,
) -> Routed:
    """Pass 1 over one input partition: each released record's spill line goes to ``spill``
    (and to ``also``, a cache entry), with its header ``[cluster, family, stage rank, content
    hash, uid, placeholder offset]``; an excluded one becomes an exclusion entry."""
    out = Routed()
    stage_rank = {stage: i for i, stage in enumerate(curriculum.stage_ids)}
    generated = generated_prefixes(registry)
    with store.open_read(key) as fh:
        for line_no, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            out.records += 1
            try:
                record = orjson.loads(raw)
                if not isinstance(record, dict) or not isinstance(record.get("messages"), list):
                    raise ValueError("not a conversation")
            except (orjson.JSONDecodeError, ValueError):
                uid = f"{key}@L{line_no}"
                out.exclusions.append(_exclusion(Reason.INVALID_JSON, uid, None, key, line_no))
                continue
            uid = record_uid(record, key, line_no)
            # Without a decision in the log (the usual nightly) there is nothing to ask per record.
            generated_record = bool(len(book)) and is_generated(record, generated)
            reviewed = book.apply(record, uid, generated_record)
            record = reviewed.record
            if reviewed.status == REVIEW_REJECTED:
                reason: Reason | None = Reason.REVIEW_REJECTED
            else:
                reason = exclusion_reason(record, registry, options.commercial)
            if reviewed.status is not None:
                outcome = reviewed.status if reason is None else f"{reviewed.status}_excluded"
                out.reviewed[f"{record_family(record) or UNKNOWN_FAMILY}\t{outcome}"] += 1
            if reason is not None:
                out.exclusions.append(_exclusion(reason, uid, record, key, line_no))
                continue
            metadata = record["metadata"]
            actual = record_content_hash(record["messages"], record.get("metadata"))
            if metadata.get("content_hash") != actual:
                metadata["content_hash"] = actual
                out.hash_repairs += 1
            family = str(record_family(record))
            stage = curriculum.stage_for(registry, family)
            metadata["uid"] = uid
            metadata["stage"] = stage
            metadata["phase"] = curriculum.phase_of(stage)
            out.stats.add_unsplit(record)
            metadata["split"] = SPLIT_PLACEHOLDER  # pass 2 fills it in
            body = orjson.dumps(record)
            header = [cluster_key(record), family, stage_rank[stage], actual, uid]
            header.append(placeholder_at(body))
            line = orjson.dumps(header) + b"\t" + body + b"\n"
            spill.write(line)
            if also is not None:
                also(line)
            out.released += 1
    return out


def _object_entry(info: ObjectInfo, **extra: Any) -> dict[str, Any]:
    return {"key": info.key, "etag": info.etag, "size": info.size, **extra}


def _snapshot_entries(snapshots: Iterable[Any]) -> list[dict[str, Any]]:
    """The raw objects (key, ETag, size) the release was built from, from the snapshot files."""
    entries: dict[str, dict[str, Any]] = {}
    for item in snapshots:
        if isinstance(item, Mapping):
            entry = {"key": item["key"], "etag": item.get("etag"), "size": item.get("size")}
            entry.update({k: item[k] for k in ("family", "partition") if k in item})
        else:
            entry = {"key": item.key, "etag": item.etag, "size": item.size}
        entries[str(entry["key"])] = entry
    return [entries[k] for k in sorted(entries)]


def _accounting(
    accounting: Mapping[str, Accounting | Mapping[str, Any]] | None,
    released: Counter[str],
    excluded: dict[str, Counter[str]],
) -> dict[str, dict[str, Any]]:
    """The earlier stages' per-family numbers plus what this build released and excluded."""
    out: dict[str, dict[str, Any]] = {}
    for family, entry in sorted((accounting or {}).items()):
        books = (
            entry.copy()
            if isinstance(entry, Accounting)
            else Accounting.from_dict(entry, what=f"accounting[{family!r}]")
        )
        books.released = released[family]
        books.release_excluded = Counter(excluded.get(family, Counter()))
        out[family] = books.release_dict()
    return out


# -- staging ---------------------------------------------------------------------------------------
class _Sink:
    """One staged file written as a stream: ``close`` commits it and describes it, ``abort``
    discards it."""

    def __init__(
        self, store: ObjectStore, staging: str, path: str, kind: str, **extra: Any
    ) -> None:
        self.path, self.kind, self.extra = path, kind, extra
        self._cm = store.open_write(key_in(staging, path))
        self.out = HashingWriter(self._cm.__enter__())
        self._open = True

    def close(self) -> _WrittenFile:
        self._open = False
        self._cm.__exit__(None, None, None)
        out = self.out
        digest = "sha256:" + out.sha256.hexdigest()
        return _WrittenFile(self.path, digest, out.bytes, out.records, self.kind, self.extra)

    def abort(self, exc: BaseException) -> None:
        if self._open:
            self._open = False
            self._cm.__exit__(type(exc), exc, exc.__traceback__)


@dataclass
class _Staged:
    compiled: _WrittenFile
    shards: list[_WrittenFile]
    exports: list[_WrittenFile]

    @property
    def shard_files(self) -> list[ShardFile]:
        return [
            ShardFile(f.path, f.extra["split"], f.extra["stage"], f.records or 0, f.bytes, f.sha256)
            for f in self.shards
        ]


def _write_sorted(
    store: ObjectStore,
    staging: str,
    rows: Iterable[tuple[list[Any], bytes]],
    curriculum: Curriculum,
    max_bytes: int,
    progress: Progress,
    total: int,
) -> _Staged:
    """Pass 3: the sorted ``([split rank, stage rank, ...], line)`` pairs become the shards (a new
    part at every split or stage change and at ``max_bytes``), the compiled file (the shards
    concatenated) and the phase A/C trainer exports (``exports.EXPORT_FORMATS``, per split, in
    shard order; a split without such records gets no file). Only records of a phase some
    export format reads are parsed again. ``progress`` counts records written, of ``total``."""
    stages = curriculum.stage_ids
    formats_of_phase: dict[str, list[int]] = defaultdict(list)
    for index, fmt in enumerate(EXPORT_FORMATS):
        formats_of_phase[fmt.phase].append(index)
    shards: list[_WrittenFile] = []
    exports: list[tuple[int, int, _WrittenFile]] = []  # (format index, split rank, file)
    compiled = _Sink(store, staging, COMPILED, "compiled")
    shard: _Sink | None = None
    number = 0
    export_sinks: dict[int, tuple[int, _Sink]] = {}  # format index -> (split rank, sink)
    try:
        for written, (key, line) in enumerate(rows):
            split, stage = SPLITS[key[0]], stages[key[1]]
            data = line + b"\n"
            if (
                shard is None
                or (split, stage) != (shard.extra["split"], shard.extra["stage"])
                or (shard.out.bytes and shard.out.bytes + len(data) > max_bytes)
            ):
                if shard is not None:
                    shards.append(shard.close())
                number = 0 if shard is None or split != shard.extra["split"] else number + 1
                path = shard_path(split, number)
                shard = _Sink(store, staging, path, "shard", split=split, stage=stage)
                progress("release write shards", written, total, item=path)
            elif written % PROGRESS_EVERY == 0:
                progress("release write shards", written, total, item=shard.path)
            shard.out.write(data)
            compiled.out.write(data)
            indexes = formats_of_phase.get(curriculum.phase_of(stage))
            if not indexes:
                continue
            record = orjson.loads(line)
            for index in indexes:
                fmt = EXPORT_FORMATS[index]
                for row in fmt.rows(record):
                    current = export_sinks.get(index)
                    if current is None or current[0] != key[0]:
                        if current is not None:
                            exports.append((index, current[0], current[1].close()))
                        path = fmt.path_for(split)
                        sink = _Sink(store, staging, path, "export", split=split, format=fmt.name)
                        current = export_sinks[index] = (key[0], sink)
                    current[1].out.write(export_line(row))
        if shard is not None:
            shards.append(shard.close())
        progress("release write shards", total, total)
        for index, (rank, sink) in export_sinks.items():
            exports.append((index, rank, sink.close()))
        compiled_file = compiled.close()
    except BaseException as exc:
        for open_sink in [shard, compiled, *(s for _, s in export_sinks.values())]:
            if open_sink is not None:
                open_sink.abort(exc)
        raise
    exports.sort(key=lambda e: e[:2])
    return _Staged(compiled_file, shards, [e[2] for e in exports])


def _write_file(
    store: ObjectStore, staging: str, path: str, data: bytes, kind: str, records: int | None = None
) -> _WrittenFile:
    store.write_bytes(key_in(staging, path), data)
    return _WrittenFile(
        path, "sha256:" + hashlib.sha256(data).hexdigest(), len(data), records, kind
    )


def _counts(stats: dict[str, Any]) -> dict[str, Any]:
    return dict(stats["counts"])


def build_release(
    store: ObjectStore,
    registry: Registry,
    inputs: Sequence[str],
    accounting: Mapping[str, Accounting | Mapping[str, Any]] | None,
    snapshots: Iterable[Any],
    options: ReleaseOptions | None = None,
) -> ReleaseResult:
    """Build, gate and publish one release; see the module docstring for the steps."""
    options = options or ReleaseOptions()
    if not inputs:
        raise TerminalError("build_release got no input partitions; run dedup first")
    clock = options.clock or (lambda: datetime.now(UTC))
    created_at = clock().astimezone(UTC)
    curriculum = load_curriculum(options.curriculum_path)
    curriculum.check_registry(registry)
    # The registry's coverage waivers join the caller's; one for an unknown family fails here.
    options = replace(options, coverage_waivers=resolve_waivers(registry, options.coverage_waivers))
    # Read the key before any work: a key that cannot be used fails the build at once.
    signing_key = load_private_key(options.signing_key_path) if options.signing_key_path else None
    clean_abandoned(
        store,
        staging_prefix=options.staging_prefix,
        releases_prefix=options.releases_prefix,
        builds_prefix=options.builds_prefix,
        stale_after_s=options.stale_build_after_s,
    )
    build_id = f"{created_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"
    lease = claim_version(
        store,
        requested=options.version,
        build_id=build_id,
        now=created_at,
        releases_prefix=options.releases_prefix,
        builds_prefix=options.builds_prefix,
        stale_after_s=options.stale_build_after_s,
    )
    user_hook = options.hook or (lambda stage: None)

    def hook(stage: str) -> None:
        lease.beat()  # each stage is a heartbeat: other builds see this one is alive
        user_hook(stage)

    try:
        return _build(
            store,
            registry,
            inputs,
            accounting,
            snapshots,
            options,
            curriculum,
            lease,
            hook,
            created_at,
            signing_key,
        )
    finally:
        _end_build(store, options, lease)


def _end_build(store: ObjectStore, options: ReleaseOptions, lease: BuildLease) -> None:
    """Success or failure, this build's staging goes, and a version folder it left without a
    manifest (a failed publish), then its marker. A killed build leaves all three for the next
    build's ``clean_abandoned``; so does a cleanup that fails here. That is logged, not raised:
    a failed build's own error is the one to report, and a published release stays published."""
    try:
        store.delete_prefix(prefix_of(options.staging_prefix, lease.marker.build_id))
        release_prefix = prefix_of(options.releases_prefix, lease.marker.version)
        if store.head(key_in(release_prefix, MANIFEST)) is None:
            store.delete_prefix(release_prefix)
        lease.release()
    except Exception as exc:
        log.warning(
            "could not clean up after build %s (%s); the next build will",
            lease.marker.build_id,
            type(exc).__name__,
        )


def _build(
    store: ObjectStore,
    registry: Registry,
    inputs: Sequence[str],
    accounting: Mapping[str, Accounting | Mapping[str, Any]] | None,
    snapshots: Iterable[Any],
    options: ReleaseOptions,
    curriculum: Curriculum,
    lease: BuildLease,
    hook: Callable[[str], None],
    created_at: datetime,
    signing_key: Ed25519PrivateKey | None = None,
) -> ReleaseResult:
    clock = options.clock or (lambda: datetime.now(UTC))
    version, build_id = lease.marker.version, lease.marker.build_id
    staging = prefix_of(options.staging_prefix, build_id)
    release_prefix = prefix_of(options.releases_prefix, version)
    hook("chosen")

    with tempfile.TemporaryDirectory(
        prefix=f"pixel-release-{build_id}-", dir=options.spill_dir
    ) as tmp:
        work = Path(tmp)
        book = ReviewBook.load(store, options.review_prefix)
        collected = _collect(
            store, inputs, registry, curriculum, options, book, work / "collected.bin"
        )
        if collected.from_cache:
            log.info(
                "release %s: %d of %d input partitions unchanged, replayed from the input cache",
                version,
                collected.from_cache,
                len(collected.partitions),
            )
        holdout = [name for name, spec in registry.families.items() if spec.holdout]
        plan = plan_splits(
            ((h[0], h[1]) for h in collected.headers()),
            holdout,
            ratios=options.split_ratios,
            min_clusters=options.min_clusters_for_split,
            salt=options.split_salt,
        )
        # Pass 2: fill in each record's split, count it, and queue it for the sort.
        split_rank = {split: i for i, split in enumerate(SPLITS)}
        stages = curriculum.stage_ids
        record_stats = collected.stats
        released_by_family: Counter[str] = Counter()
        families: dict[str, str] = {}  # family -> stage
        order = ExternalSort(work, buffer_bytes=options.sort_buffer_bytes)
        progress, total = options.progress, collected.released
        for header, body in collected.lines():
            cluster, family, stage_rank, digest, uid, at = header
            if order.count % PROGRESS_EVERY == 0:
                progress("release split and sort", order.count, total)
            split = plan.split(cluster)
            record_stats.add_split(family, stages[stage_rank], split)
            released_by_family[family] += 1
            families[family] = stages[stage_rank]
            line = fill_split(body, at, split)
            order.add([split_rank[split], stage_rank, family, digest, uid], line)
        progress("release split and sort", order.count, total)
        collected.spill.unlink()
        log.info(
            "release %s: %d records split and sorted (%d runs on disk)",
            version,
            order.count,
            len(order.runs),
        )
        staged = _write_sorted(
            store, staging, order, curriculum, options.shard_max_bytes, progress, order.count
        )
    shards = staged.shard_files
    files: list[_WrittenFile] = [staged.compiled, *staged.shards]
    exclusions = sorted(collected.exclusions, key=lambda e: (str(e["reason"]), e["uid"]))
    quarantine_bytes = b"".join(
        orjson.dumps(e, option=orjson.OPT_SORT_KEYS) + b"\n" for e in exclusions
    )
    files.append(
        _write_file(store, staging, QUARANTINE, quarantine_bytes, "quarantine", len(exclusions))
    )

    excluded_by_family: dict[str, Counter[str]] = defaultdict(Counter)
    for e in exclusions:
        excluded_by_family[str(e["family"])][str(e["reason"])] += 1
    accounting_section = _accounting(accounting, released_by_family, excluded_by_family)
    by_reason = dict(sorted(Counter(str(e["reason"]) for e in exclusions).items()))
    review_reasons: Counter[str] = Counter()
    for e in exclusions:
        review_reasons.update(e.get("review_reasons") or {})
    stats = stats_document(
        record_stats.as_dict(),
        accounting_section,
        by_reason,
        {f: dict(c) for f, c in excluded_by_family.items()},
        dict(review_reasons),
    )
    stats["split_rules"] = {
        "rule_of_family": plan.rule_of_family,
        "clusters_of_family": plan.clusters_of_family,
    }
    stats["hash_repairs"] = collected.hash_repairs
    stats["review"] = review_counts(collected.reviewed, excluded_by_family, book)
    files.append(
        _write_file(store, staging, STATS, orjson.dumps(stats, option=JSON_PRETTY) + b"\n", "stats")
    )
    files.append(_write_file(store, staging, LLAMA_FACTORY, llama_factory_info(), "export"))
    files.append(_write_file(store, staging, AXOLOTL, axolotl_yaml(shards), "export"))
    files.append(
        _write_file(
            store, staging, STAGE_ORDER, stage_order(curriculum, shards, families), "curriculum"
        )
    )
    files += staged.exports

    manifest: dict[str, Any] = {
        "schema": MANIFEST_SCHEMA,
        "version": version,
        "build_id": build_id,
        "created_at": created_at.isoformat(),
        "pipeline": {"version": options.pipeline_version, "git_sha": options.git_sha},
        "registry": {"hash": registry.source_hash, "version": registry.version},
        "curriculum": curriculum.as_dict(),
        "options": options.gate_options(),
        "inputs": {
            "fingerprint": options.inputs_fingerprint,
            "partitions": collected.partitions,
            "raw_objects": _snapshot_entries(snapshots),
        },
        "files": [f.entry() for f in files],
        "counts": _counts(stats),
        "accounting": accounting_section,
        "exclusions": {
            "total": len(exclusions),
            "by_reason": by_reason,
            "by_family": {
                f: dict(sorted(c.items())) for f, c in sorted(excluded_by_family.items())
            },
        },
        "hash_repairs": collected.hash_repairs,
        "split_rules": stats["split_rules"],
        "gates": None,
    }
    store.write_bytes(key_in(staging, MANIFEST), orjson.dumps(manifest, option=JSON_PRETTY))
    hook("staged")
    # The exclusion entries (one dict per record left out: ~0.35 GB at 1M) and the split plan are
    # in the staged files by now: freed here, so the gates' scan reuses their memory instead of
    # adding to it.
    collected.exclusions.clear()
    del exclusions, quarantine_bytes, plan

    ctx = GateContext.from_options(registry, curriculum, options)
    view = ReleaseView(store, staging)
    gates = run_gates_on(view, ctx, progress=options.progress, also_scan=frozenset({BIAS}))
    passed = all(g.passed for g in gates)
    hook("gated")

    bias = _bias_document(view, ctx, options)
    bias_file = _write_file(
        store, staging, BIAS_QA, orjson.dumps(bias, option=JSON_PRETTY) + b"\n", "report"
    )
    report = _write_file(
        store, staging, REPORT, render_report(manifest, stats, gates, bias), "report"
    )
    manifest["files"] += [bias_file.entry(), report.entry()]
    manifest["gates"] = {"passed": passed, "results": [g.to_dict() for g in gates]}
    review_required = options.bias_qa.require_review
    manifest["review"] = {
        "required": review_required,
        "task": BIAS_QA_TASK,
        "report": BIAS_QA,
        "records": stats["review"],  # what the review log decided about records (review.book)
    }
    published_at = clock().astimezone(UTC).isoformat()
    manifest["published_at"] = published_at if (passed or options.publish_on_failure) else None
    manifest_bytes = orjson.dumps(manifest, option=JSON_PRETTY)
    store.write_bytes(key_in(staging, MANIFEST), manifest_bytes)
    digest = manifest_digest(manifest_bytes)

    published = latest_moved = awaiting_review = False
    paths = [entry["path"] for entry in manifest["files"]]
    signed_by = None
    if signing_key is not None:
        # Signed from the bytes in memory, not re-read: a change in staging fails the signature.
        store.write_bytes(key_in(staging, SIGNATURE), sign_manifest(manifest_bytes, signing_key))
        paths.append(SIGNATURE)
        signed_by = key_id(signing_key.public_key())
    if passed or options.publish_on_failure:
        copy_release(store, staging, release_prefix, paths, hook)
        published = True
        log.info("release %s published: manifest %s, signed by %s", version, digest, signed_by)
        hook("published")
        if passed and review_required:
            awaiting_review = True
            log.info(
                "release %s passed; LATEST waits for the review of its Bias/QA report "
                "(pixel-platform review sign-off --version %s)",
                version,
                version,
            )
        elif passed and is_newest(store, version, options.releases_prefix):
            update_canonical(store, release_prefix, options.final_prefix, paths)
            write_latest(store, options.releases_prefix, version, published_at)
            latest_moved = True
        elif passed:
            log.warning(
                "release %s passed, but LATEST already points at a later version; "
                "LATEST and final_dataset/ stay where they are",
                version,
            )
    return ReleaseResult(
        version,
        release_prefix,
        manifest,
        gates,
        published,
        latest_moved,
        build_id,
        manifest_digest=digest,
        signed_by=signed_by,
        inputs_from_cache=collected.from_cache,
        awaiting_review=awaiting_review,
    )


def _bias_document(view: ReleaseView, ctx: GateContext, options: ReleaseOptions) -> dict[str, Any]:
    """The Bias/QA report from the gates' scan (its ``bias`` part); when that scan failed (the
    gates report it), an empty report that says so."""
    scan = view.scanned(ctx)
    partial = scan.bias if scan is not None else None
    document = report_document(partial or BiasPartial(), load_vocabulary(), options.bias_qa)
    if partial is None:
        document["error"] = "the gates' shard scan failed: nothing counted"
    return document


def iter_released(store: ObjectStore, release_prefix: str) -> Iterator[dict[str, Any]]:
    """The records of a release in compiled order (a convenience for consumers and tests)."""
    with store.open_read(key_in(release_prefix, COMPILED)) as fh:
        for line in fh:
            yield orjson.loads(line)

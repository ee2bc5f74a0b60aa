"""One pass over a release's shards for every gate: ``scan_release``.

Each gate used to stream (or cache) every record on its own: ten passes over the shards, or the
whole release parsed into memory. Now one scan reads each shard once and computes what every gate
needs from it — file digests, per-family counts, cluster keys, the pattern PII rescan, provenance
and split facts, the stats recount and export digests, MinHash signatures — as a ``ShardScan``
per shard, with no conversation text in it. The gates (``release.gates``) judge from the merged
``ReleaseScan``.

- **Parallel by shard.** Shards are independent, so ``scan_release`` maps them over a process
  pool (``workers``; spawned processes, each reading its shards from the store) and merges the
  partials in shard order. Merging in order keeps every result equal to one sequential pass:
  counts add, and each shard keeps the first ``EXAMPLES_PER_KIND`` examples of a kind
  (``EventLog``), which always include the examples a sequential pass would have kept.
- **Memory.** Per record, the merged scan keeps an 8-byte cluster key, a family code and, for
  the duplicate gates, the uid, content hash and MinHash signature (the duplicate index); record
  expectations run through Great Expectations in batches of ``GX_BATCH_ROWS`` rows.
- **Parts.** A gate run alone (an asset check, ``verify --gate``) scans only for the parts its
  gate needs (``GATE_PARTS``). The build also scans for ``bias`` (no gate needs it): the counts
  of the Bias/QA report (``release.bias_qa``), so that report costs no pass of its own and is
  kept per shard in the scan cache like the rest.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
from numpy.typing import NDArray

from pixel_platform.core.progress import Progress, no_progress
from pixel_platform.core.record import record_content_hash
from pixel_platform.curation.dedup import MinHasher
from pixel_platform.curation.dedup.driver import SignatureFileWriter
from pixel_platform.curation.dedup.lsh import CandidateStats
from pixel_platform.curation.dedup.near import near_duplicates
from pixel_platform.curation.dedup.text import dialogue_text
from pixel_platform.release.bias_qa import BiasPartial, load_vocabulary
from pixel_platform.release.expectations import Check, Outcome, run_checks_on_columns
from pixel_platform.release.exports import EXPORT_FORMATS, export_line
from pixel_platform.release.layout import SPLITS, key_in
from pixel_platform.release.options import GateContext
from pixel_platform.release.pii_memo import ScanMemo, digests, memo_key, seen_in
from pixel_platform.release.results import EXAMPLES_PER_KIND, Violations
from pixel_platform.release.routing import NON_NULL_PROVENANCE, RELEASABLE_PII
from pixel_platform.release.split import cluster_key
from pixel_platform.release.stats import RecordStats
from pixel_platform.storage.factory import open_store, settings_of

if TYPE_CHECKING:
    from pixel_platform.release.scan_cache import ScanCache
    from pixel_platform.release.view import ReleaseView
    from pixel_platform.storage.base import ObjectStore

log = logging.getLogger(__name__)

READ_CHUNK = 1024 * 1024
PII_SCAN_BATCH = 2048
GX_BATCH_ROWS = 50_000  # rows held and validated at a time: ~70 MB of Great Expectations, 0.2 s
# Below this many shard bytes a pool's start-up (each worker imports the PII scanner and Great
# Expectations) costs more than it saves: scan in this process.
PARALLEL_MIN_BYTES = 64 * 1024 * 1024
# Past this many released records the gates group the LSH buckets on disk (``lsh.spill_bands``):
# in memory they cost ~1 KB a record (bucket hashes, low signature bytes, sort copies), 0.5 GB
# at 1M conversations; on disk a band at a time. Same pairs either way (``lsh``'s module doc).
GATE_LSH_IN_MEMORY_MAX = 100_000

PARTS = ("pii", "provenance", "hash", "split", "stats", "duplicates")  # what the gates scan for
BIAS = "bias"  # and the Bias/QA report's counts (release.bias_qa): scanned by the build only
GATE_PARTS: dict[str, tuple[str, ...]] = {
    "coverage": (),
    "leakage": ("duplicates",),
    "distribution": (),
    "pii": ("pii",),
    "provenance": ("provenance",),
    "hash": ("hash",),
    "split": ("split",),
    "stats": ("stats",),
    "dedup": ("duplicates",),
    "accounting": (),
    "fidelity": (),
}
SCANLESS_GATES = frozenset({"fidelity"})  # gates that read only JSON files, never the shards


def parts_for(names: Iterable[str]) -> frozenset[str]:
    return frozenset(part for name in names for part in GATE_PARTS.get(name, ()))


# -- mergeable pieces ------------------------------------------------------------------------------
@dataclass
class EventLog:
    """One gate's violations within one shard, in order: every count, and the first
    ``EXAMPLES_PER_KIND`` examples of each kind (all a whole-release ``Violations`` could keep)."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)  # beyond the kept events
    _kept: Counter[str] = field(default_factory=Counter)

    def add(self, kind: str, example: dict[str, Any] | None = None) -> None:
        if example is not None and self._kept[kind] < EXAMPLES_PER_KIND:
            self._kept[kind] += 1
            self.events.append((kind, example))
        else:
            self.counts[kind] += 1

    def replay(self, into: Violations) -> None:
        for kind, example in self.events:
            into.add(kind, example)
        for kind, n in self.counts.items():
            into.add(kind, None, n=n)


class ExpectationBatches:
    """Rows of one gate's record expectations (no text), checked with Great Expectations
    ``GX_BATCH_ROWS`` at a time; outcomes of the batches add up (counts sum, the first
    examples are kept)."""

    def __init__(self, checks: list[Check]) -> None:
        self.checks = checks
        self.columns: dict[str, list[Any]] = defaultdict(list)
        self.rows = 0
        self._unexpected: Counter[str] = Counter()
        self._examples: dict[str, list[str]] = defaultdict(list)

    def extend(self, columns: dict[str, list[Any]]) -> None:
        n = len(columns.get("uid", ()))
        for name, values in columns.items():
            self.columns[name].extend(values)
        self.rows += n
        if self.rows >= GX_BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self.rows:
            return
        for outcome in run_checks_on_columns(self.columns, self.checks):
            self._unexpected[outcome.kind] += outcome.unexpected
            kept = self._examples[outcome.kind]
            kept.extend(outcome.examples[: max(0, EXAMPLES_PER_KIND - len(kept))])
        self.columns = defaultdict(list)
        self.rows = 0

    def outcomes(self) -> list[Outcome]:
        self._flush()
        return [
            Outcome(c.kind, self._unexpected[c.kind], self._examples[c.kind]) for c in self.checks
        ]


def add_outcomes(v: Violations, outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        v.add(
            outcome.kind,
            {"uids": outcome.examples} if outcome.examples else None,
            n=outcome.unexpected,
        )


# -- one shard -------------------------------------------------------------------------------------
@dataclass
class ScanSettings:
    """What a worker needs besides the shard: sent once per worker process."""

    store: ObjectStore
    prefix: str
    ctx: GateContext
    parts: frozenset[str]
    memo_known: NDArray[Any] | None = None  # digests the last build found clean (pii part)

    def portable(self) -> bytes:
        """These settings pickled for a worker; a remote store travels as the settings it was
        opened with (``storage.factory.settings_of``) and the worker opens it again."""
        reopen = settings_of(self.store)
        if reopen is None:
            return pickle.dumps(self)
        return pickle.dumps((reopen, replace(self, store=None)))  # type: ignore[arg-type]

    @staticmethod
    def arrived(blob: bytes) -> ScanSettings:
        loaded = pickle.loads(blob)
        if isinstance(loaded, ScanSettings):
            return loaded
        reopen, settings = loaded
        return replace(settings, store=open_store(reopen))


@dataclass
class ShardScan:
    path: str
    split: str
    sha256: str = ""
    size: int = 0
    lines: int = 0
    parsed: int = 0
    families: Counter[str] = field(default_factory=Counter)  # str(family) of parsed records
    family_split: Counter[str] = field(default_factory=Counter)  # same, of this shard's split
    family_table: list[str] = field(default_factory=list)
    family_codes: list[int] = field(default_factory=list)  # per parsed record
    cluster_keys: list[int] = field(default_factory=list)  # 64-bit digest per parsed record
    logs: dict[str, EventLog] = field(default_factory=lambda: defaultdict(EventLog))
    columns: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    licences: Counter[str] = field(default_factory=Counter)
    stats: RecordStats | None = None
    exports: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    turns: int = 0  # pii: turns checked
    memo_hits: int = 0
    clean_digests: list[NDArray[Any]] = field(default_factory=list)
    uids: list[str] = field(default_factory=list)  # duplicates: per parsed record
    hashes: list[str] = field(default_factory=list)
    record_lines: list[int] = field(default_factory=list)
    signatures: NDArray[np.uint32] | None = None
    bias: BiasPartial | None = None  # bias: the Bias/QA report's counts of this shard


def cluster_digest(cluster: str) -> int:
    return int.from_bytes(hashlib.blake2b(cluster.encode(), digest_size=8).digest(), "little")


def parse_line(raw: bytes) -> dict[str, Any] | None:
    """A shard line as a JSON object; None when it is not one."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def released_uid(data: dict[str, Any] | None, path: str, line: int) -> str:
    """A released record's ``metadata.uid``, else where it is (``<shard>@L<line>``)."""
    metadata = (data or {}).get("metadata") or {}
    uid = metadata.get("uid")
    return str(uid) if uid else f"{path}@L{line}"


def released_family(data: dict[str, Any] | None) -> str | None:
    """A released record's ``metadata.provenance.family`` when it is a string."""
    metadata = (data or {}).get("metadata") or {}
    prov = metadata.get("provenance")
    family = prov.get("family") if isinstance(prov, dict) else None
    return family if isinstance(family, str) else None


def _example(path: str, line: int, uid: str, **extra: Any) -> dict[str, Any]:
    return {"uid": uid, "file": path, "line": line, **extra}


class _ShardScanner:
    """The per-record work of one shard, part by part."""

    def __init__(self, settings: ScanSettings, path: str, split: str) -> None:
        self.s = settings
        self.ctx = settings.ctx
        self.out = ShardScan(path, split)
        parts = settings.parts
        self.out.columns = {
            p: defaultdict(list) for p in ("hash", "provenance", "split") if p in parts
        }
        if "stats" in parts:
            self.out.stats = RecordStats()
            self._export_parts: dict[str, list[bytes]] = defaultdict(list)
            self._export_rows: Counter[str] = Counter()
        self._family_index: dict[str, int] = {}
        self._pii_texts: list[str] = []
        self._pii_where: list[tuple[int, str, int | str]] = []
        self._sig_texts: list[str] = []
        self._sig_blocks: list[NDArray[np.uint32]] = []
        if "pii" in parts:
            from pixel_platform.curation.pii import PiiConfig  # spaCy + presidio: slow import

            self._pii_config = PiiConfig(model=None, entities=self.ctx.pii_entities)
        if "duplicates" in parts:
            self._hasher = MinHasher(self.ctx.dedup)
        if BIAS in parts:
            self.out.bias = BiasPartial()
            self._vocabulary = load_vocabulary()

    def run(self) -> ShardScan:
        out, store = self.out, self.s.store
        digest = hashlib.sha256()
        key = key_in(self.s.prefix, out.path)
        with store.open_read(key) as fh:
            pending = b""
            line = 0
            while chunk := fh.read(READ_CHUNK):
                digest.update(chunk)
                out.size += len(chunk)
                out.lines += chunk.count(b"\n")
                pieces = (pending + chunk).split(b"\n")
                pending = pieces.pop()
                for raw in pieces:
                    line += 1
                    self.record(raw, line)
            if pending:
                self.record(pending, line + 1)
        out.sha256 = "sha256:" + digest.hexdigest()
        self._finish()
        return out

    def record(self, raw: bytes, line: int) -> None:
        out, parts = self.out, self.s.parts
        data = parse_line(raw)
        uid = released_uid(data, out.path, line)
        actual: str | None = None
        hash_failed = False
        if data is not None and ("hash" in parts or "duplicates" in parts):
            try:
                actual = record_content_hash(data["messages"], data.get("metadata"))
            except (KeyError, TypeError):
                hash_failed = True
        if "hash" in parts:
            self._hash(data, line, uid, actual, hash_failed)
        if data is None:
            return
        metadata = data.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        family = released_family(data)
        name = str(family)
        out.parsed += 1
        out.families[name] += 1
        out.family_split[name] += 1
        code = self._family_index.get(name)
        if code is None:
            code = self._family_index[name] = len(out.family_table)
            out.family_table.append(name)
        out.family_codes.append(code)
        cluster = cluster_key(data)
        out.cluster_keys.append(cluster_digest(cluster))
        if "pii" in parts:
            self._pii(data, metadata, line, uid)
        if "provenance" in parts:
            self._provenance(metadata, line, uid)
        if "split" in parts:
            self._split(family, metadata, line, uid)
        if "stats" in parts:
            assert out.stats is not None
            out.stats.add(data, out.split)
            for fmt in EXPORT_FORMATS:
                for row in fmt.rows(data):
                    path = fmt.path_for(out.split)
                    self._export_parts[path].append(export_line(row))
                    self._export_rows[path] += 1
        if "duplicates" in parts:
            messages = data.get("messages")
            out.hashes.append(actual if isinstance(messages, list) and actual else "")
            out.uids.append(uid)
            out.record_lines.append(line)
            self._sig_texts.append(dialogue_text(data))
            if len(self._sig_texts) >= self.ctx.dedup.batch_size:
                self._signatures()
        if out.bias is not None:
            out.bias.add(data, out.split, self._vocabulary)

    # -- parts ---------------------------------------------------------------------------------
    def _hash(
        self, data: dict[str, Any] | None, line: int, uid: str, actual: str | None, failed: bool
    ) -> None:
        log_ = self.out.logs["hash"]
        if data is None:
            log_.add("invalid_json_line", _example(self.out.path, line, uid))
            return
        stored = (data.get("metadata") or {}).get("content_hash")
        columns = self.out.columns["hash"]
        columns["uid"].append(uid)
        columns["content_hash"].append(stored)
        if failed:
            log_.add("messages_malformed", _example(self.out.path, line, uid))
        elif stored != actual:
            log_.add(
                "content_hash_mismatch",
                _example(self.out.path, line, uid, stored=stored, actual=actual),
            )

    def _pii(self, data: dict[str, Any], metadata: dict[str, Any], line: int, uid: str) -> None:
        log_ = self.out.logs["pii"]
        status = metadata.get("pii_status")
        if status == "requires_review":
            log_.add("pii_requires_review", _example(self.out.path, line, uid))
        elif status not in RELEASABLE_PII:
            log_.add("pii_status_missing", _example(self.out.path, line, uid))
        for turn, message in enumerate(data.get("messages") or ()):
            content = message.get("content") if isinstance(message, dict) else None
            if isinstance(content, str) and content:
                self._pii_texts.append(content)
                self._pii_where.append((line, uid, turn))
        # A preference pair's rejected reply ships too (the TRL/KTO exports).
        preference = metadata.get("preference")
        rejected = preference.get("rejected") if isinstance(preference, dict) else None
        if isinstance(rejected, str) and rejected:
            self._pii_texts.append(rejected)
            self._pii_where.append((line, uid, "rejected"))
        if len(self._pii_texts) >= PII_SCAN_BATCH:
            self._pii_flush()

    def _pii_flush(self) -> None:
        from pixel_platform.curation.pii import scan_texts

        texts, where, out = self._pii_texts, self._pii_where, self.out
        out.turns += len(texts)
        todo = list(range(len(texts)))
        known = self.s.memo_known
        batch = digests(texts) if known is not None else None
        if known is not None and batch is not None:
            seen = seen_in(known, batch)
            out.memo_hits += int(seen.sum())
            out.clean_digests.append(batch[seen])
            todo = [i for i in todo if not seen[i]]
        clean = []
        for i, spans in zip(
            todo, scan_texts([texts[i] for i in todo], self._pii_config), strict=True
        ):
            line, uid, turn = where[i]
            for span in spans:
                out.logs["pii"].add(
                    f"pii_{span.type.lower()}",
                    _example(out.path, line, uid, turn=turn, type=span.type),
                )
            if not spans:
                clean.append(i)
        if batch is not None:
            out.clean_digests.append(batch[clean])
        self._pii_texts, self._pii_where = [], []

    def _provenance(self, metadata: dict[str, Any], line: int, uid: str) -> None:
        log_ = self.out.logs["provenance"]
        prov = metadata.get("provenance")
        prov = prov if isinstance(prov, dict) else {}
        if not prov:
            log_.add("provenance_missing", _example(self.out.path, line, uid))
        if prov.get("line") is None and prov.get("index") is None:
            log_.add("provenance_line_and_index_missing", _example(self.out.path, line, uid))
        self.out.licences[str(prov.get("license"))] += 1
        columns = self.out.columns["provenance"]
        columns["uid"].append(uid)
        for name in NON_NULL_PROVENANCE:
            columns[name].append(prov.get(name))

    def _split(self, family: str | None, metadata: dict[str, Any], line: int, uid: str) -> None:
        ctx, out = self.ctx, self.out
        log_ = out.logs["split"]
        spec = ctx.registry.families.get(family or "")
        if spec is not None and spec.holdout and out.split != "test":
            log_.add(
                "holdout_outside_test",
                _example(out.path, line, uid, family=family, split=out.split),
            )
        if metadata.get("split") != out.split:
            log_.add(
                "split_label_mismatch",
                _example(out.path, line, uid, label=metadata.get("split"), folder=out.split),
            )
        if spec is not None and family is not None:
            expected_stage = ctx.curriculum.stage_for(ctx.registry, family)
            if metadata.get("stage") != expected_stage:
                log_.add(
                    "stage_mismatch",
                    _example(
                        out.path, line, uid, stage=metadata.get("stage"), expected=expected_stage
                    ),
                )
            elif metadata.get("phase") != ctx.curriculum.phase_of(expected_stage):
                log_.add(
                    "phase_mismatch", _example(out.path, line, uid, phase=metadata.get("phase"))
                )
        columns = out.columns["split"]
        columns["uid"].append(uid)
        for name in ("split", "stage", "phase"):
            columns[name].append(metadata.get(name))

    def _signatures(self) -> None:
        if self._sig_texts:
            self._sig_blocks.append(self._hasher.signatures(self._sig_texts)[0])
            self._sig_texts = []

    def _finish(self) -> None:
        out, parts = self.out, self.s.parts
        if "pii" in parts and self._pii_texts:
            self._pii_flush()
        if "stats" in parts:
            out.exports = {
                path: (self._export_rows[path], b"".join(chunks))
                for path, chunks in self._export_parts.items()
            }
        if "duplicates" in parts:
            self._signatures()
            out.signatures = (
                np.concatenate(self._sig_blocks)
                if self._sig_blocks
                else np.zeros((0, self.ctx.dedup.num_perm), np.uint32)
            )
        out.logs = dict(out.logs)
        out.columns = {p: dict(c) for p, c in out.columns.items()}


def scan_shard(settings: ScanSettings, path: str, split: str) -> ShardScan:
    return _ShardScanner(settings, path, split).run()


_WORKER: dict[str, ScanSettings] = {}


def _init_worker(blob: bytes) -> None:
    _WORKER["settings"] = ScanSettings.arrived(blob)


def _scan_in_worker(path: str, split: str) -> ShardScan:
    return scan_shard(_WORKER["settings"], path, split)


# -- the release -----------------------------------------------------------------------------------
@dataclass
class DuplicateIndex:
    """Exact and near duplicate relations among the released records."""

    uids: list[str]
    splits: list[str]
    hashes: list[str]  # content hash recomputed from the messages
    near_left: NDArray[np.int64]
    near_right: NDArray[np.int64]
    near_similarity: NDArray[np.float64]  # exact Jaccard of the shingle sets


@dataclass
class ReleaseScan:
    """The merged scan: what the gates judge from."""

    parts: frozenset[str]
    shards: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # path: sha, bytes, lines
    parsed: int = 0
    families: Counter[str] = field(default_factory=Counter)
    family_split: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    family_table: list[str] = field(default_factory=list)
    family_codes: NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, np.int32))
    cluster_keys: NDArray[np.uint64] = field(default_factory=lambda: np.zeros(0, np.uint64))
    cluster_splits: NDArray[np.uint8] = field(default_factory=lambda: np.zeros(0, np.uint8))
    logs: dict[str, list[EventLog]] = field(default_factory=lambda: defaultdict(list))
    expectations: dict[str, list[Outcome]] = field(default_factory=dict)
    licences: Counter[str] = field(default_factory=Counter)
    stats: RecordStats | None = None
    export_digests: dict[str, tuple[int, str]] = field(default_factory=dict)  # path: rows, sha
    pii_turns: int = 0
    pii_memo: dict[str, Any] = field(default_factory=dict)
    duplicates: DuplicateIndex | None = None
    bias: BiasPartial | None = None  # the Bias/QA report's counts, merged in shard order
    shards_from_cache: int = 0  # shards whose scan a build took from ``release.scan_cache``

    def violations(self, gate: str, v: Violations) -> None:
        """Replay the per-record violations of ``gate`` into ``v``, in release order."""
        for event_log in self.logs.get(gate, ()):
            event_log.replay(v)

    def clusters_per_family(self) -> dict[str, int]:
        if not self.cluster_keys.size:
            return {}
        pairs = np.unique(
            np.stack([self.family_codes.astype(np.uint64), self.cluster_keys]), axis=1
        )
        codes, counts = np.unique(pairs[0], return_counts=True)
        return {self.family_table[int(c)]: int(n) for c, n in zip(codes, counts, strict=True)}

    def straddling_clusters(self) -> set[int]:
        """Cluster keys found in more than one split."""
        if not self.cluster_keys.size:
            return set()
        pairs = np.unique(
            np.stack([self.cluster_keys, self.cluster_splits.astype(np.uint64)]), axis=1
        )
        keys, counts = np.unique(pairs[0], return_counts=True)
        return {int(k) for k in keys[counts > 1]}


def _split_checks(ctx: GateContext) -> list[Check]:
    from pixel_platform.release.curriculum import PHASES

    return [
        Check("split_label_invalid", "ExpectColumnValuesToBeInSet", "split",
              {"value_set": list(SPLITS)}),
        Check("stage_invalid", "ExpectColumnValuesToBeInSet", "stage",
              {"value_set": list(ctx.curriculum.stage_ids)}),
        Check("phase_invalid", "ExpectColumnValuesToBeInSet", "phase", {"value_set": list(PHASES)}),
        Check("stage_missing", "ExpectColumnValuesToNotBeNull", "stage"),
        Check("phase_missing", "ExpectColumnValuesToNotBeNull", "phase"),
    ]  # fmt: skip


HASH_PATTERN = r"^sha256:[0-9a-f]{64}$"


def _hash_checks(ctx: GateContext) -> list[Check]:
    return [
        Check("content_hash_missing", "ExpectColumnValuesToNotBeNull", "content_hash"),
        Check("content_hash_malformed", "ExpectColumnValuesToMatchRegex", "content_hash",
              {"regex": HASH_PATTERN}),
    ]  # fmt: skip


def allowed_licences(ctx: GateContext) -> list[str]:
    return sorted(
        name
        for name, spec in ctx.registry.licenses.items()
        if spec.commercial or not ctx.commercial
    )


def _provenance_checks(ctx: GateContext) -> list[Check]:
    checks = [
        Check(f"provenance_{f}_missing", "ExpectColumnValuesToNotBeNull", f)
        for f in NON_NULL_PROVENANCE
    ]
    checks.append(Check("family_unknown", "ExpectColumnValuesToBeInSet", "family",
                        {"value_set": sorted(ctx.registry.families)}))  # fmt: skip
    checks.append(Check("license_not_allowed", "ExpectColumnValuesToBeInSet", "license",
                        {"value_set": allowed_licences(ctx)}))  # fmt: skip
    return checks


EXPECTATIONS: dict[str, Callable[[GateContext], list[Check]]] = {
    "hash": _hash_checks,
    "provenance": _provenance_checks,
    "split": _split_checks,
}


def scan_release(
    view: ReleaseView,
    ctx: GateContext,
    parts: frozenset[str],
    *,
    workers: int | None = None,
    progress: Progress = no_progress,
) -> ReleaseScan:
    """Scan every shard of ``view`` once for ``parts`` (and the counts every scan gives)."""
    shards = [(path, split) for split in SPLITS for path in view.shard_paths[split]]
    size = sum(view.objects[path].size for path, _ in shards)
    memo = None
    if "pii" in parts and ctx.pii_memo_prefix:
        from pixel_platform.curation.pii import PiiConfig

        config = PiiConfig(model=None, entities=ctx.pii_entities)
        memo = ScanMemo(
            view.store, ctx.pii_memo_prefix, memo_key(config.entities, config.score_threshold)
        )
    settings = ScanSettings(view.store, view.prefix, ctx, parts, memo.known if memo else None)
    cache = None
    if ctx.scan_cache_prefix:
        from pixel_platform.release.scan_cache import ScanCache, context_key

        cache = ScanCache(view.store, ctx.scan_cache_prefix, context_key(ctx, parts))
    n = _workers(workers, len(shards), size)
    out = ReleaseScan(parts)
    batches = {p: ExpectationBatches(EXPECTATIONS[p](ctx)) for p in EXPECTATIONS if p in parts}
    export_sha: dict[str, Any] = {}
    export_rows: Counter[str] = Counter()
    signatures = _SignatureSpill(ctx.dedup.num_perm) if "duplicates" in parts else None
    where: list[tuple[str, NDArray[np.int64]]] = []  # duplicates: shard path, record lines
    family_codes: list[NDArray[np.int32]] = []
    cluster_keys: list[NDArray[np.uint64]] = []
    cluster_splits: list[NDArray[np.uint8]] = []
    family_index: dict[str, int] = {}
    if "stats" in parts:
        out.stats = RecordStats()
    if BIAS in parts:
        out.bias = BiasPartial()
    dup_uids: list[str] = []
    dup_hashes: list[str] = []
    dup_splits: list[str] = []
    for done, shard in enumerate(_scan_shards(settings, shards, n, cache, _recorded(view))):
        progress("gates scan shards", done, len(shards), item=shard.path)
        out.shards[shard.path] = (shard.sha256, shard.size, shard.lines)
        out.parsed += shard.parsed
        out.families.update(shard.families)
        for family, count in shard.family_split.items():
            out.family_split[family][shard.split] += count
        remap = np.array(
            [family_index.setdefault(name, len(family_index)) for name in shard.family_table]
            or [0],
            dtype=np.int32,
        )
        family_codes.append(remap[np.asarray(shard.family_codes, dtype=np.int64)])
        cluster_keys.append(np.asarray(shard.cluster_keys, dtype=np.uint64))
        cluster_splits.append(np.full(len(shard.cluster_keys), SPLITS.index(shard.split), np.uint8))
        for gate, event_log in shard.logs.items():
            out.logs[gate].append(event_log)
        for part, batch in batches.items():
            batch.extend(shard.columns.get(part, {}))
        out.licences.update(shard.licences)
        if out.stats is not None and shard.stats is not None:
            out.stats.merge(shard.stats)
        if out.bias is not None and shard.bias is not None:
            out.bias.merge(shard.bias)
        for path, (rows, data) in shard.exports.items():
            export_sha.setdefault(path, hashlib.sha256()).update(data)
            export_rows[path] += rows
        out.pii_turns += shard.turns
        if memo is not None:
            memo.hits += shard.memo_hits
            for clean in shard.clean_digests:
                memo.add_clean(clean)
        if signatures is not None and shard.signatures is not None:
            signatures.writer.add(shard.signatures)
            where.append((shard.path, np.asarray(shard.record_lines, dtype=np.int64)))
            dup_uids += shard.uids
            dup_hashes += shard.hashes
            dup_splits += [shard.split] * len(shard.uids)
    progress("gates scan shards", len(shards), len(shards))
    out.family_table = list(family_index)
    if family_codes:
        out.family_codes = np.concatenate(family_codes)
        out.cluster_keys = np.concatenate(cluster_keys)
        out.cluster_splits = np.concatenate(cluster_splits)
    out.expectations = {part: batch.outcomes() for part, batch in batches.items()}
    out.export_digests = {
        path: (export_rows[path], "sha256:" + digest.hexdigest())
        for path, digest in export_sha.items()
    }
    if memo is not None:
        out.pii_memo = {"turns_clean_in_memo": memo.hits, "memo_size": memo.save()}
    if cache is not None:
        out.shards_from_cache = cache.hits
        cache.prune()
    if signatures is not None:
        with signatures:
            out.duplicates = _duplicate_index(
                view, ctx, dup_uids, dup_splits, dup_hashes, signatures, where
            )
    return out


def _workers(requested: int | None, shards: int, size: int) -> int:
    if requested is not None:
        return max(1, min(requested, shards))
    if size < PARALLEL_MIN_BYTES or shards < 2:
        return 1
    return max(1, min(os.cpu_count() or 1, shards))


def _recorded(view: ReleaseView) -> dict[str, str]:
    """Each file's sha256 as the (draft) manifest records it: where to look in the scan cache."""
    files = (view.manifest or {}).get("files")
    return {
        str(entry.get("path")): str(entry.get("sha256"))
        for entry in (files if isinstance(files, list) else ())
        if isinstance(entry, dict)
    }


def _scan_shards(
    settings: ScanSettings,
    shards: list[tuple[str, str]],
    workers: int,
    cache: ScanCache | None = None,
    recorded: dict[str, str] | None = None,
) -> Iterator[ShardScan]:
    """Each shard's scan, in shard order: from ``cache`` when it holds the scan of the shard's
    bytes, else scanned in this process or over a pool of ``workers`` (and saved to ``cache``).
    Cached scans are loaded one at a time, as their turn comes."""
    found: dict[str, str] = {}
    if cache is not None:
        for path, _ in shards:
            sha256 = (recorded or {}).get(path)
            entry = cache.find(path, sha256, key_in(settings.prefix, path))
            if entry is not None:
                found[path] = entry
        if found:
            log.info("gate scan: %d of %d shards from the cache", len(found), len(shards))
    todo = [shard for shard in shards if shard[0] not in found]
    scanned = _scan_fresh(settings, todo, min(workers, max(1, len(todo))))
    for path, split in shards:
        if path in found:
            assert cache is not None
            hit = cache.load(found[path], path, (recorded or {})[path])
            # An entry gone or broken since ``find``: scan the shard here after all.
            yield hit if hit is not None else scan_shard(settings, path, split)
            continue
        shard = next(scanned)
        if cache is not None:
            cache.save(shard)
        yield shard


def _scan_fresh(
    settings: ScanSettings, shards: list[tuple[str, str]], workers: int
) -> Iterator[ShardScan]:
    """Each shard's scan, in shard order: in this process, or over a pool of ``workers``."""
    if not shards:
        return
    blob = None
    if workers > 1:
        try:
            blob = settings.portable()
        except Exception as exc:  # a store that cannot travel to another process
            log.warning(
                "gate scan runs in one process: its settings do not pickle (%s)",
                type(exc).__name__,
            )
    if blob is None:
        for path, split in shards:
            yield scan_shard(settings, path, split)
        return
    log.info("gate scan: %d shards over %d processes", len(shards), workers)
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_init_worker, initargs=(blob,)
    ) as pool:
        yield from pool.map(_scan_in_worker, *zip(*shards, strict=True))


class _SignatureSpill:
    """The release's MinHash signatures, shard after shard, in a local file read back a chunk
    at a time (``driver.SignatureFileWriter``/``SignatureFile``): at 1M records they are 512 MiB,
    which the gates otherwise held twice (the shards' blocks and their concatenation)."""

    def __init__(self, num_perm: int) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="pixel-gate-dedup-")
        self.work = Path(self._dir.name)
        self.writer = SignatureFileWriter(self.work / "signatures.u32", num_perm)

    def __enter__(self) -> _SignatureSpill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.writer.close()
        self._dir.cleanup()


def _duplicate_index(
    view: ReleaseView,
    ctx: GateContext,
    uids: list[str],
    splits: list[str],
    hashes: list[str],
    spill: _SignatureSpill,
    where: list[tuple[str, NDArray[np.int64]]],
) -> DuplicateIndex:
    """Exact groups and verified near-duplicate pairs by the dedup package's own definition
    (``curation.dedup.near``: LSH, then exact Jaccard), so "near" means here what dedup means.
    Past ``GATE_LSH_IN_MEMORY_MAX`` records (or dedup's ``in_memory_max_records``) the LSH
    buckets are grouped on disk."""
    signatures = spill.writer.finish()
    rows = signatures.shape[0]
    if not rows:
        empty = np.zeros(0, np.int64)
        return DuplicateIndex(uids, splits, hashes, empty, empty, np.zeros(0))

    def texts(docs: NDArray[np.int64]) -> Iterator[str]:
        """Dialogue texts of the records ``docs`` (ascending indices), read again."""
        wanted = docs.tolist()
        start = 0
        at = 0
        for path, lines in where:
            stop = start + len(lines)
            mine = []
            while at < len(wanted) and wanted[at] < stop:
                mine.append(int(lines[wanted[at] - start]))
                at += 1
            if mine:
                yield from _texts_at(view, path, mine)
            start = stop

    try:
        near = near_duplicates(
            signatures, np.arange(len(uids), dtype=np.int64), ctx.dedup, texts, spill.work,
            CandidateStats(),
            on_disk=rows > min(ctx.dedup.in_memory_max_records, GATE_LSH_IN_MEMORY_MAX),
        )  # fmt: skip
        near.shingles.close()
    finally:
        signatures.close()
    edges = near.edges
    return DuplicateIndex(uids, splits, hashes, edges.left, edges.right, edges.similarity)


def _texts_at(view: ReleaseView, path: str, lines: list[int]) -> Iterator[str]:
    wanted = iter(lines)
    target = next(wanted, None)
    with view.store.open_read(view.key(path)) as fh:
        for line_no, raw in enumerate(fh, 1):
            if target is None:
                return
            if line_no == target:
                yield dialogue_text(orjson.loads(raw))
                target = next(wanted, None)

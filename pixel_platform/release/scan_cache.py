"""The last build's shard scans for the gates, so a nightly build rescans only changed shards.

A ``ShardScan`` (``release.scan``) is a function of the shard's bytes, its path and split, the
scan's parts and the gate context, and the code. After a small sync most shards of a release are
byte for byte those of the last one (a shard holds one split and one curriculum stage; new
records of one family change only that stage's shards), so a build keeps each shard's scan in the
bucket and the next build reuses it when all of that is unchanged:

- Objects are named by a key over everything the scan depends on (``context_key``: parts, the
  context's registry/curriculum/licence/PII/dedup settings, the PII scanner's memo key and the
  hash of the package's source) and the shard's path and sha256. Change any of them and the
  entry is simply not found.
- The build looks an entry up by the sha256 its draft manifest records for the shard, then reads
  the shard and hashes it: the entry is used only when the bytes in staging have that digest, so
  the Hash gate still checks the files themselves. Anything else is scanned as before.
- The format is data, never code: one ``.npz`` per shard (``numpy.load(allow_pickle=False)``)
  holding the counts and examples as a JSON document (uids, shard paths and codes, no text, as
  in every gate result) and the numeric columns as arrays.
- Each build keeps the entries of its own shards and removes the others (best effort), so the
  cache stays the size of one release's scans. An entry that cannot be read counts as missing.

Only the release build uses the cache (``GateContext.scan_cache_prefix``); ``pixel-platform
verify`` and asset checks that recompute scan everything: they are the independent audit.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np
import orjson

from pixel_platform.release.bias_qa import BiasPartial
from pixel_platform.release.build_cache import BuildCache, code_hash
from pixel_platform.release.options import GateContext
from pixel_platform.release.scan import READ_CHUNK, EventLog, ShardScan
from pixel_platform.release.stats import RecordStats
from pixel_platform.storage.base import ObjectStore

log = logging.getLogger(__name__)

SCHEMA = "pixel-shard-scan/2"  # 2: the Bias/QA report's counts (``bias``)


def context_key(ctx: GateContext, parts: Iterable[str]) -> str:
    """What a shard's scan depends on besides the shard itself, hashed."""
    from pixel_platform.curation.pii import PiiConfig
    from pixel_platform.release.pii_memo import memo_key

    pii = PiiConfig(model=None, entities=ctx.pii_entities)
    document = {
        "schema": SCHEMA,
        "parts": sorted(parts),
        "registry": ctx.registry.source_hash,
        "curriculum": ctx.curriculum.as_dict(),
        "commercial": ctx.commercial,
        "dedup": ctx.dedup.to_dict(),
        "pii": memo_key(pii.entities, pii.score_threshold),
        "code": code_hash(),
    }
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


# -- ShardScan <-> data ----------------------------------------------------------------------------
def to_npz(scan: ShardScan) -> bytes:
    blob = bytearray()
    exports: dict[str, list[int]] = {}
    for path, (rows, data) in scan.exports.items():
        exports[path] = [rows, len(blob), len(blob) + len(data)]
        blob += data
    document = {
        "schema": SCHEMA,
        "path": scan.path,
        "split": scan.split,
        "sha256": scan.sha256,
        "size": scan.size,
        "lines": scan.lines,
        "parsed": scan.parsed,
        "families": scan.families,
        "family_split": scan.family_split,
        "family_table": scan.family_table,
        "logs": {
            gate: {"events": e.events, "counts": e.counts, "kept": e._kept}
            for gate, e in scan.logs.items()
        },
        "columns": scan.columns,
        "licences": scan.licences,
        "stats": scan.stats.to_state() if scan.stats is not None else None,
        "exports": exports,
        "turns": scan.turns,
        "uids": scan.uids,
        "hashes": scan.hashes,
        "record_lines": scan.record_lines,
        "signatures": scan.signatures is not None,
        "bias": scan.bias.to_state() if scan.bias is not None else None,
    }
    clean = np.concatenate(scan.clean_digests) if scan.clean_digests else None
    arrays: dict[str, Any] = {
        "document": np.frombuffer(orjson.dumps(document), np.uint8),
        "family_codes": np.asarray(scan.family_codes, np.int64),
        "cluster_keys": np.asarray(scan.cluster_keys, np.uint64),
        "exports_blob": np.frombuffer(bytes(blob), np.uint8),
    }
    if clean is not None:
        arrays["clean_digests"] = clean
    if scan.signatures is not None:
        arrays["signatures"] = scan.signatures
    out = io.BytesIO()
    np.savez(out, **arrays)
    return out.getvalue()


def from_npz(data: bytes) -> ShardScan:
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        doc = orjson.loads(arrays["document"].tobytes())
        if doc.get("schema") != SCHEMA:
            raise ValueError("not a shard scan of this schema")
        blob = arrays["exports_blob"].tobytes()
        logs: dict[str, EventLog] = {}
        for gate, entry in doc["logs"].items():
            event_log = EventLog(
                [(kind, example) for kind, example in entry["events"]],
                Counter(entry["counts"]),
            )
            event_log._kept = Counter(entry["kept"])
            logs[gate] = event_log
        return ShardScan(
            path=doc["path"],
            split=doc["split"],
            sha256=doc["sha256"],
            size=doc["size"],
            lines=doc["lines"],
            parsed=doc["parsed"],
            families=Counter(doc["families"]),
            family_split=Counter(doc["family_split"]),
            family_table=list(doc["family_table"]),
            family_codes=arrays["family_codes"].tolist(),
            cluster_keys=arrays["cluster_keys"].tolist(),
            logs=logs,
            columns={part: dict(columns) for part, columns in doc["columns"].items()},
            licences=Counter(doc["licences"]),
            stats=RecordStats.from_state(doc["stats"]) if doc["stats"] is not None else None,
            exports={p: (rows, blob[a:b]) for p, (rows, a, b) in doc["exports"].items()},
            turns=doc["turns"],
            # Nothing of a cached shard is scanned again: every turn counts as known.
            memo_hits=doc["turns"],
            clean_digests=[arrays["clean_digests"]] if "clean_digests" in arrays else [],
            uids=doc["uids"],
            hashes=doc["hashes"],
            record_lines=doc["record_lines"],
            signatures=arrays["signatures"] if doc["signatures"] else None,
            bias=BiasPartial.from_state(doc["bias"]) if doc.get("bias") is not None else None,
        )


# -- the cache -------------------------------------------------------------------------------------
class ScanCache(BuildCache):
    """Shard scans of one context (``key``) under ``prefix``: ``find`` and ``load`` before a
    scan, ``save`` after it, ``prune`` once the build has scanned every shard."""

    WHAT = "gate scan cache"
    SUFFIX = ".npz"

    def object_key(self, path: str, sha256: str) -> str:
        return self.entry_key(path, sha256)

    def find(self, path: str, sha256: str | None, shard_key: str) -> str | None:
        """The entry for ``path`` when one exists for ``sha256`` and the shard at ``shard_key``
        has exactly that digest; else None (the shard is scanned)."""
        if not sha256:
            return None
        key = self.object_key(path, sha256)
        try:
            if self.store.head(key) is None or _digest(self.store, shard_key) != sha256:
                return None
        except Exception as exc:  # a cache entry is an optimisation: unreadable means missing
            log.warning("gate scan cache entry %s unusable (%s)", key, type(exc).__name__)
            return None
        return key

    def load(self, key: str, path: str, sha256: str) -> ShardScan | None:
        """The scan in entry ``key`` (from ``find``), or None when it cannot be read."""
        try:
            scan = from_npz(self.store.read_bytes(key))
        except Exception as exc:
            log.warning("gate scan cache entry %s unreadable (%s)", key, type(exc).__name__)
            return None
        if scan.path != path or scan.sha256 != sha256:
            return None
        self.used.add(key)
        self.hits += 1
        return scan

    def save(self, scan: ShardScan) -> None:
        key = self.object_key(scan.path, scan.sha256)
        try:
            self.store.write_bytes(key, to_npz(scan))
            self.used.add(key)
        except Exception as exc:
            log.warning("could not write gate scan cache %s (%s)", key, type(exc).__name__)


def _digest(store: ObjectStore, key: str) -> str:
    digest = hashlib.sha256()
    with store.open_read(key) as fh:
        while chunk := fh.read(READ_CHUNK):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()

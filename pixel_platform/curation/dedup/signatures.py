"""Per-partition signature files: computed once per processed file, reused while it is unchanged.

One parquet object per input partition, under the caller's prefix::

    <signatures_prefix>/<uid_prefix>-<first 16 hex of the input's sha256>.parquet

with one row per record (``line``, ``content_hash`` as 32 raw bytes, ``family``, ``quality``,
``n_shingles``, ``signature`` as a fixed-size list of ``num_perm`` uint32) and, in the parquet
metadata under ``pixel.dedup``, the input's sha256 and the *scheme fingerprint* (shingling, hash
function, permutations: everything that determines the values). A file whose sha256 and
fingerprint both match is reused without reading the partition; anything else is recomputed and
replaced, and files left by older versions of the same partition are deleted.

The keeper rule's inputs (family, quality score) are stored too, so a run over unchanged partitions
never opens their JSONL: they are part of the processed file, which the sha256 pins.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from pixel_platform.core.errors import TerminalError
from pixel_platform.core.record import record_content_hash
from pixel_platform.curation.dedup.config import DedupConfig
from pixel_platform.curation.dedup.minhash import MinHasher
from pixel_platform.curation.dedup.text import dialogue_text
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.keys import join_key

METADATA_KEY = b"pixel.dedup"
ROW_GROUP_ROWS = 65_536


@dataclass(frozen=True)
class DedupInput:
    """One processed partition: its ``conversations.jsonl`` and that file's sha256."""

    uid_prefix: str  # e.g. "cptsd/gdrive__raw__cptsd"; record uids are f"{uid_prefix}:{line}"
    key: str
    sha256: str


@dataclass
class SignatureBatch:
    """Columns of some records of one partition, as numpy arrays."""

    line: NDArray[np.uint32]
    content_hash: NDArray[np.uint8]  # (n, 32)
    family: list[str]
    quality: NDArray[np.float64]
    n_shingles: NDArray[np.uint32]
    signature: NDArray[np.uint32]  # (n, num_perm)

    def __len__(self) -> int:
        return int(self.line.size)


def signature_key(prefix: str, inp: DedupInput) -> str:
    return join_key(prefix, f"{inp.uid_prefix}-{inp.sha256[:16]}.parquet")


def _schema(num_perm: int) -> pa.Schema:
    return pa.schema(
        [
            ("line", pa.uint32()),
            ("content_hash", pa.binary(32)),
            ("family", pa.dictionary(pa.int32(), pa.string())),
            ("quality", pa.float64()),
            ("n_shingles", pa.uint32()),
            ("signature", pa.list_(pa.uint32(), num_perm)),
        ]
    )


def _to_table(batch: SignatureBatch, schema: pa.Schema) -> pa.Table:
    n = len(batch)
    hashes = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(32), n, [None, pa.py_buffer(np.ascontiguousarray(batch.content_hash))]
    )
    family = pa.array(batch.family, pa.string()).dictionary_encode()
    signature = pa.FixedSizeListArray.from_arrays(
        pa.array(np.ascontiguousarray(batch.signature).reshape(-1)), batch.signature.shape[1]
    )
    columns = [
        pa.array(batch.line),
        hashes,
        family,
        pa.array(batch.quality),
        pa.array(batch.n_shingles),
        signature,
    ]
    return pa.Table.from_arrays(columns, schema=schema)


# -- computing -------------------------------------------------------------------------------------
def _quality(metadata: dict[str, Any]) -> float:
    quality = metadata.get("quality")
    score = quality.get("score") if isinstance(quality, dict) else None
    return float(score) if isinstance(score, int | float) and not isinstance(score, bool) else 0.0


def _hash_bytes(record: dict[str, Any]) -> bytes:
    value = (record.get("metadata") or {}).get("content_hash")
    if not (isinstance(value, str) and value.startswith("sha256:") and len(value) == 71):
        value = record_content_hash(record["messages"], record.get("metadata"))
    return bytes.fromhex(value[7:])


def _read_batches(
    store: ObjectStore, inp: DedupInput, hasher: MinHasher, batch_size: int
) -> Iterator[SignatureBatch]:
    lines: list[int] = []
    hashes: list[bytes] = []
    families: list[str] = []
    quality: list[float] = []
    texts: list[str] = []

    def flush() -> SignatureBatch:
        signature, n_shingles = hasher.signatures(texts)
        batch = SignatureBatch(
            line=np.array(lines, dtype=np.uint32),
            content_hash=np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(-1, 32),
            family=list(families),
            quality=np.array(quality, dtype=np.float64),
            n_shingles=n_shingles.astype(np.uint32),
            signature=signature,
        )
        for column in (lines, hashes, families, quality, texts):
            column.clear()
        return batch

    with store.open_read(inp.key) as fh:
        for line_no, raw in enumerate(fh, 1):
            try:
                record = orjson.loads(raw)
                metadata = record.get("metadata") or {}
                family = (metadata.get("provenance") or {}).get("family")
                hashes.append(_hash_bytes(record))
                texts.append(dialogue_text(record))
            except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
                raise TerminalError(
                    f"{store.uri(inp.key)} line {line_no} is not a processed conversation"
                    f" ({type(exc).__name__}); rebuild the processed partition {inp.uid_prefix}"
                ) from None
            lines.append(line_no)
            families.append(family if isinstance(family, str) else "")
            quality.append(_quality(metadata))
            if len(lines) >= batch_size:
                yield flush()
    if lines:
        yield flush()


def compute_signature_file(
    store: ObjectStore,
    inp: DedupInput,
    config: DedupConfig,
    hasher: MinHasher,
    local_path: Path,
    on_batch: Callable[[SignatureBatch], None] | None = None,
) -> int:
    """Hash every record of ``inp`` into ``local_path`` (and hand each batch to ``on_batch``);
    returns the number of records."""
    schema = _schema(config.num_perm).with_metadata(
        {
            METADATA_KEY: orjson.dumps(
                {
                    "scheme_fingerprint": config.scheme_fingerprint(),
                    "scheme": config.signature_scheme(),
                    "input_sha256": inp.sha256,
                    "input_key": inp.key,
                    "uid_prefix": inp.uid_prefix,
                }
            )
        }
    )
    records = 0
    pending: list[pa.Table] = []
    # Signatures are random numbers: compression would cost time and save nothing.
    with pq.ParquetWriter(local_path, schema, compression="none") as writer:
        for batch in _read_batches(store, inp, hasher, config.batch_size):
            if on_batch is not None:
                on_batch(batch)
            pending.append(_to_table(batch, schema))
            records += len(batch)
            if sum(t.num_rows for t in pending) >= ROW_GROUP_ROWS:
                writer.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP_ROWS)
                pending.clear()
        if pending:
            writer.write_table(pa.concat_tables(pending), row_group_size=ROW_GROUP_ROWS)
    return records


# -- reusing -------------------------------------------------------------------------------------
def file_matches(path: Path, inp: DedupInput, config: DedupConfig) -> bool:
    """Whether a downloaded signature file was made from this input under this scheme."""
    try:
        metadata = pq.read_schema(path).metadata or {}
        info = orjson.loads(metadata[METADATA_KEY])
    except (OSError, KeyError, pa.ArrowInvalid, orjson.JSONDecodeError):
        return False
    return bool(
        info.get("scheme_fingerprint") == config.scheme_fingerprint()
        and info.get("input_sha256") == inp.sha256
    )


def iter_signature_file(path: Path, num_perm: int) -> Iterator[SignatureBatch]:
    parquet = pq.ParquetFile(path)
    for rb in parquet.iter_batches(batch_size=ROW_GROUP_ROWS):
        n = rb.num_rows
        hashes = rb.column("content_hash")
        start = hashes.offset * 32
        family = rb.column("family")
        if isinstance(family, pa.DictionaryArray):
            names = family.dictionary.to_pylist()
            family_list = [names[i] for i in family.indices.to_numpy(zero_copy_only=False)]
        else:
            family_list = family.to_pylist()
        signature = rb.column("signature")
        values = signature.values.to_numpy(zero_copy_only=False)
        values = values[signature.offset * num_perm : (signature.offset + n) * num_perm]
        yield SignatureBatch(
            line=rb.column("line").to_numpy(zero_copy_only=False).astype(np.uint32),
            content_hash=np.frombuffer(hashes.buffers()[1], dtype=np.uint8)[
                start : start + n * 32
            ].reshape(n, 32),
            family=family_list,
            quality=rb.column("quality").to_numpy(zero_copy_only=False),
            n_shingles=rb.column("n_shingles").to_numpy(zero_copy_only=False).astype(np.uint32),
            signature=values.reshape(n, num_perm),
        )


def delete_stale(store: ObjectStore, prefix: str, inp: DedupInput, current_key: str) -> int:
    """Remove signature files of earlier versions of ``inp`` (same uid_prefix, other sha256)."""
    stem = join_key(prefix, inp.uid_prefix) + "-"
    pattern = re.compile(re.escape(stem) + r"[0-9a-f]{16}\.parquet")
    stale = [o.key for o in store.list(stem) if pattern.fullmatch(o.key) and o.key != current_key]
    for key in stale:
        store.delete(key)
    return len(stale)

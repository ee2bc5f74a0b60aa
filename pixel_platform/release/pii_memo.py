"""What the release PII gate has already scanned and found clean, so a build rescans only text
it has not seen.

The PII gate rescans every turn of a release; at ~1.7 ms a record it is most of a release build
(bench/results/scale.json). A nightly build after a small sync ships almost the same texts as the
last one, so the build's gate keeps a memo: the 128-bit BLAKE2b digests of the turns that a scan
with *these exact settings* found nothing in. A later build skips a turn only when its digest is
in the memo for the same settings; everything else is scanned as before.

- The memo's key hashes everything a scan's result depends on: the entities and the threshold,
  the source and data files of ``pixel_platform.curation.pii``, and the versions of
  presidio-analyzer and phonenumbers. Change any of them and the memo is a different object:
  the next build scans everything again.
- Only clean results are remembered. A turn with PII is scanned (and reported) every time.
- Each build writes the memo of its own release's clean turns (not a union with older ones), so
  it stays the size of one release: 16 bytes a turn.
- A memo that cannot be read (missing, truncated, foreign) counts as empty; writing it is best
  effort. Either way the gate's verdict is the same, only slower.

Only the release build uses the memo. ``pixel-platform verify`` and an asset check that has to
recompute (files differ from the manifest) scan every turn: they are the independent audit.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import metadata as importlib_metadata
from pathlib import Path

import numpy as np

from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.keys import join_key

log = logging.getLogger(__name__)

PII_MEMO_PREFIX = "exports/cache/pii_gate/"
DIGEST_BYTES = 16
_DTYPE = np.dtype(f"S{DIGEST_BYTES}")
_PII_PACKAGE = Path(__file__).resolve().parents[1] / "curation" / "pii"
_SCAN_LIBRARIES = ("presidio-analyzer", "phonenumbers")


def digests(texts: Sequence[str]) -> np.ndarray:
    """One fixed-width digest per text (numpy ``S16``)."""
    out = np.empty(len(texts), dtype=_DTYPE)
    for i, text in enumerate(texts):
        out[i] = hashlib.blake2b(
            text.encode("utf-8", "surrogatepass"), digest_size=DIGEST_BYTES
        ).digest()
    return out


def seen_in(known: np.ndarray, batch: np.ndarray) -> np.ndarray:
    """A boolean mask: which digests of ``batch`` are in ``known`` (sorted, unique)."""
    if not len(known) or not len(batch):
        return np.zeros(len(batch), dtype=bool)
    at = np.searchsorted(known, batch)
    at[at == len(known)] = 0
    mask: np.ndarray = known[at] == batch
    return mask


@lru_cache(maxsize=1)
def _scanner_code_hash() -> str:
    h = hashlib.sha256()
    for path in sorted(_PII_PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".yaml", ".yml", ".json", ".txt"):
            h.update(path.relative_to(_PII_PACKAGE).as_posix().encode())
            h.update(path.read_bytes())
    for name in _SCAN_LIBRARIES:
        try:
            h.update(f"{name}=={importlib_metadata.version(name)}".encode())
        except importlib_metadata.PackageNotFoundError:
            h.update(f"{name}==?".encode())
    return h.hexdigest()


def memo_key(entities: Iterable[str], score_threshold: float) -> str:
    """The name of the memo for a scan with these settings and this scanner code."""
    h = hashlib.sha256(_scanner_code_hash().encode())
    h.update(repr((sorted(entities), float(score_threshold))).encode())
    return h.hexdigest()[:32]


class ScanMemo:
    """The clean digests of the last build (``known``) and of this one (``clean``)."""

    def __init__(self, store: ObjectStore, prefix: str, key: str) -> None:
        self.store = store
        self.object_key = join_key(prefix, f"{key}.bin")
        self.known = self._load()
        self._clean: list[np.ndarray] = []
        self.hits = 0

    def _load(self) -> np.ndarray:
        try:
            if self.store.head(self.object_key) is None:
                return np.empty(0, dtype=_DTYPE)
            data = self.store.read_bytes(self.object_key)
        except Exception as exc:  # a memo is an optimisation: unreadable means scan everything
            log.warning(
                "PII gate memo %s unreadable (%s); scanning every turn",
                self.object_key,
                type(exc).__name__,
            )
            return np.empty(0, dtype=_DTYPE)
        if len(data) % DIGEST_BYTES:
            log.warning("PII gate memo %s is truncated; scanning every turn", self.object_key)
            return np.empty(0, dtype=_DTYPE)
        return np.frombuffer(data, dtype=_DTYPE)  # written sorted and unique

    def seen_clean(self, batch: np.ndarray) -> np.ndarray:
        """A boolean mask: which digests of ``batch`` the last build found clean."""
        mask = seen_in(self.known, batch)
        self.hits += int(mask.sum())
        return mask

    def add_clean(self, batch: np.ndarray) -> None:
        if len(batch):
            self._clean.append(batch)

    def save(self) -> int:
        """Write this build's clean digests (sorted, unique); returns how many."""
        clean = np.unique(np.concatenate(self._clean)) if self._clean else self.known[:0]
        try:
            self.store.write_bytes(self.object_key, clean.tobytes())
        except Exception as exc:
            log.warning(
                "could not write PII gate memo %s (%s); the next build scans every turn",
                self.object_key,
                type(exc).__name__,
            )
        return len(clean)

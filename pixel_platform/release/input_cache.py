"""What the last build made of each input partition, so a nightly re-reads only what changed.

Pass 1 of a build (``release.build``) reads every deduplicated partition, routes each record
(it ships, or is excluded with a reason), recomputes its content hash, labels it and writes it to
the spill file; it also counts the records' statistics. All of that is a function of the
partition's bytes and key, the registry, the curriculum, the commercial flag and the code, never
of the other partitions: the split is the one label that depends on the whole release, and it is
left as a placeholder (``SPLIT_PLACEHOLDER``) that pass 2 fills in from the split plan.

So a build keeps each partition's pass-1 result in the bucket (one object: the spill lines, then
one JSON line with the exclusions, counts and statistics), and the next build replays it for a
partition whose sha256 (from the dedup report) and size are unchanged, instead of parsing it
again. The records, their order and every count are the ones pass 1 would produce, so the
release's files are byte for byte those of a build without the cache (tests).

- Entries are named by ``context_key`` (what routing depends on besides the partition) and the
  partition's key and sha256. Change any of them and the entry is not found.
- The format is data: JSON lines, as the spill file itself. An entry that cannot be read or
  ends early counts as missing, and the spill file is cut back to where it was.
- Each build keeps the entries of its own inputs and removes the others (best effort).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO

import orjson

from pixel_platform.registry.model import Registry
from pixel_platform.release.build_cache import BuildCache, code_hash
from pixel_platform.release.curriculum import Curriculum
from pixel_platform.release.stats import RecordStats

log = logging.getLogger(__name__)

SCHEMA = "pixel-release-input/1"
# Pass 1 writes this as ``metadata.split``; pass 2 puts the planned split in its place. Its JSON
# form (quotes and escaped NULs included) occurs elsewhere in a record only for a string that is
# exactly the placeholder; such a record is labelled by parsing instead (``placeholder_at``).
SPLIT_PLACEHOLDER = "\x00pixel-split\x00"
PLACEHOLDER_JSON = orjson.dumps(SPLIT_PLACEHOLDER)


@dataclass
class Routed:
    """Pass 1's result for one input partition, apart from the spill lines themselves."""

    records: int = 0  # non-blank input lines
    released: int = 0  # spill lines written
    exclusions: list[dict[str, Any]] = field(default_factory=list)
    hash_repairs: int = 0
    stats: RecordStats = field(default_factory=RecordStats)  # every count but the split's
    # What the review book did with this partition's records: "<family>\t<applied|rejected|
    # stale>" -> records (review.book).
    reviewed: Counter[str] = field(default_factory=Counter)

    def document(self, key: str, sha256: str, size: int) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "key": key,
            "sha256": sha256,
            "size": size,
            "records": self.records,
            "released": self.released,
            "exclusions": self.exclusions,
            "hash_repairs": self.hash_repairs,
            "stats": self.stats.to_state(),
            "reviewed": dict(sorted(self.reviewed.items())),
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Routed:
        return cls(
            records=int(doc["records"]),
            released=int(doc["released"]),
            exclusions=list(doc["exclusions"]),
            hash_repairs=int(doc["hash_repairs"]),
            stats=RecordStats.from_state(doc["stats"]),
            reviewed=Counter(doc.get("reviewed") or {}),
        )


def placeholder_at(body: bytes) -> int:
    """Where the split placeholder is in a record's JSON: its byte offset, or -1 when the text
    itself holds the placeholder's characters too (the split is then set by parsing)."""
    at = body.find(PLACEHOLDER_JSON)
    return at if at >= 0 and body.find(PLACEHOLDER_JSON, at + 1) < 0 else -1


def fill_split(body: bytes, at: int, split: str) -> bytes:
    """The record JSON ``body`` with ``split`` in place of its placeholder (at byte ``at``,
    from ``placeholder_at``): the bytes ``orjson.dumps`` gives for the record so labelled."""
    if at < 0:
        record = orjson.loads(body)
        record["metadata"]["split"] = split
        return orjson.dumps(record)
    return body[:at] + orjson.dumps(split) + body[at + len(PLACEHOLDER_JSON) :]


def context_key(
    registry: Registry, curriculum: Curriculum, commercial: bool, review: str = ""
) -> str:
    """What pass 1 depends on besides a partition's bytes; ``review``: the review book's digest
    (a new decision re-routes every partition)."""
    document = {
        "schema": SCHEMA,
        "review": review,
        "registry": registry.source_hash,
        "curriculum": curriculum.as_dict(),
        "commercial": commercial,
        "code": code_hash(),
    }
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]


class InputCache(BuildCache):
    """Pass-1 results of one context (``key``) under ``prefix``."""

    WHAT = "release input cache"
    SUFFIX = ".jsonl"

    def object_key(self, input_key: str, sha256: str) -> str:
        return self.entry_key(input_key, sha256)

    def replay(self, input_key: str, sha256: str, size: int, spill: BinaryIO) -> Routed | None:
        """Append the cached spill lines of ``input_key`` to ``spill`` and return its result,
        or None (``spill`` as it was) when there is no usable entry."""
        key = self.object_key(input_key, sha256)
        start = spill.tell()
        copied = None
        try:
            if self.store.head(key) is None:
                return None
            copied = self._copy(key, spill)
        except Exception as exc:  # an entry is an optimisation: unreadable means missing
            log.warning("release input cache entry %s unreadable (%s)", key, type(exc).__name__)
        if copied is None or copied[1] != {"key": input_key, "sha256": sha256, "size": size,
                                             "released": copied[0]}:  # fmt: skip
            spill.seek(start)
            spill.truncate()
            return None
        self.used.add(key)
        self.hits += 1
        return Routed.from_document(copied[2])

    def _copy(self, key: str, spill: BinaryIO) -> tuple[int, dict[str, Any], dict[str, Any]] | None:
        """Copy the entry's spill lines; ``(lines copied, what the entry says it is of, its
        document)``, or None when it has no closing document of this schema."""
        lines = 0
        with self.store.open_read(key) as fh:
            for line in fh:
                if line.startswith(b"{"):  # the closing document: the entry is complete
                    doc = orjson.loads(line)
                    if doc.get("schema") != SCHEMA:
                        return None
                    of = {name: doc.get(name) for name in ("key", "sha256", "size", "released")}
                    return lines, of, doc
                spill.write(line)
                lines += 1
        return None

    @contextmanager
    def writer(
        self, input_key: str, sha256: str, size: int
    ) -> Iterator[tuple[Callable[[bytes], Any], Callable[[Routed], None]]]:
        """``(write_line, finish)``: spill lines go to a new entry, ``finish`` closes it with
        the partition's result. An entry that was not finished (an error) is discarded."""
        key = self.object_key(input_key, sha256)
        manager: AbstractContextManager[IO[bytes]] = self.store.open_write(key)
        out = manager.__enter__()
        done = False

        def finish(routed: Routed) -> None:
            nonlocal done
            out.write(orjson.dumps(routed.document(input_key, sha256, size)) + b"\n")
            done = True

        try:
            yield out.write, finish
        except BaseException as exc:
            manager.__exit__(type(exc), exc, exc.__traceback__)
            raise
        if done:
            manager.__exit__(None, None, None)
            self.used.add(key)
        else:
            error = RuntimeError("cache entry not finished")
            manager.__exit__(RuntimeError, error, None)

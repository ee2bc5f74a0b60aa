"""Who is building which release: build markers, version claims and stale-build detection.

An object store has no locks, so builds coordinate through small marker objects, one per build,
under ``exports/builds/<build-id>.json``::

    {"build_id": ..., "version": "v2026-11-22", "host": ..., "pid": ..., "started_at": ...,
     "heartbeat_at": ...}

* **Claiming a version**: a build picks the first version that is neither published nor claimed by
  a live build, writes its marker, then lists the markers again. It keeps the version only if its
  marker is the only live claim on it; otherwise it withdraws, waits a random moment and tries
  again. Two builds that claim together both withdraw (neither keeps a contested version), so two
  builds never publish into one folder. This needs read-after-write consistent listings, which AWS
  S3, Ceph (OVH) and SeaweedFS give.
* **Liveness** is judged on the wall clock (not a build's injectable clock, which only names
  versions): a marker from this host is dead when its process is gone; from another host, when
  its heartbeat (refreshed at every build stage) is older than ``stale_after_s``. Only dead builds'
  staging folders and unpublished version folders are removed, so a build never deletes the work of
  another build that is still running.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from pixel_platform.core.errors import TerminalError
from pixel_platform.release.layout import MANIFEST, key_in, prefix_of
from pixel_platform.release.publish import stored_paths
from pixel_platform.storage.base import ObjectStore

log = logging.getLogger(__name__)

DEFAULT_STALE_AFTER_S = 6 * 3600.0  # longer than any build stage between two heartbeats
CLAIM_ATTEMPTS = 20
MARKER_SUFFIX = ".json"


@dataclass(frozen=True)
class BuildMarker:
    build_id: str
    version: str
    host: str
    pid: int
    started_at: str
    heartbeat_at: str

    @classmethod
    def for_this_process(cls, build_id: str, version: str) -> BuildMarker:
        stamp = _utcnow().isoformat()
        return cls(build_id, version, socket.gethostname(), os.getpid(), stamp, stamp)

    def to_bytes(self) -> bytes:
        return orjson.dumps(asdict(self), option=orjson.OPT_SORT_KEYS) + b"\n"

    @classmethod
    def from_bytes(cls, data: bytes) -> BuildMarker | None:
        try:
            raw: Any = orjson.loads(data)
            return cls(
                build_id=str(raw["build_id"]),
                version=str(raw["version"]),
                host=str(raw["host"]),
                pid=int(raw["pid"]),
                started_at=str(raw["started_at"]),
                heartbeat_at=str(raw["heartbeat_at"]),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None

    def is_dead(self, now: datetime, stale_after_s: float) -> bool:
        """This host: the process is gone (or silent too long); elsewhere: silent too long."""
        try:
            beat = datetime.fromisoformat(self.heartbeat_at)
        except ValueError:
            return True
        silent = now - beat > timedelta(seconds=stale_after_s)
        if self.host == socket.gethostname():
            return silent or not _pid_alive(self.pid)
        return silent


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def marker_key(builds_prefix: str, build_id: str) -> str:
    return key_in(builds_prefix, build_id + MARKER_SUFFIX)


def read_markers(store: ObjectStore, builds_prefix: str) -> list[tuple[str, BuildMarker | None]]:
    """(key, marker) for every marker object; ``None`` for one that cannot be parsed."""
    found = []
    for info in store.list(builds_prefix):
        if info.key.endswith(MARKER_SUFFIX):
            try:
                data = store.read_bytes(info.key)
            except FileNotFoundError:  # finished between list and read
                continue
            found.append((info.key, BuildMarker.from_bytes(data)))
    return found


def live_markers(
    store: ObjectStore, builds_prefix: str, now: datetime, stale_after_s: float
) -> list[BuildMarker]:
    return [
        marker
        for _, marker in read_markers(store, builds_prefix)
        if marker is not None and not marker.is_dead(now, stale_after_s)
    ]


@dataclass
class BuildLease:
    """A claimed version and this build's marker; ``beat()`` refreshes, ``release()`` ends it."""

    store: ObjectStore
    builds_prefix: str
    marker: BuildMarker

    @property
    def key(self) -> str:
        return marker_key(self.builds_prefix, self.marker.build_id)

    def beat(self) -> None:
        self.marker = replace(self.marker, heartbeat_at=_utcnow().isoformat())
        self.store.write_bytes(self.key, self.marker.to_bytes())

    def release(self) -> None:
        self.store.delete(self.key)


def claim_version(
    store: ObjectStore,
    *,
    requested: str | None,
    build_id: str,
    now: datetime,
    releases_prefix: str,
    builds_prefix: str,
    stale_after_s: float = DEFAULT_STALE_AFTER_S,
    attempts: int = CLAIM_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> BuildLease:
    """Claim a version no other live build holds and none published; see the module docstring.

    ``requested`` pins the base name (``v<date of now>`` by default); a taken base gets ``-2``,
    ``-3``...
    """
    base = requested or f"v{now:%Y-%m-%d}"
    for attempt in range(attempts):
        others = [
            m
            for m in live_markers(store, builds_prefix, _utcnow(), stale_after_s)
            if m.build_id != build_id
        ]
        taken = _version_folders(store, releases_prefix) | {m.version for m in others}
        version = _first_free(base, taken)
        marker = BuildMarker.for_this_process(build_id, version)
        lease = BuildLease(store, builds_prefix, marker)
        store.write_bytes(lease.key, marker.to_bytes())
        rivals = [
            m
            for m in live_markers(store, builds_prefix, _utcnow(), stale_after_s)
            if m.version == version and m.build_id != build_id
        ]
        if not rivals:
            return lease
        log.info("version %s claimed by %d other build(s) at once; retrying", version, len(rivals))
        lease.release()
        sleep(random.uniform(0.05, 0.5) * (attempt + 1))
    raise TerminalError(
        f"could not claim a release version after {attempts} attempts: other builds kept claiming "
        f"the same one (markers under {store.uri(builds_prefix)})"
    )


def _version_folders(store: ObjectStore, releases_prefix: str) -> set[str]:
    """Version folders holding any file, hidden ones too: a copy killed mid-write leaves a
    local ``.tmp-*`` file that cleanup (which sees only listed objects) cannot remove, and a
    release published into that folder would carry it. Such a version is not reused."""
    paths = stored_paths(store, releases_prefix)
    return {path.split("/", 1)[0] for path in paths if "/" in path}


def _first_free(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def clean_abandoned(
    store: ObjectStore,
    *,
    staging_prefix: str,
    releases_prefix: str,
    builds_prefix: str,
    stale_after_s: float = DEFAULT_STALE_AFTER_S,
    now: datetime | None = None,
) -> dict[str, int]:
    """Remove what dead builds left behind, and nothing of a live build.

    * a dead build's marker, its staging folder and its version folder if that has no manifest;
    * staging folders and manifest-less version folders that no live build owns, once their
      newest object is older than ``stale_after_s`` (a build from before markers existed, or a
      cleanup that was itself killed). Age, not absence of a marker, decides here: a build that
      started a moment ago may have written its marker after this cleanup read the markers.
    """
    now = now or _utcnow()
    removed = {"staging_objects": 0, "partial_release_objects": 0, "dead_builds": 0}
    live: dict[str, BuildMarker] = {}
    dead_versions: set[str] = set()
    for key, marker in read_markers(store, builds_prefix):
        if marker is not None and not marker.is_dead(now, stale_after_s):
            live[marker.build_id] = marker
            continue
        who = f"{marker.build_id} (host {marker.host}, pid {marker.pid})" if marker else key
        log.warning("release build %s is dead; removing what it left", who)
        if marker is not None:
            removed["staging_objects"] += store.delete_prefix(
                prefix_of(staging_prefix, marker.build_id)
            )
            dead_versions.add(marker.version)
        store.delete(key)
        removed["dead_builds"] += 1

    def stale(modified: datetime) -> bool:
        return now - modified > timedelta(seconds=stale_after_s)

    for name, (_, modified) in _folder_index(store, staging_prefix).items():
        if name not in live and stale(modified):
            log.warning("removing staging folder %s that no live build owns", name)
            removed["staging_objects"] += store.delete_prefix(prefix_of(staging_prefix, name))

    claimed = {m.version for m in live.values()}
    for name, (paths, modified) in _folder_index(store, releases_prefix).items():
        if MANIFEST in paths or name in claimed:
            continue
        if name in dead_versions or stale(modified):
            log.warning("removing unpublished release folder %s (a killed build)", name)
            removed["partial_release_objects"] += store.delete_prefix(
                prefix_of(releases_prefix, name)
            )
    return removed


def _folder_index(store: ObjectStore, prefix: str) -> dict[str, tuple[set[str], datetime]]:
    """folder name -> (paths below it, newest last-modified), for folders directly under prefix."""
    index: dict[str, tuple[set[str], datetime]] = {}
    for info in store.list(prefix):
        rest = info.key[len(prefix) :]
        if "/" not in rest:
            continue
        name, path = rest.split("/", 1)
        paths, newest = index.get(name, (set(), info.last_modified))
        paths.add(path)
        index[name] = (paths, max(newest, info.last_modified))
    return index

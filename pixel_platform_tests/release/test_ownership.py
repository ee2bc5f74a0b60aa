"""Build markers: version claims, liveness, and cleanup that spares live builds."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pixel_platform.core.errors import TerminalError
from pixel_platform.registry.model import Registry
from pixel_platform.release import build_release, list_releases, read_latest
from pixel_platform.release.layout import BUILDS_PREFIX, RELEASES_PREFIX, STAGING_PREFIX
from pixel_platform.release.ownership import (
    BuildMarker,
    claim_version,
    clean_abandoned,
    marker_key,
    read_markers,
)
from pixel_platform.release.publish import write_latest
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.support import release_options
from pixel_platform_tests.release.synthetic import VERSION, write_inputs

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
PREFIXES = {
    "staging_prefix": STAGING_PREFIX,
    "releases_prefix": RELEASES_PREFIX,
    "builds_prefix": BUILDS_PREFIX,
}


def dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(proc.stdout)


def put_marker(store: LocalObjectStore, marker: BuildMarker) -> None:
    store.write_bytes(marker_key(BUILDS_PREFIX, marker.build_id), marker.to_bytes())


def marker(
    build_id: str,
    version: str,
    *,
    host: str | None = None,
    pid: int | None = None,
    beat: datetime | None = None,
) -> BuildMarker:
    mine = BuildMarker.for_this_process(build_id, version)
    stamp = (beat or datetime.now(UTC)).isoformat()
    return BuildMarker(build_id, version, host or mine.host, pid or mine.pid, stamp, stamp)


def claim(store: LocalObjectStore, build_id: str, **kwargs: object) -> str:
    lease = claim_version(
        store,
        requested=None,
        build_id=build_id,
        now=NOW,
        releases_prefix=RELEASES_PREFIX,
        builds_prefix=BUILDS_PREFIX,
        **kwargs,
    )  # type: ignore[arg-type]
    return lease.marker.version


def test_a_live_claim_pushes_the_next_build_to_the_next_version(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    assert claim(store, "a") == "v2026-11-22"
    assert claim(store, "b") == "v2026-11-22-2"
    store.write_bytes("exports/releases/v2026-11-22-3/manifest.json", b"{}")
    assert claim(store, "c") == "v2026-11-22-4"
    assert sorted(m.version for _, m in read_markers(store, BUILDS_PREFIX) if m) == [
        "v2026-11-22",
        "v2026-11-22-2",
        "v2026-11-22-4",
    ]


def test_a_version_folder_holding_a_killed_copys_temp_file_is_not_reused(
    tmp_path: Path,
) -> None:
    """Cleanup cannot remove a local ``.tmp-*`` file (the store never lists it); a release
    published into that folder would carry a file its manifest does not list."""
    empty = LocalObjectStore(tmp_path / "empty")
    (empty.root / "exports/releases/v2026-11-22/shards").mkdir(parents=True)
    assert claim(empty, "a") == "v2026-11-22", "an empty folder holds nothing"
    store = LocalObjectStore(tmp_path / "leftover")
    leftover = store.root / "exports/releases/v2026-11-22/shards/train/.tmp-abc123"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half a shard")
    assert list(store.list(RELEASES_PREFIX)) == []
    assert claim(store, "a") == "v2026-11-22-2"


def test_a_dead_claim_does_not_hold_its_version(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    put_marker(store, marker("gone", "v2026-11-22", pid=dead_pid()))
    put_marker(
        store,
        marker(
            "elsewhere",
            "v2026-11-22-2",
            host="other-pod",
            beat=datetime.now(UTC) - timedelta(hours=7),
        ),
    )
    assert claim(store, "a") == "v2026-11-22"
    assert claim(store, "b") == "v2026-11-22-2", "a stale heartbeat from another host is dead"


class RacingStore(LocalObjectStore):
    """A rival build writes its claim for the same version right after ours, ``times`` times."""

    def __init__(self, root: Path, times: int) -> None:
        super().__init__(root)
        self.times = times

    def write_bytes(self, key: str, data: bytes) -> None:
        super().write_bytes(key, data)
        ours = BuildMarker.from_bytes(data) if key.startswith(BUILDS_PREFIX) else None
        if ours is not None and ours.build_id == "a" and self.times > 0:
            self.times -= 1
            rival = marker(f"rival-{self.times}", ours.version)
            super().write_bytes(marker_key(BUILDS_PREFIX, rival.build_id), rival.to_bytes())


def test_two_builds_claiming_together_never_share_a_version(tmp_path: Path) -> None:
    store = RacingStore(tmp_path, times=1)
    sleeps: list[float] = []
    version = claim(store, "a", sleep=sleeps.append)
    # Both claimed v2026-11-22 at once: "a" withdrew and took the next free version.
    assert version == "v2026-11-22-2" and len(sleeps) == 1
    claims = [m.version for _, m in read_markers(store, BUILDS_PREFIX) if m]
    assert sorted(claims) == ["v2026-11-22", "v2026-11-22-2"]


def test_claiming_gives_up_after_its_attempts_with_a_clear_error(tmp_path: Path) -> None:
    store = RacingStore(tmp_path, times=100)
    with pytest.raises(TerminalError, match="could not claim a release version after 3"):
        claim(store, "a", attempts=3, sleep=lambda s: None)
    assert not [m for _, m in read_markers(store, BUILDS_PREFIX) if m and m.build_id == "a"]


def test_cleanup_removes_dead_builds_and_spares_live_ones(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    put_marker(store, marker("dead", "v2026-11-20", pid=dead_pid()))
    store.write_bytes("exports/staging/dead/shards/train/part-00000.jsonl", b"x")
    store.write_bytes("exports/releases/v2026-11-20/stats.json", b"{}")  # killed mid-publish
    put_marker(store, marker("live", "v2026-11-21"))
    store.write_bytes("exports/staging/live/manifest.json", b"{}")
    store.write_bytes("exports/releases/v2026-11-21/stats.json", b"{}")  # publishing right now
    store.write_bytes("exports/releases/v2026-11-19/manifest.json", b"{}")  # published
    store.write_bytes("exports/staging/unowned-new/x.json", b"{}")  # marker not yet read
    old = tmp_path / "exports/staging/unowned-old/x.json"
    store.write_bytes("exports/staging/unowned-old/x.json", b"{}")
    week_ago = (datetime.now(UTC) - timedelta(days=7)).timestamp()
    os.utime(old, (week_ago, week_ago))

    removed = clean_abandoned(store, **PREFIXES)

    assert removed == {"staging_objects": 2, "partial_release_objects": 1, "dead_builds": 1}
    keys = sorted(info.key for info in store.list(""))
    assert keys == [
        "exports/builds/live.json",
        "exports/releases/v2026-11-19/manifest.json",
        "exports/releases/v2026-11-21/stats.json",
        "exports/staging/live/manifest.json",
        "exports/staging/unowned-new/x.json",
    ]


def test_a_failed_build_removes_its_staging_and_marker(tmp_path: Path, registry: Registry) -> None:
    store = LocalObjectStore(tmp_path)
    inputs = write_inputs(store, registry)

    def fail(stage: str) -> None:
        if stage == "gated":
            raise RuntimeError("boom at gated")

    with pytest.raises(RuntimeError, match="boom at gated"):
        build_release(
            store,
            registry,
            inputs.inputs,
            inputs.accounting,
            inputs.snapshots,
            release_options(hook=fail),
        )
    for prefix in (STAGING_PREFIX, BUILDS_PREFIX, RELEASES_PREFIX):
        assert not list(store.list(prefix)), prefix


def test_latest_never_moves_backwards(tmp_path: Path, registry: Registry) -> None:
    store = LocalObjectStore(tmp_path)
    inputs = write_inputs(store, registry)
    write_latest(store, RELEASES_PREFIX, "v2099-01-01", "2099-01-01T00:00:00+00:00")
    result = build_release(
        store, registry, inputs.inputs, inputs.accounting, inputs.snapshots, release_options()
    )
    assert result.published and all(g.passed for g in result.gates)
    assert result.version == VERSION and not result.latest_moved
    assert list_releases(store) == [VERSION]
    assert read_latest(store) == "v2099-01-01"
    assert not list(store.list("final_dataset/"))

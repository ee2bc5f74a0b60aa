"""Run ``rclone copy`` from a configured remote into the bucket's raw prefix, then write the marker.

The marker (``gdrive/raw/_SYNC_COMPLETE.json`` by default) is the contract with the sensor: it is
written only after rclone exits 0, so a sensor that sees a new marker knows the copy is complete.
S3 credentials reach rclone through ``RCLONE_S3_*`` environment variables of its own process only —
never on its command line, where ``ps`` would show them.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from pixel_platform.core.errors import TerminalError, TransientError
from pixel_platform.pipeline import layout
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.settings import StorageSettings

log = logging.getLogger(__name__)

# rclone exit codes (rclone docs, "Exit Code"): 5 = temporary error, worth a retry.
RCLONE_TRANSIENT_EXIT_CODES = {5}


@dataclass(frozen=True)
class SyncSpec:
    source: str  # an rclone path: "gdrive:datasets", or a local directory
    dest_prefix: str = "gdrive/raw/"
    marker_key: str = layout.SYNC_MARKER_KEY
    transfers: int = 2
    timeout_s: float = 6 * 3600
    extra_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class SyncResult:
    source: str
    destination: str
    returncode: int
    seconds: float
    last_stats: str
    marker_key: str | None


def rclone_destination(settings: StorageSettings, prefix: str) -> tuple[str, dict[str, str]]:
    """The rclone path for ``prefix`` in the configured store and the env vars that configure it."""
    prefix = prefix.strip("/")
    if settings.backend == "local":
        target = settings.local_path.resolve() / prefix
        target.mkdir(parents=True, exist_ok=True)
        return str(target), {}
    env = {
        "RCLONE_S3_PROVIDER": "Other",
        "RCLONE_S3_ENV_AUTH": "false",
        "RCLONE_S3_FORCE_PATH_STYLE": "true",
    }
    if settings.endpoint_url:
        env["RCLONE_S3_ENDPOINT"] = settings.endpoint_url
    if settings.region:
        env["RCLONE_S3_REGION"] = settings.region
    if settings.access_key:
        env["RCLONE_S3_ACCESS_KEY_ID"] = settings.access_key
    if settings.secret_key:
        env["RCLONE_S3_SECRET_ACCESS_KEY"] = settings.secret_key
    return f":s3:{settings.bucket}/{prefix}", env


def _rclone_env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    # Debian's rclone 1.60 fails with LoadCustomCABundleError when AWS_CA_BUNDLE is set.
    env.pop("AWS_CA_BUNDLE", None)
    env.update(extra)
    return env


def run_rclone_copy(
    spec: SyncSpec,
    settings: StorageSettings,
    *,
    on_line: Callable[[str], None] | None = None,
    rclone_bin: str = "rclone",
) -> SyncResult:
    if shutil.which(rclone_bin) is None:
        raise TerminalError(
            f"{rclone_bin!r} not found on PATH; install Debian's package: apt-get install rclone"
        )
    destination, extra_env = rclone_destination(settings, spec.dest_prefix)
    cmd = [
        rclone_bin, "copy", spec.source, destination,
        "--transfers", str(spec.transfers),
        "--stats", "10s", "--stats-one-line", "--stats-log-level", "NOTICE",
        *spec.extra_args,
    ]  # fmt: skip
    started = time.monotonic()
    tail: deque[str] = deque(maxlen=20)
    last_stats = ""
    with subprocess.Popen(
        cmd,
        env=_rclone_env(extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip()
            tail.append(line)
            if "Transferred:" in line:
                last_stats = line
            if on_line is not None:
                on_line(line)
            if time.monotonic() - started > spec.timeout_s:
                proc.kill()
                raise TransientError(f"rclone copy exceeded {spec.timeout_s:.0f}s and was killed")
        returncode = proc.wait()
    seconds = time.monotonic() - started
    if returncode != 0:
        message = (
            f"rclone copy {spec.source} -> {spec.dest_prefix} failed with exit code {returncode};"
            " last output:\n" + "\n".join(tail)
        )
        if returncode in RCLONE_TRANSIENT_EXIT_CODES:
            raise TransientError(message)
        raise TerminalError(message)
    return SyncResult(spec.source, destination, returncode, seconds, last_stats, None)


def write_sync_marker(
    store: ObjectStore, spec: SyncSpec, result: SyncResult, *, run_id: str | None = None
) -> str:
    """Write the marker the sensor watches. Its content is informational; its ETag is the signal."""
    body = {
        "finished_at": datetime.now(UTC).isoformat(),
        "source": spec.source,
        "dest_prefix": spec.dest_prefix,
        "seconds": round(result.seconds, 3),
        "rclone_stats": result.last_stats,
        "run_id": run_id,
    }
    store.write_bytes(spec.marker_key, orjson.dumps(body, option=orjson.OPT_INDENT_2))
    log.info("sync marker written: %s", store.uri(spec.marker_key))
    return spec.marker_key


def sync(
    store: ObjectStore,
    settings: StorageSettings,
    spec: SyncSpec,
    *,
    on_line: Callable[[str], None] | None = None,
    run_id: str | None = None,
) -> SyncResult:
    result = run_rclone_copy(spec, settings, on_line=on_line)
    marker = write_sync_marker(store, spec, result, run_id=run_id)
    return SyncResult(
        result.source,
        result.destination,
        result.returncode,
        result.seconds,
        result.last_stats,
        marker,
    )

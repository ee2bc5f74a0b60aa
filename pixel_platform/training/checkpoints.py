"""Where a run's checkpoints live, and what "finished" means for a stage and for a run.

Layout under ``<output_root>/<run_name>/`` (``output_root`` is a local directory or an
``s3://`` prefix, e.g. ``s3://pixelated-checkpoints``)::

    run.json                      what this run trains: release version + manifest sha256,
                                  base model, config fingerprint (a different run is refused)
    metrics.jsonl                 every logged metric, one JSON object per line
    <stage>/checkpoint-<step>/    Trainer checkpoints, for resuming inside a stage
    <stage>/final/                the model (and tokenizer) after the stage
    <stage>/_COMPLETE.json        written last: the stage is done and is skipped on a rerun
    final_model/                  the model after the last stage
    _RUN_COMPLETE.json            written last of all: stages and the final model's files

With an ``s3://`` root the trainer works in a local mirror (``work_dir/checkpoints/<run>``):
``pull`` fetches what resuming needs, ``push`` uploads a stage or a checkpoint after it is
written (``trainer_state.json`` last, so a half-uploaded checkpoint is never taken for a whole
one), and a stage's marker goes up only after its files.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from pixel_platform.core.errors import ConfigError, TerminalError
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.keys import join_key
from pixel_platform.storage.locations import is_remote

RUN_FILE = "run.json"
STAGE_MARKER = "_COMPLETE.json"
RUN_MARKER = "_RUN_COMPLETE.json"
FINAL = "final"
FINAL_MODEL = "final_model"
CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
LAST_FILES = ("trainer_state.json",)  # uploaded last within a checkpoint
IDENTITY_KEYS = ("release_version", "manifest_sha256", "base_model", "config_fingerprint")


class CheckpointMissingError(TerminalError):
    """A job reported success but the checkpoints it should have written are not there."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"


def list_files(root: Path) -> list[dict[str, Any]]:
    return [
        {"path": p.relative_to(root).as_posix(), "bytes": p.stat().st_size}
        for p in sorted(root.rglob("*"))
        if p.is_file()
    ]


class RunCheckpoints:
    def __init__(self, local_root: Path, remote: tuple[ObjectStore, str] | None = None) -> None:
        self.local_root = Path(local_root)
        self.remote = remote
        self.local_root.mkdir(parents=True, exist_ok=True)

    @classmethod
    def for_run(
        cls, output_root: str, run_name: str, work_dir: str | Path, store: ObjectStore | None = None
    ) -> RunCheckpoints:
        if is_remote(output_root):
            from pixel_platform.training.release_input import store_for

            remote_store, prefix = store_for(output_root)
            remote = (
                store or remote_store,
                join_key(prefix, run_name) + "/" if prefix else run_name + "/",
            )
            return cls(Path(work_dir) / "checkpoints" / run_name, remote)
        return cls(Path(output_root) / run_name)

    @property
    def uri(self) -> str:
        if self.remote is None:
            return str(self.local_root)
        store, prefix = self.remote
        return store.uri(prefix)

    # -- layout --------------------------------------------------------------------------------
    def stage_dir(self, stage: str) -> Path:
        return self.local_root / stage

    def final_dir(self, stage: str) -> Path:
        return self.stage_dir(stage) / FINAL

    def completed(self, stage: str) -> dict[str, Any] | None:
        marker = self.stage_dir(stage) / STAGE_MARKER
        return orjson.loads(marker.read_bytes()) if marker.is_file() else None

    def checkpoints(self, stage: str) -> list[Path]:
        """Whole checkpoints of a stage (with trainer_state.json), oldest first."""
        root = self.stage_dir(stage)
        found = []
        if root.is_dir():
            for child in root.iterdir():
                match = CHECKPOINT.match(child.name)
                if match and (child / "trainer_state.json").is_file():
                    found.append((int(match.group(1)), child))
        return [p for _, p in sorted(found)]

    def latest_checkpoint(self, stage: str) -> Path | None:
        found = self.checkpoints(stage)
        return found[-1] if found else None

    # -- identity ------------------------------------------------------------------------------
    def claim(self, identity: dict[str, Any]) -> dict[str, Any]:
        """Write run.json, or check that the existing one describes the same run."""
        path = self.local_root / RUN_FILE
        if path.is_file():
            existing = orjson.loads(path.read_bytes())
            differs = [k for k in IDENTITY_KEYS if existing.get(k) != identity.get(k)]
            if differs:
                raise ConfigError(
                    f"{self.uri} already holds a run with a different {', '.join(differs)}; "
                    "resume only with the same release and settings, or set another run_name"
                )
            return dict(existing)
        data = {**identity, "created_at": _now()}
        path.write_bytes(_json(data))
        self.push_file(RUN_FILE)
        return data

    # -- stage completion ------------------------------------------------------------------------
    def mark_complete(self, stage: str, info: dict[str, Any]) -> None:
        """Drop the stage's intermediate checkpoints, upload ``final/``, then the marker."""
        for checkpoint in self.checkpoints(stage):
            shutil.rmtree(checkpoint)
        for child in self.stage_dir(stage).glob("checkpoint-*"):
            shutil.rmtree(child, ignore_errors=True)  # partial ones too
        marker = {
            "stage": stage,
            "completed_at": _now(),
            **info,
            "files": list_files(self.final_dir(stage)),
        }
        self.push_dir(f"{stage}/{FINAL}")
        self._delete_remote_checkpoints(stage, keep=())
        (self.stage_dir(stage) / STAGE_MARKER).write_bytes(_json(marker))
        self.push_file(f"{stage}/{STAGE_MARKER}")

    def finish(self, last_stage: str, stages: list[str], info: dict[str, Any]) -> dict[str, Any]:
        target = self.local_root / FINAL_MODEL
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(self.final_dir(last_stage), target)
        self.push_dir(FINAL_MODEL)
        doc = {
            "completed_at": _now(),
            "stages": stages,
            "final_stage": last_stage,
            **info,
            "final_model": [
                {"path": f"{FINAL_MODEL}/{f['path']}", "bytes": f["bytes"]}
                for f in list_files(target)
            ],
        }
        (self.local_root / RUN_MARKER).write_bytes(_json(doc))
        self.push_file(RUN_MARKER)
        return doc

    # -- remote mirror -----------------------------------------------------------------------------
    def _key(self, rel: str) -> str:
        assert self.remote is not None
        return join_key(self.remote[1], rel)

    def push_file(self, rel: str) -> None:
        if self.remote is None:
            return
        self.remote[0].upload_file(self.local_root / rel, self._key(rel))

    def push_dir(self, rel: str) -> None:
        """Upload files under ``rel`` whose remote copy is missing or differs in size."""
        if self.remote is None:
            return
        store, _ = self.remote
        root = self.local_root / rel
        files = [p for p in sorted(root.rglob("*")) if p.is_file()]
        files.sort(key=lambda p: p.name in LAST_FILES)
        for path in files:
            key = self._key(path.relative_to(self.local_root).as_posix())
            info = store.head(key)
            if info is None or info.size != path.stat().st_size:
                store.upload_file(path, key)

    def push_checkpoint(self, stage: str, checkpoint: Path) -> None:
        """Upload a new checkpoint and remove remote ones the Trainer rotated away locally."""
        if self.remote is None:
            return
        self.push_dir(f"{stage}/{checkpoint.name}")
        self._delete_remote_checkpoints(stage, keep=[p.name for p in self.checkpoints(stage)])

    def _delete_remote_checkpoints(self, stage: str, keep: Iterable[str]) -> None:
        if self.remote is None:
            return
        store, _ = self.remote
        keep = set(keep)
        prefix = self._key(stage) + "/"
        for info in list(store.list(prefix)):
            name = info.key[len(prefix) :].split("/", 1)[0]
            if CHECKPOINT.match(name) and name not in keep:
                store.delete(info.key)

    def push_metrics(self, rel: str) -> None:
        if (self.local_root / rel).is_file():
            self.push_file(rel)

    def pull(self, stages: list[str], metrics_file: str) -> None:
        """Fetch what resuming needs: run.json, metrics, stage markers, the latest checkpoint of
        the first unfinished stage and the final model of the stage before it."""
        if self.remote is None:
            return
        store, prefix = self.remote
        remote = {info.key[len(prefix) :]: info for info in store.list(prefix)}
        wanted = {RUN_FILE, metrics_file, RUN_MARKER}
        wanted |= {f"{s}/{STAGE_MARKER}" for s in stages}
        done = [s for s in stages if f"{s}/{STAGE_MARKER}" in remote]
        pending = next((s for s in stages if s not in done), None)
        previous = None
        for stage in stages:
            if stage == pending:
                break
            previous = stage
        if previous is not None:
            wanted |= {r for r in remote if r.startswith(f"{previous}/{FINAL}/")}
        if pending is not None:
            numbered = {}
            for rel in remote:
                head, _, rest = rel.partition("/")
                if head != pending:
                    continue
                name = rest.split("/", 1)[0]
                match = CHECKPOINT.match(name)
                if match and rel.endswith("/trainer_state.json"):
                    numbered[int(match.group(1))] = name
            if numbered:
                latest = numbered[max(numbered)]
                wanted |= {r for r in remote if r.startswith(f"{pending}/{latest}/")}
        for rel in sorted(wanted):
            info = remote.get(rel)
            if info is None:
                continue
            local = self.local_root / rel
            if local.is_file() and local.stat().st_size == info.size:
                continue
            local.parent.mkdir(parents=True, exist_ok=True)
            tmp = local.with_name(f".{local.name}.{os.getpid()}.part")  # ranks pull concurrently
            with store.open_read(info.key) as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
            tmp.replace(local)


def verify_run_checkpoints(store: ObjectStore, run_prefix: str) -> dict[str, Any]:
    """Check a finished run's checkpoint objects: the run marker and every file it lists.

    Raises ``CheckpointMissingError`` naming what is missing; returns the marker."""
    prefix = run_prefix if not run_prefix or run_prefix.endswith("/") else run_prefix + "/"
    marker_key = join_key(prefix, RUN_MARKER) if prefix else RUN_MARKER
    if store.head(marker_key) is None:
        raise CheckpointMissingError(
            f"the job finished but {store.uri(marker_key)} does not exist: the run did not "
            "complete its last stage or its checkpoints were not synced to the checkpoint store"
        )
    marker: dict[str, Any] = orjson.loads(store.read_bytes(marker_key))
    missing = []
    expected = [(f["path"], f["bytes"]) for f in marker.get("final_model") or []]
    expected += [(f"{s}/{STAGE_MARKER}", None) for s in marker.get("stages") or []]
    if not marker.get("final_model"):
        missing.append(f"{FINAL_MODEL}/ (no files listed)")
    for rel, size in expected:
        info = store.head(join_key(prefix, rel) if prefix else rel)
        if info is None or (size is not None and info.size != size):
            missing.append(rel)
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise CheckpointMissingError(
            f"the job finished but checkpoint objects under {store.uri(prefix)} are missing or "
            f"incomplete: {shown}"
        )
    return marker

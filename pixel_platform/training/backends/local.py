"""The embedded backend: the same training entry point as a local subprocess.

Each job has a folder ``<state_dir>/jobs/<job-id>/`` with the spec, the command, ``output.log``
(the trainer's stdout and stderr), ``runner.pid`` and, once the trainer exits, ``exit.json``. A
small runner process (``_runner``) owns the trainer and records its exit code, so ``status`` works
from any process, not just the one that submitted the job. States: RUNNING while the runner lives,
then DONE (exit 0) or FAILED; INTERRUPTING/INTERRUPTED after ``cancel`` (SIGTERM to the job's
process group); ERROR when the runner vanished without recording an exit code.

The release is read from the local data store (``store_root``) at the spec's release prefix and
checkpoints go to ``checkpoint_root`` + the spec's checkpoint prefix, so the checkpoint check after
DONE is the same as on OVH.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.storage.locations import is_remote
from pixel_platform.training.backends.base import JobNotFoundError, JobState, TrainingBackend
from pixel_platform.training.launch import TRAIN_MODULE
from pixel_platform.training.paths import local_training_dirs
from pixel_platform.training.spec import TrainingJobSpec


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purposes
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class LocalBackend(TrainingBackend):
    name = "local"

    def __init__(
        self,
        store_root: str | Path,
        checkpoint_root: str | Path,
        state_dir: str | Path | None = None,
        *,
        extra_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        python: str = sys.executable,
    ) -> None:
        self.store_root = str(store_root)  # a directory, or s3://bucket for a remote data store
        self.checkpoint_root = Path(checkpoint_root)
        self.state_dir = Path(state_dir or local_training_dirs().state_dir)
        self.extra_args = list(extra_args)
        self.env = dict(env or {})
        self.python = python
        self.checkpoint_store = LocalObjectStore(self.checkpoint_root)
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

    def job_dir(self, job_id: str) -> Path:
        path = self.state_dir / "jobs" / job_id
        if not (path / "spec.yaml").is_file():
            raise JobNotFoundError(f"no local training job {job_id!r} under {self.state_dir}")
        return path

    def command(self, spec: TrainingJobSpec) -> list[str]:
        release = (
            f"{self.store_root.rstrip('/')}/{spec.release_volume.prefix}"
            if is_remote(self.store_root)
            else str(Path(self.store_root) / spec.release_volume.prefix)
        )
        output_root = self.checkpoint_root / spec.checkpoint_volume.prefix
        gpus = spec.resources.gpus if spec.resources.gpus > 1 else None
        args = spec.train_args(release, str(output_root), str(self.state_dir / "work"), gpus=gpus)
        return [self.python, "-m", TRAIN_MODULE, *args, *self.extra_args]

    def submit(self, spec: TrainingJobSpec) -> str:
        job_id = f"local-{uuid.uuid4().hex[:12]}"
        job_dir = self.state_dir / "jobs" / job_id
        job_dir.mkdir(parents=True)
        command = self.command(spec)
        (job_dir / "spec.yaml").write_text(spec.to_yaml())
        (job_dir / "command.json").write_text(json.dumps(command))
        env = {**os.environ, **spec.env, **self.env}
        proc = subprocess.Popen(
            [
                self.python,
                "-m",
                "pixel_platform.training.backends._runner",
                str(job_dir),
                "--",
                *command,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # its own process group: cancel stops the trainer too
        )
        (job_dir / "runner.pid").write_text(str(proc.pid))
        self._procs[job_id] = proc
        return job_id

    def _runner_alive(self, job_id: str, job_dir: Path) -> bool:
        proc = self._procs.get(job_id)
        if proc is not None:
            return proc.poll() is None
        return _alive(int((job_dir / "runner.pid").read_text()))

    def status(self, job_id: str) -> JobState:
        job_dir = self.job_dir(job_id)
        cancelled = (job_dir / "cancelled").exists()
        exit_file = job_dir / "exit.json"
        if exit_file.is_file():
            code = json.loads(exit_file.read_text())["returncode"]
            if code == 0:
                return JobState.DONE
            return JobState.INTERRUPTED if cancelled else JobState.FAILED
        if self._runner_alive(job_id, job_dir):
            return JobState.INTERRUPTING if cancelled else JobState.RUNNING
        return JobState.INTERRUPTED if cancelled else JobState.ERROR

    def detail(self, job_id: str) -> str:
        exit_file = self.job_dir(job_id) / "exit.json"
        if exit_file.is_file():
            return f"exit code {json.loads(exit_file.read_text())['returncode']}"
        return ""

    def logs(self, job_id: str) -> Iterator[str]:
        path = self.job_dir(job_id) / "output.log"
        if path.is_file():
            yield from path.read_text(errors="replace").splitlines()

    def cancel(self, job_id: str, grace_s: float = 10.0) -> None:
        job_dir = self.job_dir(job_id)
        if (job_dir / "exit.json").is_file():
            return
        (job_dir / "cancelled").touch()
        pgid = int((job_dir / "runner.pid").read_text())
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and self._runner_alive(job_id, job_dir):
            time.sleep(0.1)
        if self._runner_alive(job_id, job_dir):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            # SIGKILL is delivered asynchronously: return only once the runner is gone, so the
            # status a caller reads next is INTERRUPTED, not INTERRUPTING.
            deadline = time.monotonic() + grace_s
            while time.monotonic() < deadline and self._runner_alive(job_id, job_dir):
                time.sleep(0.05)

    def run_prefix(self, job_id: str) -> str:
        spec = TrainingJobSpec.from_yaml((self.job_dir(job_id) / "spec.yaml").read_text())
        return spec.checkpoint_run_prefix()

"""The training-backend interface, the job states, and ``wait`` (shared by every backend).

``wait`` polls the state, hands new log lines to ``on_log``, and when the job is DONE checks that
the run's checkpoint objects exist (``_RUN_COMPLETE.json`` and every file it lists) before
reporting success. If the caller fails or is cancelled while waiting (an exception from
``on_log``, KeyboardInterrupt, a Dagster run termination, the ``cancel`` event) the job is killed:
nobody would be left to collect its result. A transient error talking to the backend is not a
reason to kill a healthy job; it is re-raised and the job keeps running.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pixel_platform.core.errors import TerminalError, TransientError
from pixel_platform.storage.base import ObjectStore
from pixel_platform.training.checkpoints import verify_run_checkpoints
from pixel_platform.training.spec import TrainingJobSpec

log = logging.getLogger(__name__)


class JobState(StrEnum):
    QUEUED = "QUEUED"
    INITIALIZING = "INITIALIZING"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    INTERRUPTING = "INTERRUPTING"
    FINALIZING = "FINALIZING"
    DONE = "DONE"
    FAILED = "FAILED"
    ERROR = "ERROR"
    INTERRUPTED = "INTERRUPTED"
    TIMEOUT = "TIMEOUT"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset(
    {JobState.DONE, JobState.FAILED, JobState.ERROR, JobState.INTERRUPTED, JobState.TIMEOUT}
)


# A log line that says what went wrong: "ModuleNotFoundError: …", "error: torch is not installed".
_CAUSE = re.compile(r"(?:^|\s)(?:[A-Z]\w*(?:Error|Exception|Exit)\b|error:|fatal:)", re.IGNORECASE)
TAIL_LINES = 20
_TAIL_LINE_CHARS = 300


class TrainingJobFailed(TerminalError):
    """The job ended in FAILED, ERROR, INTERRUPTED or TIMEOUT. The message carries the cause (the
    last log line that names an error) and the job's last log lines (training logs hold losses,
    steps and tracebacks, never records)."""

    def __init__(
        self, job_id: str, state: JobState, detail: str = "", log_tail: list[str] | None = None
    ) -> None:
        self.job_id = job_id
        self.state = state
        self.log_tail = [line[:_TAIL_LINE_CHARS] for line in (log_tail or [])[-TAIL_LINES:]]
        self.cause = next((line.strip() for line in reversed(self.log_tail)
                           if _CAUSE.search(line)), "")  # fmt: skip
        message = f"training job {job_id} ended {state.value}{f': {detail}' if detail else ''}"
        if self.cause:
            message += f"\ncause: {self.cause}"
        if self.log_tail:
            message += "\nlast log lines:\n" + "\n".join(f"  {line}" for line in self.log_tail)
        super().__init__(message)


class TrainingCancelled(TerminalError):
    """The caller cancelled the wait; the job was killed."""


class JobNotFoundError(TerminalError):
    """The backend knows no job with this id."""


@dataclass(frozen=True)
class JobOutcome:
    job_id: str
    state: JobState
    checkpoints: dict[str, Any]  # the run's _RUN_COMPLETE.json
    log_lines: int
    waited_s: float


class TrainingBackend(ABC):
    name: str
    checkpoint_store: ObjectStore | None

    @abstractmethod
    def submit(self, spec: TrainingJobSpec) -> str:
        """Start a job for the spec; returns its id."""

    @abstractmethod
    def status(self, job_id: str) -> JobState:
        """The job's current state."""

    @abstractmethod
    def logs(self, job_id: str) -> Iterator[str]:
        """Every log line of the job so far, oldest first."""

    @abstractmethod
    def cancel(self, job_id: str) -> None:
        """Stop the job (no error when it already ended)."""

    @abstractmethod
    def run_prefix(self, job_id: str) -> str:
        """Where the job's run lands in ``checkpoint_store``."""

    def detail(self, job_id: str) -> str:
        """A short reason for a failed state, when the backend has one."""
        return ""

    def verify_checkpoints(self, job_id: str) -> dict[str, Any]:
        if self.checkpoint_store is None:
            raise TerminalError(
                f"backend {self.name} has no checkpoint store to verify job {job_id} against"
            )
        return verify_run_checkpoints(self.checkpoint_store, self.run_prefix(job_id))

    def wait(
        self,
        job_id: str,
        poll_interval: float = 30.0,
        on_log: Callable[[str], None] | None = None,
        *,
        cancel: threading.Event | None = None,
        timeout_s: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> JobOutcome:
        """Wait for the job to end; see the module docstring. Raises ``TrainingJobFailed``,
        ``CheckpointMissingError`` or ``TrainingCancelled``."""
        started = time.monotonic()
        seen = 0
        state = JobState.QUEUED
        try:
            while True:
                state = self.status(job_id)
                lines = list(self.logs(job_id))
                for line in lines[seen:]:
                    if on_log is not None:
                        on_log(line)
                seen = max(seen, len(lines))
                if state.terminal:
                    break
                if cancel is not None and cancel.is_set():
                    raise TrainingCancelled(f"waiting for job {job_id} was cancelled; job killed")
                if timeout_s is not None and time.monotonic() - started > timeout_s:
                    raise TrainingCancelled(
                        f"job {job_id} still {state.value} after {timeout_s:.0f}s; job killed"
                    )
                sleep(poll_interval)
        except TransientError:
            raise  # the backend was unreachable after bounded retries: the job may be fine
        except BaseException:
            log.warning("killing training job %s: the waiting caller stopped", job_id)
            try:
                self.cancel(job_id)
            except Exception as exc:  # the original error matters more
                log.error("could not kill job %s: %s", job_id, type(exc).__name__)
            raise
        if state is not JobState.DONE:
            raise TrainingJobFailed(job_id, state, self.detail(job_id), list(self.logs(job_id)))
        checkpoints = self.verify_checkpoints(job_id)
        return JobOutcome(job_id, state, checkpoints, seen, time.monotonic() - started)

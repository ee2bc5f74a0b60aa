"""``pixel-platform run`` stops within seconds on SIGINT or SIGTERM, and leaves nothing held.

Dagster executes in-process steps with interrupts *captured*: a signal sets a flag that the
executor reads between steps, and a step in its compute function is interrupted. A run waiting
for a concurrency slot never reads it, which made an interrupted ``run`` hang. ``StopOnSignal``
therefore watches from a thread: once a signal arrived (ours or the flag Dagster captured), the
main thread has ``grace_s`` seconds to unwind (the normal path: the run is canceled, the CLI
returns 130); after that the watcher cancels the runs this process started, frees their slots
and ends the process with status 130.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

EXIT_INTERRUPTED = 130


def _dagster_captured() -> bool:
    # Dagster's own record of a signal received while it captured interrupts (internal API).
    try:
        from dagster._utils.interrupts import check_captured_interrupt
    except ImportError:  # pragma: no cover - a Dagster without it: our own flag still works
        return False
    return bool(check_captured_interrupt())


class StopOnSignal:
    def __init__(self, cleanup: Callable[[], Any], grace_s: float = 10.0, poll_s: float = 0.2):
        self.cleanup = cleanup
        self.grace_s = grace_s
        self.poll_s = poll_s
        self.signal_name = ""
        self._since: float | None = None
        self._done = threading.Event()
        self._previous: dict[int, Any] = {}
        self._pipe: tuple[int, int] | None = None
        self._old_wakeup = -1

    @property
    def requested(self) -> bool:
        return bool(self.signal_name) or self._since is not None or _dagster_captured()

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
            # Whatever Python handler is current (ours, or Dagster's while it executes a step),
            # the interpreter writes each signal's number to this pipe: the watcher sees them all.
            self._pipe = os.pipe()
            os.set_blocking(self._pipe[1], False)
            self._old_wakeup = signal.set_wakeup_fd(self._pipe[1], warn_on_full_buffer=False)
        threading.Thread(target=self._watch, name="pixel-stop-watch", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._pipe is not None:
            signal.set_wakeup_fd(self._old_wakeup)
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def check(self) -> None:
        """Raise KeyboardInterrupt if a stop was asked for (between two materializations)."""
        self._signalled()
        if self.requested:
            raise KeyboardInterrupt(self.signal_name or "interrupted")

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.signal_name = signal.Signals(signum).name
        self._since = self._since or time.monotonic()
        raise KeyboardInterrupt(self.signal_name)

    def _signalled(self) -> None:
        """Read the signal numbers the interpreter wrote to the wakeup pipe."""
        if self._pipe is None:
            return
        ready, _, _ = select.select([self._pipe[0]], [], [], 0)
        if not ready:
            return
        for signum in os.read(self._pipe[0], 64):
            if signum in (signal.SIGINT, signal.SIGTERM):
                self.signal_name = self.signal_name or signal.Signals(signum).name

    def _watch(self) -> None:
        while not self._done.wait(self.poll_s):
            self._signalled()
            if self._since is None and self.requested:
                self._since = time.monotonic()
            if self._since is not None and time.monotonic() - self._since > self.grace_s:
                print(f"interrupted: stopping now (the run did not stop within {self.grace_s:g} s)",
                      file=sys.stderr, flush=True)  # fmt: skip
                try:
                    self.cleanup()
                finally:
                    os._exit(EXIT_INTERRUPTED)

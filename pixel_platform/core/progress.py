"""Progress reports from long stages (dedup, the release build, gates), and where they go.

The core reports through a ``Progress``: ``progress(stage, done, total, item=...)``, where
``stage`` names the stage ("dedup signatures"), ``done``/``total`` count what it works through
(partitions, records, gates; ``total`` None when unknown) and ``item`` names the thing just
reached: an object key, a partition, a gate. Never conversation text.

Two sinks: ``TqdmProgress`` draws one bar per stage on stderr (the CLI), ``LoggingProgress``
writes log lines at a bounded rate (a Dagster run log: ``context.log.info``). ``tee`` sends to
both. No Dagster here; the resource that picks a sink is ``defs/progress.py``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

from tqdm import tqdm


class Progress(Protocol):
    def __call__(self, stage: str, done: int, total: int | None = None, *, item: str = "") -> None:
        """``done`` of ``total`` of ``stage`` are finished; ``item`` is the one just reached."""


def no_progress(stage: str, done: int, total: int | None = None, *, item: str = "") -> None:
    """The sink that drops every report (the default wherever nobody watches)."""


class TqdmProgress:
    """One tqdm bar on stderr at a time: a new stage closes the previous stage's bar, and a
    stage whose ``done`` reaches its ``total`` closes its own. Bars are drawn only when stderr is
    a terminal, unless ``force``; ``close()`` ends the last one."""

    def __init__(self, file: TextIO | None = None, *, force: bool = False) -> None:
        self._file = file
        self._disable: bool | None = False if force else None  # None: only on a terminal
        self._stage: str | None = None
        self._bar: tqdm[Any] | None = None

    def __call__(self, stage: str, done: int, total: int | None = None, *, item: str = "") -> None:
        if stage != self._stage or self._bar is None:
            self.close()
            self._stage = stage
            self._bar = tqdm(
                desc=stage,
                total=total,
                postfix=item or None,
                file=self._file or sys.stderr,
                disable=self._disable,
                leave=False,
                dynamic_ncols=True,
            )
        bar = self._bar
        if total is not None and bar.total != total:
            bar.total = total
        if item:
            bar.set_postfix_str(item, refresh=False)
        bar.update(done - bar.n)
        if total is not None and done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar = None
        self._stage = None


class LoggingProgress:
    """Log lines for a run log that must not flood: a stage's first report and its last
    (``done == total``) are logged, and in between at most one line per ``every_s`` seconds."""

    def __init__(
        self,
        log: Callable[[str], None],
        *,
        every_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._every_s = every_s
        self._clock = clock
        self._stage: str | None = None
        self._last_at = 0.0

    def __call__(self, stage: str, done: int, total: int | None = None, *, item: str = "") -> None:
        now = self._clock()
        finished = total is not None and done >= total
        if stage == self._stage and not finished and now - self._last_at < self._every_s:
            return
        self._stage, self._last_at = stage, now
        of = f"/{total}" if total is not None else ""
        self._log(f"{stage}: {done}{of}" + (f" ({item})" if item else ""))


def tee(*sinks: Progress) -> Progress:
    """Every report to each of ``sinks``."""

    def report(stage: str, done: int, total: int | None = None, *, item: str = "") -> None:
        for sink in sinks:
            sink(stage, done, total, item=item)

    return report

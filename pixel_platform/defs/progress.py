"""Where an asset's progress reports (``core.progress``) go.

Always to the run log, at a bounded rate (``LoggingProgress``: a stage's first and last report,
and at most one line per ``LOG_EVERY_S`` between): what the UI's run page shows for runs from the
UI, the daemon and the CLI alike. A run tagged ``pixel/progress: console`` (``pixel-platform run``
tags its in-process runs so when its stderr is a terminal) also draws tqdm bars on the process's
stderr, which Dagster's compute-log capture mirrors to that terminal. A tag rather than a
resource: the assets stay materializable with the resources every caller already passes, and
the UI never draws bars into a code server's stderr.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from pixel_platform.core.progress import LoggingProgress, Progress, TqdmProgress, tee

PROGRESS_TAG = "pixel/progress"
CONSOLE = "console"
LOG_EVERY_S = 10.0

ExecutionContext = dg.AssetExecutionContext | dg.AssetCheckExecutionContext | dg.OpExecutionContext


def console_progress_tags() -> dict[str, str]:
    """Run tags that ask for bars on the terminal as well as the run log."""
    return {PROGRESS_TAG: CONSOLE}


@contextmanager
def run_progress(context: ExecutionContext, every_s: float = LOG_EVERY_S) -> Iterator[Progress]:
    """The run's progress sink; bars it opened are closed on the way out."""
    logged = LoggingProgress(context.log.info, every_s=every_s)
    if context.run.tags.get(PROGRESS_TAG) != CONSOLE:
        yield logged
        return
    bars = TqdmProgress(force=True)  # a step's stderr is captured (not a tty) but mirrored
    try:
        yield tee(bars, logged)
    finally:
        bars.close()

"""Runs one local training job: ``python -m pixel_platform.training.backends._runner JOBDIR --
CMD...``. Output goes to ``JOBDIR/output.log``; the exit code to ``JOBDIR/exit.json`` (written
last, atomically), so the job's state survives the process that submitted it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: _runner JOBDIR -- CMD...", file=sys.stderr)
        return 2
    job_dir = Path(argv[0])
    # A job honours TERM (``cancel`` sends it first) whatever its submitter ignored: a pipeline
    # run started in the background ignores SIGINT, and an in-process Dagster run then maps
    # SIGTERM to SIGINT's handler; ignored signals would pass on to the trainer through exec.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    with open(job_dir / "output.log", "ab", buffering=0) as out:
        proc = subprocess.Popen(
            argv[2:], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        (job_dir / "child.pid").write_text(str(proc.pid))
        returncode = proc.wait()
    tmp = job_dir / "exit.json.tmp"
    tmp.write_text(json.dumps({"returncode": returncode}))
    os.replace(tmp, job_dir / "exit.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

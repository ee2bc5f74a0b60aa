"""Run a command and report its resources from outside it (``bench.common.measured_child``).

Started as a small, bare interpreter (``python -S``), it forks the command, waits for it with
``os.wait4`` and prints one JSON line to stderr, last: wall seconds, the child's peak RSS
(``ru_maxrss``, KiB) and its exit code. Its own size is the floor of what it can measure (a child
inherits the high-water mark of the process that forked it).
"""

import json
import os
import sys
import time


def main(argv: list[str]) -> int:
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: become the command
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    report = {
        "launch": {
            "seconds": round(time.perf_counter() - start, 3),
            "maxrss_kb": usage.ru_maxrss,
            # user + system CPU of the command and the children it waited for (a process pool)
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
            "returncode": code,
        }
    }
    sys.stderr.flush()
    print(json.dumps(report), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Metrics: one JSON object per line in ``<run>/metrics.jsonl``, always; W&B only when enabled.

Events: ``run_start``, ``stage_skipped``, ``stage_start``, ``train`` (every Trainer log),
``eval``, ``stage_end``, ``run_end``. Only the main process writes.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import orjson


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    try:
        return float(value)  # numpy / torch scalars
    except (TypeError, ValueError):
        return str(value)


class MetricsLog:
    def __init__(self, path: Path, enabled: bool = True) -> None:
        self.path = Path(path)
        self.enabled = enabled

    def write(self, event: str, **fields: Any) -> None:
        if not self.enabled:
            return
        row = {"time": round(time.time(), 3), "event": event}
        row.update({k: _clean(v) for k, v in fields.items()})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "ab") as fh:
            fh.write(orjson.dumps(row) + b"\n")

    def read(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        return [orjson.loads(line) for line in self.path.read_bytes().splitlines() if line.strip()]


def metrics_callback(log: MetricsLog, stage: str, phase: str, on_save: Any = None) -> Any:
    """A ``TrainerCallback`` writing every Trainer log line to ``log`` (imports transformers)."""
    from transformers import TrainerCallback

    class _MetricsCallback(TrainerCallback):  # type: ignore[misc]
        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
            if not state.is_world_process_zero or not logs:
                return
            event = "eval" if any(str(k).startswith("eval_") for k in logs) else "train"
            log.write(event, stage=stage, phase=phase, step=state.global_step, **logs)

        def on_save(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            if on_save is not None and state.is_local_process_zero:
                on_save(Path(args.output_dir) / f"checkpoint-{state.global_step}")

    return _MetricsCallback()

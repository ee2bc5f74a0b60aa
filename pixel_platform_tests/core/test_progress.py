"""The progress sinks: the run log's is rate-limited, the terminal's draws one bar per stage."""

from __future__ import annotations

import io

from pixel_platform.core.progress import LoggingProgress, TqdmProgress, no_progress, tee
from pixel_platform_tests.core.recording import RecordingProgress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_logging_sink_logs_a_stage_first_and_last_report_and_rate_limits_between() -> None:
    lines: list[str] = []
    clock = FakeClock()
    sink = LoggingProgress(lines.append, every_s=10.0, clock=clock)
    for done in range(1000):
        clock.now += 0.001  # 1000 reports within one second
        sink("dedup signatures", done, 1000, item="fam/part")
    assert lines == ["dedup signatures: 0/1000 (fam/part)"]
    clock.now += 10.0
    sink("dedup signatures", 1000, 1000)
    clock.now += 0.5
    sink("release read inputs", 1, 3, item="pipeline/x.jsonl")
    sink("release read inputs", 2, 3)
    sink("release read inputs", 3, 3)  # the last report of a stage is never dropped
    assert lines[1:] == [
        "dedup signatures: 1000/1000",
        "release read inputs: 1/3 (pipeline/x.jsonl)",
        "release read inputs: 3/3",
    ]


def test_logging_sink_logs_again_once_the_interval_has_passed() -> None:
    lines: list[str] = []
    clock = FakeClock()
    sink = LoggingProgress(lines.append, every_s=10.0, clock=clock)
    for done in range(60):
        clock.now += 1.0  # one report a second for a minute, total unknown
        sink("release split and sort", done * 1000)
    assert len(lines) == 6
    assert lines[:2] == ["release split and sort: 0", "release split and sort: 10000"]


def test_tqdm_sink_draws_a_bar_per_stage_and_closes_it_at_the_total() -> None:
    out = io.StringIO()
    bars = TqdmProgress(out, force=True)
    bars("gates", 0, 2, item="hash")
    assert bars._bar is not None and bars._bar.n == 0
    bars("gates", 1, 2, item="pii")
    bars("gates", 2, 2)
    assert bars._bar is None  # closed at its total
    bars("release split and sort", 500)  # unknown total: stays open until close()
    assert bars._bar is not None and bars._bar.n == 500
    bars.close()
    text = out.getvalue()
    assert "gates" in text and "hash" in text and "release split and sort" in text


def test_tqdm_sink_draws_nothing_when_stderr_is_not_a_terminal() -> None:
    out = io.StringIO()  # not a tty
    bars = TqdmProgress(out)
    bars("gates", 1, 2, item="hash")
    bars.close()
    assert out.getvalue() == ""


def test_tee_sends_every_report_to_each_sink() -> None:
    a, b = RecordingProgress(), RecordingProgress()
    both = tee(a, b, no_progress)
    both("dedup lsh bands", 3, 9, item="x")
    assert a.reports == b.reports and len(a.reports) == 1 and a.reports[0].item == "x"

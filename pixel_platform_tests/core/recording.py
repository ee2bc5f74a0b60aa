"""A progress sink that keeps every report, for the tests of the stages that report."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Report:
    stage: str
    done: int
    total: int | None
    item: str


@dataclass
class RecordingProgress:
    reports: list[Report] = field(default_factory=list)

    def __call__(self, stage: str, done: int, total: int | None = None, *, item: str = "") -> None:
        self.reports.append(Report(stage, done, total, item))

    def stages(self) -> list[str]:
        """Stage names in the order they first reported."""
        return list(dict.fromkeys(r.stage for r in self.reports))

    def by_stage(self) -> dict[str, list[Report]]:
        out: dict[str, list[Report]] = defaultdict(list)
        for report in self.reports:
            out[report.stage].append(report)
        return dict(out)

    def items(self, stage: str) -> list[str]:
        return [r.item for r in self.by_stage()[stage] if r.item]

    def assert_monotonic_and_complete(self) -> None:
        """Per stage: one total, ``done`` never goes back, and it ends at the total."""
        for stage, reports in self.by_stage().items():
            done = [r.done for r in reports]
            assert done == sorted(done), f"{stage}: counts went back: {done}"
            totals = {r.total for r in reports}
            assert len(totals) == 1, f"{stage}: totals changed: {totals}"
            (total,) = totals
            assert total is None or done[-1] == total, f"{stage}: ended at {done[-1]} of {total}"

"""``GateResult`` and the collector gates use to count every violation, not just the first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

EXAMPLES_PER_KIND = 5


@dataclass
class GateResult:
    name: str
    passed: bool
    violations: dict[str, int] = field(default_factory=dict)  # kind -> count
    examples: list[dict[str, Any]] = field(default_factory=list)  # uids, keys, hashes; no text
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "violations": dict(sorted(self.violations.items())),
            "examples": self.examples,
            "metadata": self.metadata,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateResult:
        return cls(
            name=str(data["name"]),
            passed=bool(data["passed"]),
            violations=dict(data.get("violations") or {}),
            examples=list(data.get("examples") or []),
            metadata=dict(data.get("metadata") or {}),
        )

    def summary(self) -> str:
        status = "PASS" if self.passed else "FAIL"
        if not self.violations:
            return f"{status} {self.name}"
        counts = ", ".join(f"{k}={v}" for k, v in sorted(self.violations.items()))
        return f"{status} {self.name}: {counts}"


class Violations:
    """Counts violations by kind and keeps a few examples of each (at most ``max_examples``)."""

    def __init__(self, name: str, max_examples: int = 20) -> None:
        self.name = name
        self.max_examples = max_examples
        self.counts: Counter[str] = Counter()
        self.examples: list[dict[str, Any]] = []
        self._per_kind: Counter[str] = Counter()

    def add(self, kind: str, example: dict[str, Any] | None = None, n: int = 1) -> None:
        if n <= 0:
            return
        self.counts[kind] += n
        if (
            example is not None
            and self._per_kind[kind] < EXAMPLES_PER_KIND
            and len(self.examples) < self.max_examples
        ):
            self._per_kind[kind] += 1
            self.examples.append({"kind": kind, **example})

    def __bool__(self) -> bool:
        return bool(self.counts)

    def result(self, passed: bool | None = None, **metadata: Any) -> GateResult:
        return GateResult(
            name=self.name,
            passed=not self.counts if passed is None else passed,
            violations=dict(sorted(self.counts.items())),
            examples=self.examples,
            metadata=metadata,
        )

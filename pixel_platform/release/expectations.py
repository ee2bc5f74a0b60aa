"""Record-level expectations through Great Expectations, in memory on a pandas frame.

Gates flatten the fields they check (never conversation text) into rows with a ``uid`` column and
hand them here with a list of ``Check``s; each check becomes one GX expectation and comes back as
``(kind, unexpected_count, example uids)``. GX takes seconds to import, so it is imported on the
first call, and one ephemeral context is reused for the process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

EXAMPLES_PER_CHECK = 5
_LOCK = threading.Lock()
_STATE: dict[str, Any] = {}


@dataclass(frozen=True)
class Check:
    kind: str  # the violation kind reported when rows fail, e.g. "content_hash_malformed"
    expectation: str  # GX class name, e.g. "ExpectColumnValuesToMatchRegex"
    column: str
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    kind: str
    unexpected: int
    examples: list[str]


def _batch_definition() -> Any:
    with _LOCK:
        if "batch" not in _STATE:
            os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            source = context.data_sources.add_pandas("pixel_release")
            asset = source.add_dataframe_asset(name="records")
            _STATE["gx"] = gx
            _STATE["batch"] = asset.add_batch_definition_whole_dataframe("all_records")
        return _STATE["batch"]


def run_checks(rows: list[dict[str, Any]], checks: list[Check]) -> list[Outcome]:
    """Evaluate ``checks`` over ``rows`` (each with a ``uid``); one ``Outcome`` per check."""
    if not rows or not checks:
        return [Outcome(c.kind, 0, []) for c in checks]
    import pandas as pd

    return _validate(pd.DataFrame.from_records(rows), checks)


def run_checks_on_columns(columns: Mapping[str, list[Any]], checks: list[Check]) -> list[Outcome]:
    """``run_checks`` on a batch given as columns of equal length (one of them ``uid``)."""
    if not columns.get("uid") or not checks:
        return [Outcome(c.kind, 0, []) for c in checks]
    import pandas as pd

    return _validate(pd.DataFrame(dict(columns)), checks)


def _validate(frame: Any, checks: list[Check]) -> list[Outcome]:
    n = len(frame)
    definition = _batch_definition()
    gx = _STATE["gx"]
    batch = definition.get_batch(batch_parameters={"dataframe": frame})
    suite = gx.ExpectationSuite(name="pixel_release_records")
    for check in checks:
        expectation_class = getattr(gx.expectations, check.expectation)
        suite.add_expectation(expectation_class(column=check.column, **check.kwargs))
    result = batch.validate(
        suite,
        result_format={
            "result_format": "SUMMARY",
            "unexpected_index_column_names": ["uid"],
            "partial_unexpected_count": EXAMPLES_PER_CHECK,
        },
    )
    by_config = {}
    for item in result.results:
        config = item.expectation_config
        by_config[(config.type, config.kwargs.get("column"))] = item
    outcomes = []
    for check in checks:
        snake = _snake(check.expectation)
        item = by_config.get((snake, check.column))
        if item is None:
            outcomes.append(Outcome(check.kind, n, ["<expectation did not run>"]))
            continue
        unexpected = int(item.result.get("unexpected_count") or 0)
        if not item.success and unexpected == 0:
            unexpected = n  # it failed without counting (it raised): distrust every row
        examples = [
            str(entry.get("uid"))
            for entry in item.result.get("partial_unexpected_index_list") or []
            if isinstance(entry, dict)
        ]
        outcomes.append(Outcome(check.kind, unexpected if not item.success else 0, examples))
    return outcomes


def _snake(name: str) -> str:
    out = []
    for i, char in enumerate(name):
        if char.isupper() and i:
            out.append("_")
        out.append(char.lower())
    return "".join(out)

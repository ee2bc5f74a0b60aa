"""The step contract (``core/steps.py``): every item a chain sees is forwarded or quarantined with
a reason, each step's stats balance, and a step that raises leaves the books visibly unbalanced."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import pytest

from pixel_platform.core.reasons import Reason
from pixel_platform.core.steps import (
    EXCERPT_CHARS,
    ListQuarantine,
    Locator,
    Reject,
    Step,
    StepStats,
    run_chain,
)


@dataclass
class Item:
    n: int
    text: str = ""

    def locator(self) -> Locator:
        return Locator(source_key="in.jsonl", line=self.n + 1, index=self.n)

    def excerpt(self) -> str:
        return self.text


class DropOdd(Step[Item, Item]):
    name = "drop_odd"

    def apply(self, item: Item) -> Item | Reject:
        if item.n % 2:
            return Reject(Reason.LOW_QUALITY, f"item {item.n} is odd")
        self.stats.changed["even"] += 1
        return item


class DropMultiplesOfFour(Step[Item, Item]):
    name = "drop_four"

    def apply(self, item: Item) -> Item | Reject:
        return Reject("multiple_of_four") if item.n % 4 == 0 else item


class Explode(Step[Item, Item]):
    name = "explode"

    def apply(self, item: Item) -> Item | Reject:
        if item.n == 6:
            raise ValueError("boom")
        return item


def test_a_chain_forwards_or_quarantines_every_item_and_each_step_balances() -> None:
    steps = [DropOdd("fam"), DropMultiplesOfFour("fam")]
    quarantine = ListQuarantine()
    out = list(run_chain(steps, (Item(n) for n in range(10)), quarantine))
    assert [item.n for item in out] == [2, 6]
    first, second = (step.stats for step in steps)
    assert (first.seen, first.forwarded, dict(first.dropped)) == (10, 5, {"low_quality": 5})
    assert (second.seen, second.forwarded, dict(second.dropped)) == (5, 2, {"multiple_of_four": 3})
    assert first.balanced and second.balanced
    assert first.changed == {"even": 5}
    assert len(quarantine.entries) == 10 - len(out)
    reasons = {entry.reason for entry in quarantine.entries}
    assert reasons == {"low_quality", "multiple_of_four"}  # plain strings, not enum members
    assert all(type(entry.reason) is str for entry in quarantine.entries)


def test_a_quarantine_entry_locates_the_item_and_caps_its_excerpt() -> None:
    quarantine = ListQuarantine()
    long_text = "x" * (EXCERPT_CHARS + 50)
    list(DropOdd("fam").run([Item(3, long_text)], quarantine))
    (entry,) = quarantine.entries
    assert (entry.step, entry.family, entry.source_key, entry.line, entry.index) == (
        "drop_odd", "fam", "in.jsonl", 4, 3,
    )  # fmt: skip
    assert entry.detail == "item 3 is odd"
    assert entry.excerpt is not None and len(entry.excerpt) == EXCERPT_CHARS
    assert orjson.loads(entry.to_json())["reason"] == "low_quality"


def test_a_step_that_raises_leaves_its_stats_unbalanced() -> None:
    steps = [DropOdd(), Explode()]
    with pytest.raises(ValueError, match="boom"):
        list(run_chain(steps, (Item(n) for n in range(10)), ListQuarantine()))
    first, second = (step.stats for step in steps)
    # items 0..6 reached the chain; 6 was in Explode when it raised
    assert first.seen == 7 and first.balanced
    assert second.seen == 4 and second.forwarded == 3 and not second.balanced


def test_a_closed_chain_counts_what_it_handed_out() -> None:
    step = DropOdd()
    chain = run_chain([step], (Item(n) for n in range(100)), ListQuarantine())
    assert [next(chain).n for _ in range(3)] == [0, 2, 4]
    chain.close()
    assert step.stats.balanced and step.stats.forwarded == 3


def test_step_stats_round_trip_through_their_dict() -> None:
    step = DropOdd()
    list(step.run((Item(n) for n in range(5)), ListQuarantine()))
    again = StepStats.from_dict(orjson.loads(orjson.dumps(step.stats.as_dict())))
    assert again.as_dict() == step.stats.as_dict()

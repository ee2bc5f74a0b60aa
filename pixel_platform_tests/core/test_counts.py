"""``core.counts``: adding one counting dataclass to another, and rendering one as a dict."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pixel_platform.core.counts import add_counts, counts_dict


@dataclass
class Tally:
    records: int = 0
    words: float = 0.0
    reasons: Counter[str] = field(default_factory=Counter)


def test_add_counts_sums_numbers_and_merges_counters() -> None:
    a = Tally(2, 1.5, Counter({"x": 1}))
    add_counts(a, Tally(3, 0.5, Counter({"x": 2, "y": 1})))
    assert a == Tally(5, 2.0, Counter({"x": 3, "y": 1}))


def test_counts_dict_keeps_field_order_and_sorts_counters() -> None:
    rendered = counts_dict(Tally(1, 2.0, Counter({"b": 1, "a": 2})))
    assert list(rendered) == ["records", "words", "reasons"]
    assert list(rendered["reasons"].items()) == [("a", 2), ("b", 1)]
    assert type(rendered["reasons"]) is dict

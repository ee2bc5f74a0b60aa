"""IngestPipeline: the step chain, its stats, and the accounting identity."""

from __future__ import annotations

import io
from collections.abc import Iterator

import orjson
import pytest

from pixel_platform.core.reasons import Reason
from pixel_platform.core.record import Conversation
from pixel_platform.core.steps import ListQuarantine, Reject
from pixel_platform.ingest.pipeline import IngestPipeline, ReadStep
from pixel_platform.ingest.raw import RawRecord, ReadFailure
from pixel_platform.ingest.readers import read_stream
from pixel_platform_tests.ingest.helpers import INGESTED_AT, registry

GOOD = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
MIXED = (
    orjson.dumps(GOOD)
    + b"\n{broken\n"
    + orjson.dumps({"messages": [{"role": "assistant", "content": "hi"}]})
    + b"\n{}\n"
    + orjson.dumps({"question": "Itâ€™s  bad", "answer": "a", "id": 3})
    + b"\n"
)


def pipeline(family: str = "chats", **kw: object) -> IngestPipeline:
    reg = registry()
    return IngestPipeline(reg, reg.family(family), ingested_at=INGESTED_AT, **kw)  # type: ignore[arg-type]


def units(data: bytes = MIXED, key: str = "raw/mixed.jsonl") -> Iterator[RawRecord | ReadFailure]:
    return read_stream(io.BytesIO(data), key)


def test_read_step_quarantines_failures_with_their_reason() -> None:
    step = ReadStep("chats")
    record = RawRecord("k", {"a": 1})
    failure = ReadFailure("k", Reason.INVALID_JSON.value, "bad", line=4, index=3, raw_excerpt="{")
    quarantine = ListQuarantine()
    assert list(step.run([record, failure], quarantine)) == [record]
    (entry,) = quarantine.entries
    assert (entry.reason, entry.detail, entry.line, entry.index, entry.excerpt) == (
        "invalid_json",
        "bad",
        4,
        3,
        "{",
    )
    assert step.stats.balanced


def test_steps_and_stats() -> None:
    ingest = pipeline()
    assert [s.name for s in ingest.steps] == ["read", "convert", "clean", "validate", "finalize"]
    out = list(ingest.run(units(), ListQuarantine()))
    ingest.check_balance()
    stats = ingest.stats()
    assert (stats["units_in"], stats["records_out"], stats["quarantined"]) == (5, 2, 3)
    assert stats["quarantined_by_reason"] == {
        "empty_record": 1,
        "invalid_json": 1,
        "no_user_turn": 1,
    }
    assert stats["changed"] == {"encoding_repaired": 1, "whitespace": 1}
    assert stats["detected_formats"] == {"raw/mixed.jsonl": {"messages": 2, "qa": 1, "unknown": 1}}
    assert [s["seen"] for s in stats["steps"]] == [5, 4, 3, 3, 2]
    assert out[1].messages[0]["content"] == "It’s bad"
    assert out[1].metadata["source_fields"] == {"id": 3}
    orjson.dumps(stats)  # plain-str keys: stats files are written with orjson


def test_fused_run_matches_chained_step_runs() -> None:
    fused, chained = pipeline(), pipeline()
    fused_quarantine, chained_quarantine = ListQuarantine(), ListQuarantine()
    fused_out = list(fused.run(units(), fused_quarantine))
    stream: Iterator[object] = units()
    for step in chained.steps:
        stream = step.run(stream, chained_quarantine)  # type: ignore[arg-type]
    chained_out = list(stream)
    assert [c.to_json() for c in fused_out] == [c.to_json() for c in chained_out]  # type: ignore[attr-defined]
    assert sorted(fused_quarantine.entries, key=repr) == sorted(
        chained_quarantine.entries, key=repr
    )
    for a, b in zip(fused.stats()["steps"], chained.stats()["steps"], strict=True):
        assert {k: v for k, v in a.items() if k != "seconds"} == {
            k: v for k, v in b.items() if k != "seconds"
        }


def test_stopping_early_leaves_the_counts_balanced() -> None:
    ingest = pipeline()
    run = ingest.run(units(), ListQuarantine())
    next(run)
    run.close()
    ingest.check_balance()
    assert ingest.stats()["units_in"] == 1


def test_a_crashing_step_unbalances_the_books() -> None:
    ingest = pipeline()

    def boom(item: Conversation) -> Conversation | Reject:
        raise RuntimeError("bug")

    ingest.steps[2].apply = boom  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        list(ingest.run(units(), ListQuarantine()))
    with pytest.raises(AssertionError, match="unbalanced steps: \\['clean'\\]"):
        ingest.check_balance()


def test_check_balance_reports_the_numbers() -> None:
    ingest = pipeline()
    list(ingest.run(units(), ListQuarantine()))
    ingest.steps[-1].stats.forwarded += 1
    with pytest.raises(AssertionError, match="5 units in, 3 out, 3 quarantined"):
        ingest.check_balance()


def test_license_and_format_defaults_come_from_the_family() -> None:
    ingest = pipeline("counsel", etags={"raw/q.csv": "e1"})
    data = b"questionTitle,answerText\nq,a\n"
    (out,) = ingest.run(units(data, "raw/q.csv"), ListQuarantine())
    provenance = out.metadata["provenance"]
    assert (provenance["license"], provenance["source_etag"], provenance["family"]) == (
        "MIT",
        "e1",
        "counsel",
    )
    assert out.metadata["detected_format"] == "qa"
    overridden = pipeline("counsel", license="CC-BY-4.0", fmt="auto")
    (out,) = overridden.run(units(data, "raw/q.csv"), ListQuarantine())
    assert out.metadata["provenance"]["license"] == "CC-BY-4.0"


def test_several_files_are_reported_per_file() -> None:
    ingest = pipeline()

    def both() -> Iterator[RawRecord | ReadFailure]:
        yield from units(orjson.dumps(GOOD) + b"\n", "raw/a.jsonl")
        yield from units(b'[{"instruction": "q", "output": "a"}]', "raw/b.json")
        yield from units(b"", "raw/c.txt")

    list(ingest.run(both(), ListQuarantine()))
    ingest.check_balance()
    stats = ingest.stats()
    assert stats["detected_formats"] == {
        "raw/a.jsonl": {"messages": 1},
        "raw/b.json": {"alpaca": 1},
    }
    assert stats["quarantined_by_reason"] == {"empty_file": 1}

"""Encoding repair keeps each ChatML record as it is but for the text of its turns."""

from __future__ import annotations

import io

import orjson

from pixel_platform.core.steps import ListQuarantine
from pixel_platform.ingest.readers import read_stream
from pixel_platform.ingest.repair import repair_jsonl


def repair(data: bytes) -> tuple[list[dict], ListQuarantine, object]:
    out, quarantine = io.BytesIO(), ListQuarantine()
    report = repair_jsonl(read_stream(io.BytesIO(data), "in.jsonl"), out, quarantine)
    return [orjson.loads(line) for line in out.getvalue().splitlines()], quarantine, report


def test_turns_are_repaired_and_everything_else_kept() -> None:
    record = {
        "id": 7,
        "messages": [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "I donâ€™t sleep", "ts": 3},
            {"role": "assistant", "content": "cafe\u0301  talk"},
            {"role": "assistant", "content": None},
        ],
        "metadata": {"note": "donâ€™t touch metadata"},
    }
    clean = {"messages": [{"role": "user", "content": "Fine."}]}
    records, quarantine, report = repair(orjson.dumps(record) + b"\n\n" + orjson.dumps(clean))
    assert records[1] == clean and not quarantine.entries
    fixed = records[0]
    assert [m["content"] for m in fixed["messages"]] == [
        "Be kind.",
        "I don’t sleep",
        "café talk",
        None,
    ]
    assert fixed["messages"][1]["ts"] == 3 and list(fixed) == ["id", "messages", "metadata"]
    assert fixed["metadata"] == record["metadata"]
    assert (report.records_out, report.records_changed, report.turns_changed) == (2, 1, 2)
    assert report.kinds == {"encoding_repaired": 1, "nfc": 1, "whitespace": 1}
    assert report.balanced and report.quarantined == {}


def test_unreadable_lines_and_other_json_are_quarantined_with_their_line() -> None:
    ok = orjson.dumps({"messages": [{"role": "user", "content": "I don\u2019t"}]})
    cp1252 = b'{"messages": [{"role": "user", "content": "I don\x92t"}]}'
    data = b"\n".join([ok, b"{not json", b'{"text": "a transcript"}', cp1252, b"[1, 2]"])
    records, quarantine, report = repair(data + b"\n")
    assert [r["messages"][0]["content"] for r in records] == ["I don\u2019t", "I don\u2019t"]
    assert [(e.line, e.reason) for e in quarantine.entries] == [
        (2, "invalid_json"),
        (3, "unknown_format"),
        (5, "unknown_format"),
    ]
    assert report.decoded == {"cp1252": 1} and report.records_changed == 0
    assert report.quarantined == {"invalid_json": 1, "unknown_format": 2}
    assert (report.units_in, report.records_out) == (5, 2) and report.balanced

"""Golden files: one small input per shape, compared exactly with its reviewed expected output.

Regenerate after an intended change with
``PIXEL_UPDATE_GOLDEN=1 pytest pixel_platform_tests/ingest/test_golden.py`` and review the diff of
``fixtures/*.expected.jsonl`` by eye before committing it.
"""

from __future__ import annotations

import os
from typing import Any

import orjson
import pytest

from pixel_platform_tests.ingest.helpers import FIXTURES, Result, ingest

# fixture, family in fixtures/registry.yaml, format (None: the family's, usually auto)
CASES = [
    ("messages.jsonl", "chats", None),
    ("sharegpt.json", "chats", None),
    ("turn_list.json", "peer", None),
    ("alpaca.json", "chats", None),
    ("human_assistant.txt", "therapy", None),
    ("client_therapist.txt", "therapy", None),
    ("host_guest.txt", "interviews", None),
    ("counsel_qa.csv", "counsel", None),
    ("container_train.json", "chats", None),
]
VOLATILE_PROVENANCE = ("ingested_at", "pipeline_version")


def render(result: Result) -> list[bytes]:
    """Output conversations, then quarantine entries, then the counts: one JSON line each."""
    lines: list[Any] = []
    for conversation in result.out:
        data = conversation.to_dict()
        provenance = data["metadata"]["provenance"]
        for key in VOLATILE_PROVENANCE:
            provenance.pop(key)
        lines.append(data)
    for entry in result.quarantined:
        lines.append(
            {
                "quarantined": {
                    "reason": entry.reason,
                    "detail": entry.detail,
                    "step": entry.step,
                    "line": entry.line,
                    "index": entry.index,
                }
            }
        )
    stats = result.stats
    lines.append(
        {
            "stats": {
                key: stats[key]
                for key in ("units_in", "records_out", "quarantined_by_reason", "changed")
            }
            | {"detected_formats": stats["detected_formats"]}
        }
    )
    return [orjson.dumps(line, option=orjson.OPT_SORT_KEYS) for line in lines]


@pytest.mark.parametrize(("name", "family", "fmt"), CASES, ids=[c[0] for c in CASES])
def test_golden(name: str, family: str, fmt: str | None) -> None:
    source = FIXTURES / name
    expected_path = FIXTURES / f"{source.stem}.expected.jsonl"
    actual = render(ingest(source.read_bytes(), f"raw/{name}", family, fmt=fmt))
    if os.environ.get("PIXEL_UPDATE_GOLDEN"):
        expected_path.write_bytes(b"".join(line + b"\n" for line in actual))
    assert expected_path.exists(), f"no golden file; run with PIXEL_UPDATE_GOLDEN=1: {name}"
    expected = expected_path.read_bytes().splitlines()
    assert actual == expected

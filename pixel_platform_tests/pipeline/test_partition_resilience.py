"""One bad object never fails its partition, and nothing logged, stored as stats or metadata, or
raised quotes a record (the reliability issue, items 3 and 4)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import pytest

from pixel_platform.core.errors import IngestError
from pixel_platform.core.reasons import Reason
from pixel_platform.core.report import StageReport
from pixel_platform.defs.ingest.metadata import partition_metadata
from pixel_platform.ingest import clean, readers
from pixel_platform.pipeline.partition import process_partition
from pixel_platform.pipeline.snapshot import take_snapshot
from pixel_platform.storage.base import ObjectInfo, ObjectStore
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.storage.s3 import S3ObjectStore
from pixel_platform_tests.ingest.helpers import registry

if TYPE_CHECKING:
    from pixel_platform_tests.support import S3TestServer

PREFIX = "raw/chats/"
SECRETS = ("555-0134", "Jane Roe", "jane@example.org", "he hits me")


def chat(user: str = "I feel anxious.") -> bytes:
    turns = [{"role": "user", "content": user}, {"role": "assistant", "content": "Go on."}]
    return orjson.dumps({"messages": turns}) + b"\n"


def run(store: ObjectStore) -> tuple[StageReport, list[dict[str, Any]]]:
    snapshot = take_snapshot(store, "chats", PREFIX)
    result = process_partition(store, registry(), "chats", snapshot)
    assert result.units_in == result.records_out + result.quarantined
    entries = [orjson.loads(x) for x in store.read_bytes(result.quarantine.key).splitlines()]
    return result, entries


def test_a_symlink_is_quarantined_and_the_objects_beside_it_are_read(
    local_store: LocalObjectStore, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.jsonl"
    outside.write_bytes(chat())
    local_store.write_bytes(PREFIX + "a.jsonl", chat())
    local_store.write_bytes(PREFIX + "c.jsonl", chat() + chat())
    folder = local_store.root / PREFIX
    (folder / "b.jsonl").symlink_to(outside)
    (folder / "d").symlink_to(folder, target_is_directory=True)
    result, entries = run(local_store)
    assert result.records_out == 3
    assert [(e["reason"], e["source_key"]) for e in entries] == [
        (Reason.UNREADABLE_KEY, PREFIX + "b.jsonl"),
        (Reason.UNREADABLE_KEY, PREFIX + "d"),
    ]
    assert "symbolic link" in entries[0]["detail"]


class _AwsListing(S3ObjectStore):
    """S3 as AWS and Ceph list it: keys with an empty or a ``..`` segment are legal there.
    SeaweedFS normalises ``//`` and refuses ``..`` on upload, so the listing adds them."""

    foreign = (PREFIX + "b//x.jsonl", PREFIX + "c/../y.jsonl", PREFIX + "./z.jsonl")

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        infos = [*super().list(prefix), *(self._foreign(key) for key in self.foreign)]
        yield from sorted(infos, key=lambda info: info.key)

    @staticmethod
    def _foreign(key: str) -> ObjectInfo:
        return ObjectInfo(key, 10, "0" * 32, datetime(2026, 1, 1, tzinfo=UTC))


def test_s3_keys_with_empty_or_dot_segments_are_quarantined(
    s3_server: S3TestServer, s3_bucket: str, tmp_path: Path
) -> None:
    store = _AwsListing.from_settings(s3_server.settings(s3_bucket, cache_dir=tmp_path / "c"))
    store.write_bytes(PREFIX + "a.jsonl", chat())
    store.write_bytes(PREFIX + "z.jsonl", chat() + chat())
    result, entries = run(store)
    assert result.records_out == 3
    assert sorted((e["reason"], e["source_key"]) for e in entries) == sorted(
        (Reason.UNREADABLE_KEY.value, key) for key in _AwsListing.foreign
    )


def test_a_reader_that_raises_ends_only_its_object(
    local_store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(buf: Any, ctx: Any) -> Iterator[Any]:
        yield from list(readers.read_jsonl(buf, ctx))[:1]
        raise RuntimeError("he hits me")  # a message that quotes the record

    monkeypatch.setitem(readers._READERS, "jsonl", broken)
    local_store.write_bytes(PREFIX + "a.jsonl", chat() + chat())
    local_store.write_bytes(PREFIX + "b.csv", b"question,answer\nHow?,Slowly.\n")
    with caplog.at_level(logging.DEBUG):
        result, entries = run(local_store)
    assert result.records_out == 2  # one from a.jsonl, one from b.csv
    assert [(e["reason"], e["index"]) for e in entries] == [(Reason.READ_ERROR, 1)]
    assert "RuntimeError at test_partition_resilience.py:" in entries[0]["detail"]
    assert "he hits me" not in entries[0]["detail"] and "he hits me" not in caplog.text


def test_a_step_that_raises_names_the_object_and_record(
    local_store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply = clean.CleanStep.apply

    def fail_on_second(self: clean.CleanStep, item: Any) -> Any:
        if item.metadata["provenance"]["index"] == 1:
            raise ValueError(item.messages[0]["content"])
        return apply(self, item)

    monkeypatch.setattr(clean.CleanStep, "apply", fail_on_second)
    local_store.write_bytes(PREFIX + "a.jsonl", chat() + chat("he hits me"))
    with pytest.raises(IngestError) as raised:
        run(local_store)
    message = str(raised.value)
    assert f"failed at {PREFIX}a.jsonl, line 2, record 1: ValueError at" in message
    assert "he hits me" not in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_no_text_in_logs_stats_metadata_or_details(
    local_store: LocalObjectStore, caplog: pytest.LogCaptureFixture
) -> None:
    local_store.write_bytes(PREFIX + "noheader.csv", ",".join(SECRETS).encode() + b"\nx,y,z,w\n")
    text_keys = {secret: "x" for secret in SECRETS}
    turns = [{"role": "Jane Roe", "content": "a"}, {"role": "user", "content": "b"}]
    bad_role = {"messages": turns}
    local_store.write_bytes(PREFIX + "keys.jsonl", orjson.dumps(text_keys) + b"\n" + chat())
    local_store.write_bytes(PREFIX + "role.jsonl", orjson.dumps(bad_role) + b"\n")
    local_store.write_bytes(PREFIX + "labels.txt", b"Jane Roe: he hits me\nBob: call 555-0134\n")
    with caplog.at_level(logging.DEBUG):
        result, entries = run(local_store)
    assert result.units_in == 6  # the header-less CSV's first row counts
    assert sorted(e["reason"] for e in entries) == sorted(
        [
            Reason.CSV_HEADER_UNKNOWN,
            Reason.UNKNOWN_FORMAT,
            Reason.UNKNOWN_FORMAT,
            Reason.UNKNOWN_ROLE,
            Reason.UNKNOWN_ROLE,
        ]
    )
    said = [
        caplog.text,
        result.to_json().decode(),
        str(partition_metadata(result, "out", "q")),
        *(e["detail"] for e in entries),
    ]
    assert "quarantined" in caplog.text  # the first entries are logged, reason and detail
    for secret in SECRETS:
        assert not any(secret in text for text in said), secret
    assert any(secret in (e["excerpt"] or "") for e in entries for secret in SECRETS)


def test_quarantine_is_logged_once_per_file_with_counts_by_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import io

    from pixel_platform.core.steps import QuarantineEntry
    from pixel_platform.pipeline.partition import JsonlQuarantineWriter

    caplog.set_level(logging.WARNING)
    sink = io.BytesIO()
    with JsonlQuarantineWriter(sink, logging.getLogger("t")) as writer:
        for i in range(45):
            reason = "invalid_json" if i % 3 else "empty_turn"
            writer.put(QuarantineEntry(reason=reason, detail="d", step="read",
                                       source_key="a.jsonl", line=i + 1, index=None))  # fmt: skip
        writer.put(QuarantineEntry(reason="too_deep", detail="d", step="read",
                                   source_key="b.json", line=None, index=4))  # fmt: skip
    assert [r.getMessage() for r in caplog.records] == [
        "quarantined 45 unit(s) of a.jsonl: invalid_json 30, empty_turn 15; first at line 1",
        "quarantined 1 unit(s) of b.json: too_deep 1; first at record 4",
    ]
    assert writer.count == 46 and len(sink.getvalue().splitlines()) == 46

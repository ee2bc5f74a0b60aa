"""``ExternalSort`` and the build's on-disk sort: same order, same bytes, nothing left behind."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import orjson
import pytest

from pixel_platform.registry.model import Registry
from pixel_platform.release import build as build_module
from pixel_platform.release import build_release
from pixel_platform.release.spill import ExternalSort
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.support import release_options
from pixel_platform_tests.release.synthetic import write_inputs


def _pairs(n: int) -> list[tuple[list[object], bytes]]:
    rng = random.Random(7)
    # Few distinct keys, so ties are common: the sort must keep them in insertion order.
    return [
        ([rng.randrange(3), f"family-{rng.randrange(4)}"], orjson.dumps({"i": i, "t": "x\ty"}))
        for i in range(n)
    ]


def test_runs_on_disk_merge_to_the_stable_sort_and_are_removed(tmp_path: Path) -> None:
    pairs = _pairs(2000)
    sorter = ExternalSort(tmp_path, buffer_bytes=4096)
    for key, payload in pairs:
        sorter.add(key, payload)
    assert len(sorter.runs) > 10
    assert list(sorter) == sorted(pairs, key=lambda p: p[0])
    assert list(tmp_path.iterdir()) == []


def test_a_sort_that_fits_in_memory_touches_no_disk(tmp_path: Path) -> None:
    pairs = _pairs(50)
    sorter = ExternalSort(tmp_path)
    for key, payload in pairs:
        sorter.add(key, payload)
    assert list(sorter) == sorted(pairs, key=lambda p: p[0])
    assert sorter.runs == [] and list(tmp_path.iterdir()) == []


def test_misuse_is_refused(tmp_path: Path) -> None:
    sorter = ExternalSort(tmp_path)
    with pytest.raises(ValueError, match="one line"):
        sorter.add([1], b"two\nlines")
    sorter.add([1], b"{}")
    assert list(sorter) == [([1], b"{}")]
    with pytest.raises(RuntimeError, match="once"):
        list(sorter)
    with pytest.raises(RuntimeError, match="after iteration"):
        sorter.add([2], b"{}")


def _release_files(root: Path, prefix: str) -> dict[str, bytes]:
    base = root / prefix
    return {
        p.relative_to(base).as_posix(): p.read_bytes()
        for p in sorted(base.rglob("*"))
        if p.is_file() and p.name not in ("manifest.json", "report.html")
    }


def test_a_build_sorted_on_disk_writes_the_same_bytes_as_one_sorted_in_memory(
    local_store: LocalObjectStore,
    registry: Registry,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    inputs = write_inputs(local_store, registry)
    args = (local_store, registry, inputs.inputs, inputs.accounting, inputs.snapshots)
    in_memory = build_release(*args, release_options())
    spill = tmp_path / "spill"
    spill.mkdir()
    with caplog.at_level(logging.INFO, logger=build_module.__name__):
        on_disk = build_release(
            *args, release_options(sort_buffer_bytes=8192, spill_dir=str(spill))
        )
    (message,) = [r.getMessage() for r in caplog.records if "split and sorted" in r.getMessage()]
    runs = int(message.rsplit("(", 1)[1].split()[0])
    assert runs > 5, message
    assert on_disk.passed and in_memory.passed
    assert _release_files(local_store.root, on_disk.prefix) == _release_files(
        local_store.root, in_memory.prefix
    )
    assert on_disk.manifest["files"][:-1] == in_memory.manifest["files"][:-1]
    assert list(spill.iterdir()) == [], "the build's scratch files are removed"


def test_a_build_failing_while_it_writes_leaves_no_staged_or_scratch_files(
    local_store: LocalObjectStore,
    registry: Registry,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inputs = write_inputs(local_store, registry)
    written: list[bytes] = []

    def failing_export_line(row: object) -> bytes:
        written.append(b"")
        raise OSError("disk full (test)")

    monkeypatch.setattr(build_module, "export_line", failing_export_line)
    spill = tmp_path / "spill"
    spill.mkdir()
    with pytest.raises(OSError, match="disk full"):
        build_release(
            local_store,
            registry,
            inputs.inputs,
            inputs.accounting,
            inputs.snapshots,
            release_options(sort_buffer_bytes=8192, spill_dir=str(spill)),
        )
    assert written, "the build reached the trainer exports"
    assert list(spill.iterdir()) == []
    assert not (local_store.root / "exports/staging").exists() or not any(
        (local_store.root / "exports/staging").rglob("*.jsonl")
    )
    assert not (local_store.root / "exports/releases").exists() or not any(
        (local_store.root / "exports/releases").rglob("*.jsonl")
    )

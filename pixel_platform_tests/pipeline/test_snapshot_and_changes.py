from pixel_platform.pipeline import layout
from pixel_platform.pipeline.changes import detect_changes, marker_token
from pixel_platform.pipeline.snapshot import read_snapshot, refresh_snapshot, take_snapshot
from pixel_platform.registry import load_registry
from pixel_platform.storage.local import LocalObjectStore


def test_snapshot_lists_data_objects_and_ignores_markers(local_store: LocalObjectStore) -> None:
    local_store.write_bytes("gdrive/raw/Psych8k/a.json", b"[]")
    local_store.write_bytes("gdrive/raw/Psych8k/b.jsonl", b"{}\n")
    local_store.write_bytes("gdrive/raw/Psych8k/_SYNC_COMPLETE.json", b"{}")
    local_store.write_bytes("gdrive/raw/Other/c.json", b"[]")
    snap = take_snapshot(local_store, "mental_health_datasets", "gdrive/raw/Psych8k/")
    assert [o.key for o in snap.objects] == [
        "gdrive/raw/Psych8k/a.json",
        "gdrive/raw/Psych8k/b.jsonl",
    ]
    assert [o.key for o in snap.ignored] == ["gdrive/raw/Psych8k/_SYNC_COMPLETE.json"]
    single = take_snapshot(local_store, "x", "gdrive/raw/Other/c.json")
    assert [o.key for o in single.objects] == ["gdrive/raw/Other/c.json"]


def test_refresh_keeps_unchanged_snapshot_and_detects_rewrites(
    local_store: LocalObjectStore,
) -> None:
    local_store.write_bytes("src/a.jsonl", b"{}\n")
    first, changed = refresh_snapshot(local_store, "fam", "src/")
    assert changed
    again, changed = refresh_snapshot(local_store, "fam", "src/")
    assert not changed and again.taken_at == first.taken_at
    local_store.write_bytes("src/a.jsonl", b'{"x": 1}\n')
    third, changed = refresh_snapshot(local_store, "fam", "src/")
    assert changed and third.fingerprint != first.fingerprint
    stored = read_snapshot(local_store, "fam", "src/")
    assert stored is not None and stored.fingerprint == third.fingerprint
    assert local_store.exists(layout.raw_snapshot_key("fam", "src/"))


def test_detect_changes_reports_only_changed_partitions(local_store: LocalObjectStore) -> None:
    registry = load_registry()
    local_store.write_bytes("gdrive/raw/Psych8k/a.json", b"[]")
    local_store.write_bytes("gdrive/raw/cptsd/s1.txt", b"Client: hi\nTherapist: hello")
    first = detect_changes(local_store, registry, {})
    assert {(c.family, c.partition_key) for c in first.changed} == {
        ("mental_health_datasets", "gdrive/raw/Psych8k/"),
        ("cptsd", "gdrive/raw/cptsd/"),
    }
    # Nothing changed: nothing requested.
    second = detect_changes(local_store, registry, first.state)
    assert second.changed == [] and second.unchanged == 2
    # A rewrite (same key, new content) and a deletion are both changes; since_key would miss them.
    local_store.write_bytes("gdrive/raw/Psych8k/a.json", b'[{"instruction": "x", "output": "y"}]')
    third = detect_changes(local_store, registry, second.state)
    assert [c.partition_key for c in third.changed] == ["gdrive/raw/Psych8k/"]
    local_store.write_bytes("gdrive/raw/cptsd/s0.txt", b"Client: a\nTherapist: b")
    local_store.delete("gdrive/raw/cptsd/s1.txt")
    fourth = detect_changes(local_store, registry, third.state)
    assert [c.partition_key for c in fourth.changed] == ["gdrive/raw/cptsd/"]


def test_marker_token_changes_with_marker(local_store: LocalObjectStore) -> None:
    assert marker_token(local_store.head(layout.SYNC_MARKER_KEY)) is None
    local_store.write_bytes(layout.SYNC_MARKER_KEY, b'{"n": 1}')
    first = marker_token(local_store.head(layout.SYNC_MARKER_KEY))
    local_store.write_bytes(layout.SYNC_MARKER_KEY, b'{"n": 22}')
    assert first is not None and marker_token(local_store.head(layout.SYNC_MARKER_KEY)) != first

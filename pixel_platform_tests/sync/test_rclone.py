import shutil
from pathlib import Path

import orjson
import pytest

from pixel_platform.core.errors import TerminalError
from pixel_platform.pipeline import layout
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.storage.settings import StorageSettings
from pixel_platform.sync.rclone import SyncSpec, rclone_destination, sync

pytestmark = pytest.mark.skipif(
    shutil.which("rclone") is None, reason="rclone not installed; run scripts/setup.sh (apt rclone)"
)


def make_remote(tmp_path: Path) -> Path:
    remote = tmp_path / "gdrive"
    (remote / "Psych8k").mkdir(parents=True)
    (remote / "Psych8k" / "a.json").write_text('[{"instruction": "hi", "output": "hello"}]')
    (remote / "cptsd").mkdir()
    (remote / "cptsd" / "s1.txt").write_text("Client: I feel stuck.\nTherapist: Tell me more.")
    return remote


def test_sync_to_local_store_writes_objects_then_marker(tmp_path: Path) -> None:
    remote = make_remote(tmp_path)
    settings = StorageSettings(backend="local", local_path=tmp_path / "bucket")
    store = LocalObjectStore(settings.local_path)
    lines: list[str] = []
    result = sync(store, settings, SyncSpec(source=str(remote)), on_line=lines.append)
    assert store.read_bytes("gdrive/raw/Psych8k/a.json").startswith(b"[")
    assert store.exists("gdrive/raw/cptsd/s1.txt")
    marker = orjson.loads(store.read_bytes(layout.SYNC_MARKER_KEY))
    assert marker["source"] == str(remote) and result.marker_key == layout.SYNC_MARKER_KEY


def test_failed_sync_writes_no_marker(tmp_path: Path) -> None:
    settings = StorageSettings(backend="local", local_path=tmp_path / "bucket")
    store = LocalObjectStore(settings.local_path)
    with pytest.raises(TerminalError, match="rclone copy"):
        sync(store, settings, SyncSpec(source="nonexistent-remote:datasets"))
    assert not store.exists(layout.SYNC_MARKER_KEY)


@pytest.mark.s3
def test_sync_to_s3_uses_env_credentials_not_argv(
    tmp_path: Path, s3_server, s3_bucket: str
) -> None:
    from pixel_platform.storage.s3 import S3ObjectStore

    remote = make_remote(tmp_path)
    settings = s3_server.settings(s3_bucket)
    dest, env = rclone_destination(settings, "gdrive/raw/")
    assert (
        settings.secret_key not in dest
        and env["RCLONE_S3_SECRET_ACCESS_KEY"] == settings.secret_key
    )
    store = S3ObjectStore.from_settings(settings)
    sync(store, settings, SyncSpec(source=str(remote)))
    assert store.exists("gdrive/raw/Psych8k/a.json")
    assert store.exists(layout.SYNC_MARKER_KEY)

import shutil
from pathlib import Path

import dagster as dg
import pytest

from pixel_platform.defs.definitions import defs
from pixel_platform.defs.resources import RcloneSyncResource, StorageResource
from pixel_platform.pipeline import layout
from pixel_platform.storage.local import LocalObjectStore


@pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone missing; run scripts/setup.sh")
def test_gdrive_sync_job_copies_then_writes_marker(tmp_path: Path) -> None:
    remote = tmp_path / "remote" / "cptsd"
    remote.mkdir(parents=True)
    (remote / "s1.txt").write_text("Client: I froze again.\nTherapist: What did you notice?")
    store = LocalObjectStore(tmp_path / "bucket")
    job = defs.resolve_job_def("gdrive_sync_job")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance,
            resources={
                "storage": StorageResource(backend="local", local_path=str(store.root)),
                "rclone": RcloneSyncResource(source=str(tmp_path / "remote")),
            },
        )
    assert result.success
    assert store.exists("gdrive/raw/cptsd/s1.txt")
    assert store.exists(layout.SYNC_MARKER_KEY)


def test_gdrive_sync_job_without_source_fails_clearly(tmp_path: Path) -> None:
    job = defs.resolve_job_def("gdrive_sync_job")
    with dg.instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance,
            resources={
                "storage": StorageResource(backend="local", local_path=str(tmp_path)),
                "rclone": RcloneSyncResource(source=""),
            },
            raise_on_error=False,
        )
    assert not result.success
    message = result.get_step_failure_events()[0].step_failure_data.user_failure_data.description
    assert "PIXEL_RCLONE_SOURCE" in message

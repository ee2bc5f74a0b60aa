import dagster as dg

from pixel_platform.defs.definitions import defs
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.pipeline import layout
from pixel_platform.storage.local import LocalObjectStore


def evaluate(instance: dg.DagsterInstance, store: LocalObjectStore, cursor: str | None):
    sensor = defs.get_sensor_def("gdrive_sync_sensor")
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={
            "storage": StorageResource(backend="local", local_path=str(store.root)),
            "registry": RegistryResource(),
        },
    )
    return sensor(context), context


def test_sensor_requests_runs_only_for_changed_partitions(local_store: LocalObjectStore) -> None:
    local_store.write_bytes("gdrive/raw/Psych8k/a.json", b'[{"instruction": "a", "output": "b"}]')
    local_store.write_bytes("gdrive/raw/cptsd/s1.txt", b"Client: hi\nTherapist: hello")
    with dg.instance_for_test() as instance:
        result, _ = evaluate(instance, local_store, None)
        assert isinstance(result, dg.SkipReason) and "no sync marker" in result.skip_message

        local_store.write_bytes(layout.SYNC_MARKER_KEY, b'{"n": 1}')
        result, _ = evaluate(instance, local_store, None)
        assert isinstance(result, dg.SensorResult)
        requested = {(r.job_name, r.partition_key) for r in result.run_requests}
        assert requested == {
            ("ingest_mental_health_datasets_job", "gdrive/raw/Psych8k/"),
            ("ingest_cptsd_job", "gdrive/raw/cptsd/"),
        }
        added = {
            (r.partitions_def_name, tuple(r.partition_keys))
            for r in result.dynamic_partitions_requests
        }
        assert ("cptsd_sources", ("gdrive/raw/cptsd/",)) in added
        cursor = result.cursor

        # Same marker: nothing to do.
        again, _ = evaluate(instance, local_store, cursor)
        assert isinstance(again, dg.SkipReason)

        # One object rewritten, then a new sync marker: only that partition runs.
        local_store.write_bytes(
            "gdrive/raw/cptsd/s1.txt", b"Client: hi again\nTherapist: welcome back"
        )
        local_store.write_bytes(layout.SYNC_MARKER_KEY, b'{"n": 2, "later": true}')
        third, _ = evaluate(instance, local_store, cursor)
        assert isinstance(third, dg.SensorResult)
        assert [(r.job_name, r.partition_key) for r in third.run_requests] == [
            ("ingest_cptsd_job", "gdrive/raw/cptsd/")
        ]

"""The ingest assets end to end against the real S3 server (SeaweedFS) the fixtures start."""

import dagster as dg
import orjson
import pytest

from pixel_platform.defs.ingest.assets import build_family_assets, source_inventory
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.pipeline import layout
from pixel_platform.registry import load_registry
from pixel_platform.storage.s3 import S3ObjectStore

pytestmark = pytest.mark.s3


def s3_resources(s3_server, bucket: str) -> dict:
    return {
        "storage": StorageResource(
            backend="s3",
            bucket=bucket,
            endpoint_url=s3_server.endpoint_url,
            region=s3_server.region,
            access_key_id=s3_server.access_key,
            secret_access_key=s3_server.secret_key,
            cache_dir=None,
        ),
        "registry": RegistryResource(),
    }


def test_family_partition_on_s3(s3_server, s3_bucket: str, s3_store: S3ObjectStore) -> None:
    turns = [
        {
            "conversation": [
                {
                    "role": "seeker",
                    "content": f"Day {i} without drinking and the cravings are loud.",
                },
                {"role": "supporter", "content": "That takes real strength. What helped today?"},
            ]
        }
        for i in range(30)
    ]
    body = b"\n".join(orjson.dumps(t) for t in turns) + b"\n{not json\n"
    s3_store.write_bytes("gdrive/raw/addiction/peer.jsonl", body)
    s3_store.write_bytes("gdrive/raw/addiction/_SYNC_COMPLETE.json", b"{}")  # not data
    registry = load_registry()
    resources = s3_resources(s3_server, s3_bucket)
    with dg.instance_for_test() as instance:
        assert dg.materialize([source_inventory], instance=instance, resources=resources).success
        assert instance.get_dynamic_partitions("addiction_sources") == ["gdrive/raw/addiction/"]
        result = dg.materialize(
            build_family_assets(registry.family("addiction")),
            partition_key="gdrive/raw/addiction/",
            instance=instance,
            resources=resources,
        )
        assert result.success
    stats = orjson.loads(
        s3_store.read_bytes(layout.processed_stats_key("addiction", "gdrive/raw/addiction/"))
    )
    assert (stats["units_in"], stats["records_out"], stats["quarantined"]) == (31, 30, 1)
    assert stats["ignored_objects"] == ["gdrive/raw/addiction/_SYNC_COMPLETE.json"]
    out = s3_store.read_bytes(layout.processed_key("addiction", "gdrive/raw/addiction/"))
    first = orjson.loads(out.splitlines()[0])
    assert [m["role"] for m in first["messages"]] == ["user", "assistant"]
    assert first["metadata"]["provenance"]["source_etag"]


def test_wrong_credentials_fail_clearly_without_secret(s3_server, s3_bucket: str) -> None:
    resources = s3_resources(s3_server, s3_bucket)
    resources["storage"] = StorageResource(
        backend="s3",
        bucket=s3_bucket,
        endpoint_url=s3_server.endpoint_url,
        region=s3_server.region,
        access_key_id="WRONGKEYID123",
        secret_access_key="wrong-secret-value-xyz",
        cache_dir=None,
    )
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [source_inventory], instance=instance, resources=resources, raise_on_error=False
        )
    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error
    text = str(error.message) + "".join(error.stack) + str(error.cause)
    assert "credentials" in text.lower()
    assert "wrong-secret-value-xyz" not in text and "WRONGKEYID123" not in text

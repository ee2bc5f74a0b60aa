"""The Bias/QA check on ``dataset_release``: its thresholds come from the run config, a breach
is a WARN that blocks nothing (the gates pass, LATEST moves), its metadata holds counts, rates
and group names but never conversation text; ``require_review`` in the run config keeps LATEST
where it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import orjson

from pixel_platform.defs.curation.resources import CurationConfigResource
from pixel_platform.defs.release.assets import BIAS_QA_CHECK, dataset_release, gate_checks
from pixel_platform.defs.resources import RegistryResource, StorageResource
from pixel_platform.registry.model import Registry
from pixel_platform.release import ReleaseResult, build_release, read_latest
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.defs.support import release_instance
from pixel_platform_tests.release.support import release_options
from pixel_platform_tests.release.synthetic import append_records, write_inputs

CANARY = "Zqxcanary"
USER = f"As a Muslim woman named {CANARY} I feel so alone."
REPLY = f"Please call 988, {CANARY}."


def _release_with_mentions(
    store: ObjectStore, registry: Registry, config: Any, *, force: bool = False, **overrides: Any
) -> ReleaseResult:
    """The synthetic release, with a canary in the user turns and replies of planted records
    that mention a group."""
    inputs = write_inputs(store, registry)
    append_records(
        store, registry, inputs, 4, seed=3, first_index=3000,
        user_prefix=f"{USER} ", reply_prefix=f"{REPLY} ",
    )  # fmt: skip
    return build_release(
        store, registry, inputs.inputs, inputs.accounting, inputs.snapshots,
        release_options(**overrides),
    )  # fmt: skip


instance = release_instance(_release_with_mentions)


def _run(instance: dg.DagsterInstance, bucket: Path, **config: Any) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [dataset_release, *gate_checks],
        instance=instance,
        resources={
            "storage": StorageResource(backend="local", local_path=str(bucket)),
            "registry": RegistryResource(),
            "curation": CurationConfigResource(),
        },
        run_config={"ops": {"dataset_release": {"config": {"force": True, **config}}}},
    )


def test_a_threshold_breach_warns_without_blocking_and_shows_no_text(
    instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    bucket = tmp_path / "bucket"
    result = _run(instance, bucket, bias_qa_thresholds={"min_replies": 1, "hotline_rate_gap": 0.05})
    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    bias = checks.pop(BIAS_QA_CHECK)
    assert all(e.passed for e in checks.values())  # every gate passed
    assert not bias.passed and bias.severity == dg.AssetCheckSeverity.WARN
    metadata = {k: v.value for k, v in bias.metadata.items()}
    assert metadata["warnings_by_kind"]["hotline_rate"] >= 1
    assert "religion/muslim" in metadata["names_warned"]
    assert "religion/muslim" in metadata["groups_mentioned"]
    (event,) = result.get_asset_materialization_events()
    version = str(event.materialization.metadata["version"].value)
    assert read_latest(LocalObjectStore(bucket)) == version  # a warning never holds LATEST
    assert event.materialization.metadata["awaiting_review"].value is False

    shown = orjson.dumps(
        [str(v) for e in result.get_asset_check_evaluations() for v in e.metadata.values()]
        + [str(v) for v in event.materialization.metadata.values()]
        + [entry.user_message for entry in instance.all_logs(result.run_id)]
    ).decode()
    assert CANARY not in shown and "Muslim woman" not in shown

    # The same inputs with review required: a new version, gated and published, LATEST stays.
    again = _run(instance, bucket, require_review=True)
    assert again.success
    (second,) = again.get_asset_materialization_events()
    assert second.materialization.metadata["awaiting_review"].value is True
    assert second.materialization.metadata["latest_moved"].value is False
    assert read_latest(LocalObjectStore(bucket)) == version

"""What ``pixel-platform run`` does: run the code location's jobs in-process on the configured
storage.

The jobs the UI lists (``defs/definitions.py``), bound to this run's storage and training
directories and executed against the Dagster instance in ``$DAGSTER_HOME`` (so the runs show up
in the UI's history): ``source_inventory_job``, then ``ingest_<family>_job`` per partition
(raw -> processed -> curated), ``derived_generators_job`` and the partitions it adds,
``dataset_release_job`` (dedup, the release and its gates) and ``training_job``. Which partitions
run is this command's decision; what each job does is the definitions'.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import dagster as dg
from tqdm import tqdm

from pixel_platform.cli.common import (
    ensure_dagster_home,
    has_source_objects,
    seed_sample,
    storage_settings,
)
from pixel_platform.cli.interrupts import EXIT_INTERRUPTED, StopOnSignal
from pixel_platform.cli.run import release_ops_config
from pixel_platform.defs.curation.resources import CurationConfigResource
from pixel_platform.defs.definitions import build_definitions
from pixel_platform.defs.derived.jobs import DERIVED_JOB
from pixel_platform.defs.ingest.jobs import ingest_job_name, source_inventory_job
from pixel_platform.defs.ingest.partitions import family_partitions
from pixel_platform.defs.progress import console_progress_tags
from pixel_platform.defs.release.assets import BIAS_QA_CHECK, RELEASE_KEY, gate_check_name
from pixel_platform.defs.release.jobs import dataset_release_job
from pixel_platform.defs.release.records import DIGEST_METADATA, SIGNER_METADATA
from pixel_platform.defs.resources import (
    RegistryResource,
    get_resources,
    storage_resource_from_settings,
)
from pixel_platform.defs.stale_runs import (
    process_tags,
    release_runs_of_process,
    release_stale_runs,
    slot_holders,
)
from pixel_platform.defs.training.assets import trained_model
from pixel_platform.defs.training.jobs import training_job
from pixel_platform.defs.training.resources import training_resource_from_env
from pixel_platform.derived.status import read_status
from pixel_platform.pipeline.curate import read_curated_stats
from pixel_platform.pipeline.dedup import read_dedup_stats
from pixel_platform.pipeline.inventory import take_inventory
from pixel_platform.pipeline.partition import read_partition_stats
from pixel_platform.registry.model import Registry, load_registry
from pixel_platform.release import GATES, load_manifest, read_latest
from pixel_platform.release.layout import RELEASES_PREFIX, prefix_of
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.factory import open_store
from pixel_platform.storage.settings import StorageSettings
from pixel_platform.training.evaluate import TARGETS
from pixel_platform.training.paths import local_training_dirs

DEDUP_ASSET = "deduplicated_conversations"


class RunJob(Protocol):
    """Runs one of the code location's jobs by name (``_run_pipeline``'s ``run_job``)."""

    def __call__(
        self, name: str, *, partition_key: str | None = None, ops: dict[str, Any] | None = None
    ) -> dg.ExecuteInProcessResult: ...


@dataclass
class FamilySummary:
    family: str
    partitions: int = 0
    records_in: int = 0
    processed: int = 0
    quarantined: int = 0
    curated: int = 0
    failed_partitions: list[str] = field(default_factory=list)


def resources_for(settings: StorageSettings, args: argparse.Namespace) -> dict[str, Any]:
    resources = get_resources(args.registry)
    resources["storage"] = storage_resource_from_settings(settings)
    resources["registry"] = RegistryResource(path=args.registry)
    resources["curation"] = CurationConfigResource(path=args.curation_config)
    # checkpoints and job state where `pixel-platform train status` looks (beside the bucket)
    dirs = local_training_dirs(settings)
    resources["training"] = training_resource_from_env(
        checkpoint_root=str(dirs.checkpoint_root), state_dir=str(dirs.state_dir)
    )
    return resources


def run_pipeline(args: argparse.Namespace) -> int:
    """The whole pipeline; SIGINT/SIGTERM stop it within seconds (exit 130), and runs left
    behind by a killed earlier ``run`` are released first (``defs/stale_runs.py``)."""
    home = ensure_dagster_home(args.storage_root)
    instance = dg.DagsterInstance.get()
    for released in release_stale_runs(instance):
        done = "marked failed, " if released.reason == "process gone" else ""
        print(
            f"warning: run {released.run_id} ({released.status}, {released.reason}) still held"
            f" its claims: {done}{released.slots} concurrency slot(s) freed",
            file=sys.stderr,
        )

    def cleanup() -> None:
        for released in release_runs_of_process(instance):
            print(f"canceled run {released.run_id}; {released.slots} slot(s) freed",
                  file=sys.stderr)  # fmt: skip

    grace = float(os.environ.get("PIXEL_STOP_GRACE_S", "10"))
    with StopOnSignal(cleanup, grace_s=grace) as stop:
        try:
            return _run_pipeline(args, home, instance, stop)
        except KeyboardInterrupt:
            cleanup()
            print("interrupted: stopped; no release was published by this run", file=sys.stderr)
            return EXIT_INTERRUPTED


def _run_pipeline(
    args: argparse.Namespace, home: Path, instance: dg.DagsterInstance, stop: StopOnSignal
) -> int:
    settings = storage_settings(args.storage_root)
    store = open_store(settings)
    if settings.backend == "local" and not args.no_sample and not has_source_objects(store):
        copied = seed_sample(store)
        print(f"seeded {store.uri()} with the bundled sample corpus ({copied} objects)")
    registry = load_registry(args.registry)
    resources = resources_for(settings, args)
    # Dagster's console logger prints every event at DEBUG; the UI keeps them all anyway.
    level = "DEBUG" if args.verbose else "WARNING"
    run_config = {"loggers": {"console": {"config": {"log_level": level}}}}
    # The stages' INFO lines would break the bars; the bars (and the UI's run log) say it all.
    bars = sys.stderr.isatty() and not args.verbose
    if bars:
        logging.getLogger("pixel_platform").setLevel(logging.WARNING)
    print(f"storage: {store.uri()}  dagster home: {home}")

    definitions = build_definitions(args.registry, resources)
    tags = {
        "pixel/trigger": "cli-run",
        "pixel/storage": store.uri(),
        **(console_progress_tags() if bars else {}),  # dedup, release, gates
        **process_tags(),
    }

    def run_job(
        name: str, *, partition_key: str | None = None, ops: dict[str, Any] | None = None
    ) -> dg.ExecuteInProcessResult:
        stop.check()
        job = definitions.resolve_job_def(name)
        wait_visibly_for_pools(instance, job)
        result = job.execute_in_process(
            instance=instance,
            partition_key=partition_key,
            run_config={**run_config, "ops": ops} if ops else run_config,
            raise_on_error=False,
            tags=tags,
        )
        stop.check()  # an interrupted run is canceled, not a failure to carry on after
        return result

    if not run_job(source_inventory_job.name).success:
        print("error: source_inventory failed; see the run in the Dagster UI", file=sys.stderr)
        return 1

    families = args.family or list(registry.families)
    derived_keys = {
        s.location for f in registry.families.values() for s in f.sources if s.produced_by
    }
    # 1. partitions of synced sources; 2. derived generators (they read curated outputs);
    # 3. the inventory again to register the derived partitions; 4. those partitions.
    # Only partitions that hold objects in this bucket now run: a partition registered by an
    # earlier run (another bucket, a removed source) has nothing to snapshot.
    live = live_partitions(store, registry)
    summaries = run_family_partitions(
        store, registry, families, instance, run_job,
        lambda key: key in live and key not in derived_keys,
    )  # fmt: skip
    if not args.family:
        if not run_job(DERIVED_JOB).success:
            print("error: a derived asset failed; see the run in the UI", file=sys.stderr)
            return 1
        derived = definitions.resolve_job_def(DERIVED_JOB)
        print_generator_outcomes(
            store, sorted(key.to_user_string() for key in derived.asset_layer.selected_asset_keys)
        )
        if not run_job(source_inventory_job.name).success:
            return 1
        live = live_partitions(store, registry)
        more = run_family_partitions(
            store, registry, families, instance, run_job,
            lambda key: key in live and key in derived_keys,
        )  # fmt: skip
        summaries = merge_summaries(summaries, more)
    print_summary(summaries)
    idle = registered_without_objects(registry, families, instance, live)
    if idle:
        print(f"not run: {len(idle)} registered partition(s) with no objects in this bucket now:")
        print("  " + ", ".join(idle))
    failed = [f"{s.family}:{p}" for s in summaries for p in s.failed_partitions]
    if failed:
        print(f"error: {len(failed)} partition(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1

    code = build_and_report_release(store, run_job, release_ops_config(args))
    if code != 0 or args.no_train:
        return code
    return train_and_evaluate(run_job)


def wait_visibly_for_pools(instance: dg.DagsterInstance, job: dg.JobDefinition) -> None:
    """Say so when a pool one of the job's steps uses is held by another run: it will wait."""
    pools = set().union(*(node.definition.pools for node in job.nodes_in_topological_order))
    for pool in sorted(pools):
        holders = slot_holders(instance, pool)
        if holders:
            print(f"waiting for pool {pool}: held by run(s) {', '.join(holders)} (a build in"
                  " progress; Ctrl-C to stop)", file=sys.stderr)  # fmt: skip


def print_dedup(store: ObjectStore) -> None:
    dedup = read_dedup_stats(store)
    assert dedup is not None
    stats = dedup.stats
    print(
        f"dedup: {stats.records_in} curated -> {stats.kept} kept"
        f" ({stats.dropped_exact} exact, {stats.dropped_near} near duplicates dropped;"
        f" duplicate rate after {stats.duplicate_rate_after:.3%})"
    )


def build_and_report_release(
    store: ObjectStore, run_job: RunJob, ops: dict[str, Any] | None = None
) -> int:
    """``dataset_release_job``: dedup, then the release and its gates; prints what it built."""
    result = run_job(dataset_release_job.name, ops=ops)
    if not result.is_node_success(DEDUP_ASSET):
        print(f"error: {DEDUP_ASSET} failed; see the run in the UI", file=sys.stderr)
        return 1
    print_dedup(store)
    if not result.success:
        print("error: dataset_release failed; see the run in the Dagster UI", file=sys.stderr)
        return 1
    events = [e for e in result.get_asset_materialization_events() if e.asset_key == RELEASE_KEY]
    if events:
        version = str(events[0].materialization.metadata["version"].value)
        checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    else:  # LATEST was built from these same inputs: nothing built, its recorded gates stand
        version = read_latest(store) or ""
        manifest = load_manifest(store, version)
        print(f"release {version} is up to date with its inputs: no new version built")
        checks = {
            gate_check_name(g["name"]): bool(g["passed"]) for g in manifest["gates"]["results"]
        }
    manifest = load_manifest(store, version)
    print(f"release {version}: {manifest['counts']['total']} records")
    skipped = (manifest.get("options") or {}).get("derived_skipped") or {}
    for family, reason in sorted(skipped.items()):
        print(f"  derived family {family} skipped (recorded in the manifest): {reason}")
    for waiver in (manifest.get("options") or {}).get("coverage_waivers") or ():
        print(f"  coverage waived for {waiver['family']} ({waiver['source']}): {waiver['reason']}")
    print(f"  {store.uri(prefix_of(RELEASES_PREFIX, version))}")
    if events:  # the anchor kept outside the bucket (`verify --manifest-digest`)
        metadata = events[0].materialization.metadata
        digest, signer = metadata.get(DIGEST_METADATA), metadata.get(SIGNER_METADATA)
        if digest is not None:
            signed = f", signed by {signer.value}" if signer is not None else ""
            print(f"  manifest sha256:{digest.value}{signed}")
    print("  splits: " + ", ".join(f"{k}={v}" for k, v in manifest["counts"]["by_split"].items()))
    for gate in GATES:
        passed = checks.get(gate_check_name(gate))
        print(f"  gate {gate:13} {'PASS' if passed else 'FAIL'}")
    if checks.get(BIAS_QA_CHECK) is False:  # warnings ask for a look; they never block
        print("  bias/QA report: warnings, see reports/bias_qa.json and report.html")
    if not all(passed for name, passed in checks.items() if name != BIAS_QA_CHECK):
        print("error: the release failed a gate; LATEST did not move", file=sys.stderr)
        return 1
    return 0


def train_and_evaluate(run_job: RunJob) -> int:
    """``training_job``: the training asset (local backend by default: a tiny model on the CPU)
    and the evaluation."""
    result = run_job(training_job.name)
    if not result.is_node_success(trained_model.op.name):
        print("error: trained_model failed; see the run in the Dagster UI", file=sys.stderr)
        return 1
    trained = next(
        e for e in result.get_asset_materialization_events() if e.asset_key == trained_model.key
    ).materialization.metadata
    print(
        f"trained_model: job {trained['job_id'].value} {trained['state'].value}"
        f" ({trained['backend'].value}), checkpoints {trained['checkpoints'].value}"
    )
    if not result.success:
        print("error: model_evaluation failed; see the run in the Dagster UI", file=sys.stderr)
        return 1
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    for name, target in TARGETS.items():
        evaluation = checks[f"model_evaluation_{name}"]
        score = evaluation.metadata["score"].value
        verdict = "meets" if evaluation.passed else "below"
        print(f"  {name:26} {score:>8} ({verdict} target {target})")
    return 0


def live_partitions(store: ObjectStore, registry: Registry) -> set[str]:
    """Source locations that hold at least one data object now (what the inventory registers)."""
    return {key for keys in take_inventory(store, registry).partitions().values() for key in keys}


def registered_without_objects(
    registry: Registry, families: list[str], instance: dg.DagsterInstance, live: set[str]
) -> list[str]:
    """``family:location`` of the partitions Dagster knows that hold nothing here now."""
    idle = []
    for name in families:
        partitions_name = family_partitions(registry.family(name).name).name
        assert partitions_name is not None
        idle += [
            f"{name}:{key}"
            for key in sorted(instance.get_dynamic_partitions(partitions_name))
            if key not in live
        ]
    return idle


def print_generator_outcomes(store: ObjectStore, assets: list[str]) -> None:
    """One line per derived generator output: records written, or skipped and why."""
    print("derived generators:")
    for asset in assets:
        status = read_status(store, asset)
        for output in status.outputs if status is not None else ():
            print(f"  {asset:30} {output.key}: {output.describe()}")


def merge_summaries(a: list[FamilySummary], b: list[FamilySummary]) -> list[FamilySummary]:
    merged = {s.family: s for s in a}
    for s in b:
        m = merged[s.family]
        m.partitions += s.partitions
        m.records_in += s.records_in
        m.processed += s.processed
        m.quarantined += s.quarantined
        m.curated += s.curated
        m.failed_partitions += s.failed_partitions
    return list(merged.values())


def run_family_partitions(
    store: ObjectStore,
    registry: Registry,
    families: list[str],
    instance: dg.DagsterInstance,
    run_job: RunJob,
    wanted: Callable[[str], bool],
) -> list[FamilySummary]:
    """``ingest_<family>_job`` on every wanted partition, one run each, with a progress bar."""
    work: list[tuple[str, str]] = []
    summaries = {name: FamilySummary(name) for name in families}
    for name in families:
        partitions_name = family_partitions(registry.family(name).name).name
        assert partitions_name is not None
        work += [
            (name, key)
            for key in sorted(instance.get_dynamic_partitions(partitions_name))
            if wanted(key)
        ]
    progress = tqdm(work, desc="partitions", unit=" partition", file=sys.stderr, disable=None)
    for name, key in progress:
        summary = summaries[name]
        summary.partitions += 1
        result = run_job(ingest_job_name(name), partition_key=key)
        processed = read_partition_stats(store, name, key)
        curated = read_curated_stats(store, name, key)
        if not result.success or processed is None or curated is None:
            summary.failed_partitions.append(key)
            continue
        summary.records_in += processed.units_in
        summary.processed += processed.records_out
        summary.quarantined += processed.quarantined + curated.quarantined
        summary.curated += curated.records_out
    return list(summaries.values())


def print_summary(summaries: list[FamilySummary]) -> None:
    header = (
        f"{'family':32} {'parts':>5} {'raw in':>8} {'processed':>9} {'curated':>8}"
        f" {'quarantined':>11}"
    )
    print(header)
    print("-" * len(header))
    total = FamilySummary("total")
    for s in summaries:
        flag = "  FAILED: " + ", ".join(s.failed_partitions) if s.failed_partitions else ""
        print(
            f"{s.family:32} {s.partitions:>5} {s.records_in:>8} {s.processed:>9} {s.curated:>8}"
            f" {s.quarantined:>11}{flag}"
        )
        total.partitions += s.partitions
        total.records_in += s.records_in
        total.processed += s.processed
        total.curated += s.curated
        total.quarantined += s.quarantined
    print("-" * len(header))
    print(
        f"{'total':32} {total.partitions:>5} {total.records_in:>8} {total.processed:>9}"
        f" {total.curated:>8} {total.quarantined:>11}"
    )

"""``pixel-platform run``: materialize every asset in-process on the configured storage.

The same Dagster assets as the UI, executed with ``dg.materialize`` against the local Dagster
instance (so runs show up in the UI's history), one run per family partition.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from tqdm import tqdm

from pixel_platform.cli.common import (
    ensure_dagster_home,
    has_source_objects,
    seed_sample,
    storage_settings,
)
from pixel_platform.defs.ingest.assets import build_family_assets, source_inventory
from pixel_platform.defs.ingest.partitions import family_partitions
from pixel_platform.defs.resources import (
    RegistryResource,
    get_resources,
    storage_resource_from_settings,
)
from pixel_platform.pipeline.partition import read_partition_stats
from pixel_platform.registry.model import load_registry
from pixel_platform.storage.settings import StorageSettings, open_store


@dataclass
class FamilySummary:
    family: str
    partitions: int = 0
    records_in: int = 0
    records_out: int = 0
    quarantined: int = 0
    failed_partitions: list[str] = field(default_factory=list)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "run", help="materialize every asset on the configured storage and print a summary"
    )
    p.add_argument("--registry", help="registry YAML (default: $PIXEL_REGISTRY or the bundled one)")
    p.add_argument(
        "--storage-root", help="use a local directory as the bucket (default: env settings)"
    )
    p.add_argument("--family", action="append", help="only these families (repeatable)")
    p.add_argument(
        "--no-sample", action="store_true", help="do not seed an empty local store with the sample"
    )
    p.set_defaults(func=run)


def resources_for(settings: StorageSettings, registry_path: str | None) -> dict[str, Any]:
    resources = get_resources(registry_path)
    resources["storage"] = storage_resource_from_settings(settings)
    resources["registry"] = RegistryResource(path=registry_path)
    return resources


def run(args: argparse.Namespace) -> int:
    settings = storage_settings(args.storage_root)
    store = open_store(settings)
    if settings.backend == "local" and not args.no_sample and not has_source_objects(store):
        copied = seed_sample(store)
        print(f"seeded {store.uri()} with the bundled sample corpus ({copied} objects)")
    registry = load_registry(args.registry)
    home = ensure_dagster_home()
    instance = dg.DagsterInstance.get()
    resources = resources_for(settings, args.registry)
    print(f"storage: {store.uri()}  dagster home: {home}")

    # Dagster's console logger prints every event at DEBUG; the UI keeps them all anyway.
    run_config = {"loggers": {"console": {"config": {"log_level": "DEBUG" if args.verbose else "WARNING"}}}}
    inventory_run = dg.materialize(
        [source_inventory], instance=instance, resources=resources, run_config=run_config
    )
    if not inventory_run.success:
        print("error: source_inventory failed; see the run in the Dagster UI", file=sys.stderr)
        return 1

    families = args.family or list(registry.families)
    summaries: list[FamilySummary] = []
    work = []
    for name in families:
        partitions_name = family_partitions(registry.family(name).name).name
        assert partitions_name is not None
        for key in sorted(instance.get_dynamic_partitions(partitions_name)):
            work.append((name, key))
        summaries.append(FamilySummary(name))
    by_family = {s.family: s for s in summaries}
    assets_by_family = {
        name: build_family_assets(registry.family(name), registry) for name in families
    }

    for name, key in tqdm(
        work, desc="partitions", unit=" partition", file=sys.stderr, disable=None
    ):
        summary = by_family[name]
        summary.partitions += 1
        result = dg.materialize(
            assets_by_family[name],
            partition_key=key,
            instance=instance,
            resources=resources,
            raise_on_error=False,
            run_config=run_config,
            tags={"pixel/trigger": "cli-run"},
        )
        stats = read_partition_stats(store, name, key) if result.success else None
        if stats is None:
            summary.failed_partitions.append(key)
            continue
        summary.records_in += stats["units_in"]
        summary.records_out += stats["records_out"]
        summary.quarantined += stats["quarantined"]

    print_summary(summaries)
    failed = [f"{s.family}:{p}" for s in summaries for p in s.failed_partitions]
    if failed:
        print(f"error: {len(failed)} partition(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def print_summary(summaries: list[FamilySummary]) -> None:
    header = f"{'family':34} {'parts':>5} {'in':>8} {'out':>8} {'quarantined':>11}"
    print(header)
    print("-" * len(header))
    totals = FamilySummary("total")
    for s in summaries:
        flag = "  FAILED: " + ", ".join(s.failed_partitions) if s.failed_partitions else ""
        print(
            f"{s.family:34} {s.partitions:>5} {s.records_in:>8} {s.records_out:>8}"
            f" {s.quarantined:>11}{flag}"
        )
        totals.partitions += s.partitions
        totals.records_in += s.records_in
        totals.records_out += s.records_out
        totals.quarantined += s.quarantined
    print("-" * len(header))
    print(
        f"{'total':34} {totals.partitions:>5} {totals.records_in:>8} {totals.records_out:>8}"
        f" {totals.quarantined:>11}"
    )

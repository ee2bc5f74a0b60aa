"""``pixel-platform train submit|status|cancel|logs``: training jobs on OVH AI Training or locally.

``submit`` makes a ``TrainingJobSpec`` for a published release (``latest`` = the release LATEST
points at), stores it under ``training/specs/<version>/<spec-id>.yaml`` in the data store and
submits it. ``--dry-run`` prints the OVH ``POST /v1/job`` body and stores nothing;
``--k8s-manifest FILE`` also writes the multi-node PyTorchJob rendering. ``--wait`` follows the
job (logs to stderr) and checks its checkpoints when it is DONE.

Backends: ``local`` runs the trainer as a subprocess (release from the local data store,
checkpoints under ``--checkpoint-root``); ``ovh`` needs ``OVH_AI_TOKEN`` (and ``OVH_AI_REGION``,
default gra). ``status``/``cancel``/``logs`` take the job id; ``local-…`` ids are local jobs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import orjson

from pixel_platform.cli.common import storage_settings
from pixel_platform.core.errors import ConfigError
from pixel_platform.release.publish import read_latest
from pixel_platform.storage.factory import open_store
from pixel_platform.storage.settings import StorageSettings
from pixel_platform.training.backends import BACKENDS, TrainingBackend, open_backend
from pixel_platform.training.config import PRECISIONS, load_config
from pixel_platform.training.launch import MAX_GPUS_PER_JOB, OFFLOADS, ZERO_STAGES
from pixel_platform.training.launch_settings import (
    DEFAULT_FLAVOR,
    OVH_FLAVORS,
    REMOTE_DEFAULT_GPUS,
    REMOTE_DEFAULT_ZERO_STAGE,
    LaunchSettings,
)
from pixel_platform.training.release_job import launch_spec
from pixel_platform.training.spec import DEFAULT_IMAGE, save_spec

CHECKPOINT_BUCKET_ENV = "PIXEL_CHECKPOINT_BUCKET"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("train", help="submit and follow training jobs (OVH AI Training or local)")
    tsub = p.add_subparsers(dest="train_command", required=True)

    s = tsub.add_parser("submit", help="make a training spec for a release and submit it")
    s.add_argument(
        "--backend",
        choices=BACKENDS,
        default="local",
        help="local (a subprocess on this machine; default) or ovh (OVH AI Training: needs"
        " OVH_AI_TOKEN, region OVH_AI_REGION, default gra)",
    )
    s.add_argument("--release", default="latest", help="a release version, or latest (default)")
    s.add_argument(
        "--config",
        help="training config YAML (model, stages, hyperparameters; default: the bundled one,"
        " or $PIXEL_TRAINING_CONFIG in Dagster)",
    )
    s.add_argument(
        "--image",
        default=os.environ.get("PIXEL_TRAINER_IMAGE", DEFAULT_IMAGE),
        help=f"trainer image OVH runs (default: $PIXEL_TRAINER_IMAGE, else {DEFAULT_IMAGE})",
    )
    s.add_argument(
        "--flavor",
        help=f"OVH GPU flavor (default {DEFAULT_FLAVOR}; one of {', '.join(OVH_FLAVORS)})",
    )
    s.add_argument(
        "--gpus",
        type=int,
        help=f"GPUs of one job (ovh: 1-{MAX_GPUS_PER_JOB}, default {REMOTE_DEFAULT_GPUS};"
        " local: 1)",
    )
    s.add_argument(
        "--zero-stage",
        type=int,
        choices=ZERO_STAGES,
        help=f"DeepSpeed ZeRO stage, 0 = none (default: the training config's, else"
        f" {REMOTE_DEFAULT_ZERO_STAGE} on ovh, none locally)",
    )
    s.add_argument("--offload", choices=OFFLOADS, default="none", help="ZeRO CPU offload")
    s.add_argument(
        "--precision", choices=PRECISIONS, help="default: the training config's runtime.precision"
    )
    s.add_argument(
        "--timeout", type=int, default=24 * 3600, help="job timeout in seconds (default 86400)"
    )
    s.add_argument(
        "--checkpoint-bucket",
        default=os.environ.get(CHECKPOINT_BUCKET_ENV, "pixelated-checkpoints"),
        help=f"bucket for OVH checkpoints (default: ${CHECKPOINT_BUCKET_ENV}, else"
        " pixelated-checkpoints)",
    )
    s.add_argument(
        "--checkpoint-prefix", default="", help="key prefix inside the checkpoint bucket"
    )
    s.add_argument(
        "--datastore-alias",
        default=os.environ.get("OVH_AI_DATASTORE_ALIAS", "GRA"),
        help="OVH datastore alias of the buckets (default: $OVH_AI_DATASTORE_ALIAS, else GRA)",
    )
    s.add_argument(
        "--label", action="append", default=[], metavar="KEY=VALUE", help="job label (repeatable)"
    )
    s.add_argument(
        "--storage-root",
        help="local data store (forces the local storage backend; default: the storage"
        " settings, DATASET_STORAGE_*, ./data/bucket)",
    )
    s.add_argument(
        "--checkpoint-root",
        help="local backend: checkpoint directory (default: $PIXEL_CHECKPOINT_ROOT, else"
        " checkpoints/ beside the local bucket)",
    )
    s.add_argument("--dry-run", action="store_true", help="print the OVH job body; submit nothing")
    s.add_argument("--k8s-manifest", metavar="FILE", help="also write the multi-node PyTorchJob")
    s.add_argument("--nodes", type=int, default=2, help="nodes of the PyTorchJob rendering")
    s.add_argument("--wait", action="store_true", help="follow the job until it ends")
    s.add_argument(
        "--poll-interval", type=float, default=30.0, help="seconds between polls (default 30)"
    )
    s.set_defaults(func=submit)

    for name, func, text in (
        ("status", status, "print a job's state"),
        ("cancel", cancel, "stop a job"),
        ("logs", logs, "print a job's log"),
    ):
        c = tsub.add_parser(name, help=text)
        c.add_argument("job", help="job id (local-… for local jobs)")
        c.add_argument("--backend", choices=BACKENDS, help="default: from the job id")
        c.add_argument(
            "--storage-root",
            help="the local bucket the job trained from (its jobs are kept beside it, in"
            " training_state/; default: the storage settings, ./data/bucket)",
        )
        c.add_argument("--checkpoint-root", help="local backend: checkpoint directory")
        c.set_defaults(func=func)


def _backend_for(args: argparse.Namespace, job_id: str | None = None) -> TrainingBackend:
    name = args.backend or ("local" if (job_id or "").startswith("local-") else "ovh")
    settings = storage_settings(getattr(args, "storage_root", None))
    checkpoint_store = None
    if name == "ovh" and getattr(args, "wait", False):
        checkpoint_store = open_store(
            StorageSettings.from_env(backend="s3", bucket=args.checkpoint_bucket, cache_dir=None)
        )
    return open_backend(
        name,
        store_root=settings.local_path
        if settings.backend == "local"
        else f"s3://{settings.bucket}",
        checkpoint_root=getattr(args, "checkpoint_root", None),
        checkpoint_store=checkpoint_store,
    )


def _labels(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--label {item!r}: expected KEY=VALUE")
        out[key] = value
    return out


def submit(args: argparse.Namespace) -> int:
    settings = storage_settings(args.storage_root)
    store = open_store(settings)
    version = read_latest(store) if args.release == "latest" else args.release
    if not version:
        raise ConfigError("no release is marked LATEST; pass --release VERSION")
    config = load_config(args.config)
    # The same launch settings (defaults and refusals) as the Dagster launchpad's.
    launch = LaunchSettings(
        backend=args.backend,
        gpus=args.gpus,
        zero_stage=args.zero_stage,
        offload=args.offload,
        precision=args.precision,
        image=args.image,
        flavor=args.flavor,
        timeout_hours=args.timeout / 3600,
    ).resolve(config)
    spec = launch_spec(
        store,
        version,
        config,
        launch,
        data_bucket=settings.bucket or "local",
        checkpoint_bucket=args.checkpoint_bucket,
        checkpoint_prefix=args.checkpoint_prefix,
        datastore_alias=args.datastore_alias,
        labels=_labels(args.label),
    )
    if args.k8s_manifest:
        from pixel_platform.training.k8s import render_yaml

        Path(args.k8s_manifest).write_text(render_yaml(spec, nodes=args.nodes))
        print(f"k8s manifest: {args.k8s_manifest}", file=sys.stderr)
    if args.dry_run:
        sys.stdout.write(orjson.dumps(spec.ovh_job_body(), option=orjson.OPT_INDENT_2).decode())
        print(f"\nspec {spec.spec_id} (dry run: nothing stored or submitted)", file=sys.stderr)
        return 0
    backend = _backend_for(args)  # a missing token fails here, before anything is stored
    key = save_spec(store, spec)
    try:
        job_id = backend.submit(spec)
    except BaseException:
        store.delete(key)  # no spec of a job that never existed
        raise
    print(job_id)
    print(f"spec: {store.uri(key)}", file=sys.stderr)
    if args.wait:
        outcome = backend.wait(
            job_id, args.poll_interval, on_log=lambda line: print(line, file=sys.stderr)
        )
        print(
            f"{job_id}: {outcome.state.value}; checkpoints verified "
            f"({len(outcome.checkpoints.get('final_model') or [])} final model files)"
        )
    return 0


def status(args: argparse.Namespace) -> int:
    print(_backend_for(args, args.job).status(args.job).value)
    return 0


def cancel(args: argparse.Namespace) -> int:
    _backend_for(args, args.job).cancel(args.job)
    print(f"{args.job}: cancel requested")
    return 0


def logs(args: argparse.Namespace) -> int:
    for line in _backend_for(args, args.job).logs(args.job):
        print(line)
    return 0

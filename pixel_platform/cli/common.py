"""Helpers shared by CLI commands: Dagster home, storage from flags, logging, the bundled sample."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.settings import StorageSettings

PACKAGE_DIR = Path(__file__).resolve().parents[1]
PROJECT_ROOT = PACKAGE_DIR.parent
SAMPLE_BUCKET = PACKAGE_DIR / "sample_data" / "bucket"


def configure_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Presidio, botocore and dagster are chatty at INFO; keep our own messages readable.
    for noisy in (
        "botocore",
        "boto3",
        "urllib3",
        "s3transfer",
        "alembic",
        "presidio-analyzer",
        "great_expectations",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # In-process Dagster runs log every event at DEBUG to the console; the UI keeps them all.
    # Warnings (quarantined records: file, line and reason, never text) still show.
    if not verbose:
        logging.getLogger("dagster").setLevel(logging.WARNING)


def ensure_dagster_home(storage_root: str | None = None) -> Path:
    """Use ``$DAGSTER_HOME``; else, for ``--storage-root DIR``, ``.dagster/`` beside that bucket
    (the runs and releases of one bucket never show in another's instance); else ``.dagster/``
    in the checkout (the instance of the default bucket ``data/bucket`` and of ``make ui``).
    Give it the checkout's config.

    A home without a ``dagster.yaml`` gets a link to the checkout's (a copy where links are not
    allowed), so edits to the checkout's instance config apply.
    """
    template = PROJECT_ROOT / "dagster.yaml"
    if os.environ.get("DAGSTER_HOME"):
        home = Path(os.environ["DAGSTER_HOME"])
    elif storage_root is not None:
        home = Path(storage_root).resolve().parent / ".dagster"
    elif template.exists():
        home = PROJECT_ROOT / ".dagster"
    else:
        home = Path.home() / ".pixel_platform" / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if template.exists() and not target.exists():
        try:
            target.symlink_to(template)
        except OSError:
            shutil.copyfile(template, target)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def storage_settings(storage_root: str | None) -> StorageSettings:
    """``--storage-root DIR`` forces the local backend on DIR; otherwise the environment decides."""
    if storage_root:
        return StorageSettings.from_env(backend="local", local_path=Path(storage_root))
    return StorageSettings.from_env()


def seed_sample(store: ObjectStore) -> int:
    """Copy the bundled sample corpus into an empty store; returns the number of objects copied."""
    count = 0
    for path in sorted(SAMPLE_BUCKET.rglob("*")):
        if path.is_file():
            store.upload_file(path, path.relative_to(SAMPLE_BUCKET).as_posix())
            count += 1
    return count


def has_source_objects(store: ObjectStore) -> bool:
    return any(not info.key.startswith(("pipeline/", "exports/")) for info in store.list(""))

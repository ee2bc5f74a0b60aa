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
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def ensure_dagster_home() -> Path:
    """Use ``$DAGSTER_HOME``, else ``.dagster/`` in the checkout with the top-level dagster.yaml."""
    if os.environ.get("DAGSTER_HOME"):
        home = Path(os.environ["DAGSTER_HOME"])
        home.mkdir(parents=True, exist_ok=True)
        return home
    template = PROJECT_ROOT / "dagster.yaml"
    home = (
        (PROJECT_ROOT / ".dagster")
        if template.exists()
        else Path.home() / ".pixel_platform" / "dagster"
    )
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if template.exists() and not target.exists():
        # A link, so edits to the checkout's dagster.yaml apply; copy where links are not allowed.
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

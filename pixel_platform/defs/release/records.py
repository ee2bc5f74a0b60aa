"""What the Dagster instance recorded about each published release.

The ``dataset_release`` materialization records the sha256 of the manifest bytes the build
published (``manifest_sha256``). The instance lives outside the bucket, so someone who can
rewrite the bucket cannot change that record with it: ``pixel-platform verify --dagster-instance``
and the Hash asset check compare the published manifest with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

RELEASE_KEY = dg.AssetKey("dataset_release")
DIGEST_METADATA = "manifest_sha256"  # hex digest of the published manifest's bytes
SIGNER_METADATA = "manifest_signed_by"  # key id of its signature, or "unsigned"
PAGE = 100


def digest_metadata(metadata: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` recorded in a materialization's metadata; ``""`` when there is none."""
    entry = metadata.get(DIGEST_METADATA)
    value = getattr(entry, "value", entry)
    return f"sha256:{value}" if isinstance(value, str) and value else ""


def recorded_manifest_digest(instance: dg.DagsterInstance, version: str) -> str | None:
    """The manifest digest of ``version``'s newest materialization; ``None`` when the instance
    has no materialization of that version, or one without a digest."""
    cursor = None
    while True:
        page = instance.fetch_materializations(RELEASE_KEY, limit=PAGE, cursor=cursor)
        for record in page.records:
            materialization = record.asset_materialization
            if materialization is None:
                continue
            recorded = materialization.metadata.get("version")
            if getattr(recorded, "value", None) == version:
                return digest_metadata(materialization.metadata) or None
        if not page.has_more:
            return None
        cursor = page.cursor

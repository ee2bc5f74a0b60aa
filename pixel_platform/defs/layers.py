"""How the asset graph names a family's assets: by layer group, tags and the description's lead.

A node in Dagster's asset graph shows only the last part of its key, so ``raw/cptsd``,
``processed/cptsd`` and ``curated/cptsd`` would all read ``cptsd``. Each layer is therefore a
Dagster group of its own, named like the key's first part: the graph draws every family inside a
box titled ``raw``, ``processed`` or ``curated``, and the asset page shows the group. The tags
``layer`` and ``family`` (filterable in the graph's search: ``tag:layer=curated``) and a
description that opens with the layer and family say the same on the asset page and in the
catalog. The keys themselves never change: runs, checks and stored materializations use them.

Kinds (the badges under a node) say what the asset stores, never where: the bucket is a local
directory or S3 depending on the environment, which the definitions cannot know.
"""

from __future__ import annotations

RAW = "raw"
PROCESSED = "processed"
CURATED = "curated"
RELEASE = "release"

# What each layer's assets hold, as the description's opening words (``<Layer> <family>: …``).
LAYER_TITLES = {RAW: "Raw", PROCESSED: "Processed", CURATED: "Curated"}

# Badges. "file": the source objects as synced, in whatever format; "jsonl": conversation records.
SOURCE_FILES_KIND = "file"
RECORDS_KIND = "jsonl"
REPORT_KIND = "json"


def family_tags(layer: str, family: str, stage: str) -> dict[str, str]:
    """Tags of a family's asset in ``layer``: shown on its page, searchable in the graph."""
    return {"layer": layer, "family": family, "stage": stage}


def family_lead(layer: str, family: str) -> str:
    """The description's opening: ``Curated cptsd:`` — the label the node itself cannot show."""
    return f"{LAYER_TITLES[layer]} {family}:"


def sentence(text: str) -> str:
    """``text`` as a sentence to follow another (a registry description may lack its period)."""
    text = " ".join(text.split())
    return text if not text or text.endswith((".", "!", "?")) else f"{text}."

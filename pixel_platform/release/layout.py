"""Where a release's files live, relative to its prefix, and where releases live in the bucket.

::

    exports/staging/<build-id>/...      a build in progress (removed by the next build if killed)
    exports/builds/<build-id>.json      its marker: claimed version, host, pid, heartbeat
    exports/releases/<version>/         a release; it exists only once manifest.json is there
        manifest.json                   authoritative index, written last
        manifest.json.sig               optional Ed25519 signature of the manifest (signing.py)
        compiled/final_training_dataset.jsonl
        shards/{train,val,test}/part-NNNNN.jsonl
        stats.json  report.html
        reports/release_quarantine.jsonl
        reports/bias_qa.json            coverage and reply differences across groups (bias_qa.py)
        exports/llama_factory/dataset_info.json  exports/axolotl/datasets.yaml
        exports/pretraining/{split}.jsonl   phase A records as {"text": ...}
        exports/trl/preference_{split}.jsonl  exports/trl/kto_{split}.jsonl   phase C pairs
        curriculum/stage_order.json
    exports/releases/LATEST             {"version": ...}: moves only when every gate passed
    final_dataset/                      copy of the LATEST release: manifest, compiled, shards
    exports/cache/pii_gate/<key>.bin    digests of turns the last build's PII gate found clean
    review/decisions/<task>/<time>-<id>.jsonl   the review log (release/review.py), append-only
"""

from __future__ import annotations

import re

from pixel_platform.storage.keys import join_key

RELEASES_PREFIX = "exports/releases/"
STAGING_PREFIX = "exports/staging/"
BUILDS_PREFIX = "exports/builds/"
FINAL_PREFIX = "final_dataset/"
# What a build keeps for the next one (release.scan_cache, release.input_cache).
SCAN_CACHE_PREFIX = "exports/cache/gate_scans/"
INPUT_CACHE_PREFIX = "exports/cache/release_inputs/"
LATEST = "LATEST"

MANIFEST = "manifest.json"
# The manifest's detached signature: copied before the manifest, like every other file, but not
# listed in it (it signs the manifest's bytes, so it cannot be among them).
SIGNATURE = "manifest.json.sig"
# The files of a release that its manifest does not list; any other unlisted file is foreign.
NOT_IN_MANIFEST = frozenset({MANIFEST, SIGNATURE})
COMPILED = "compiled/final_training_dataset.jsonl"
STATS = "stats.json"
REPORT = "report.html"
QUARANTINE = "reports/release_quarantine.jsonl"
BIAS_QA = "reports/bias_qa.json"
LLAMA_FACTORY = "exports/llama_factory/dataset_info.json"
AXOLOTL = "exports/axolotl/datasets.yaml"
STAGE_ORDER = "curriculum/stage_order.json"
# Per split, written only for splits that have such records (see exports.EXPORT_FORMATS).
PRETRAINING_TEXT = "exports/pretraining/{split}.jsonl"
TRL_PREFERENCE = "exports/trl/preference_{split}.jsonl"
TRL_KTO = "exports/trl/kto_{split}.jsonl"

SPLITS = ("train", "val", "test")
SHARD_PATH = re.compile(r"^shards/(train|val|test)/part-(\d{5})\.jsonl$")
VERSION = re.compile(r"^v(\d{4}-\d{2}-\d{2})(?:-(\d+))?$")


def shard_path(split: str, number: int) -> str:
    return f"shards/{split}/part-{number:05d}.jsonl"


def prefix_of(base: str, name: str) -> str:
    """``base`` + ``name`` as a key prefix ending in ``/``."""
    return join_key(base, name) + "/"


def key_in(prefix: str, path: str) -> str:
    """The object key of ``path`` inside a release (or staging) prefix; prefix may be empty."""
    return join_key(prefix, path) if prefix else path


def version_sort_key(version: str) -> tuple[str, int, str]:
    match = VERSION.match(version)
    if match is None:
        return ("", 0, version)
    return (match.group(1), int(match.group(2) or 1), version)

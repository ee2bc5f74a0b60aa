"""Trainer-ready files beside the shards. None of them copies data: they point at the shards.

* TRL reads the shard JSONL as is (``messages`` column, ChatML roles).
* ``exports/llama_factory/dataset_info.json``: sharegpt-style entries ``pixel_train`` /
  ``pixel_val`` / ``pixel_test`` whose ``file_name`` is the split's shard folder, relative to
  that file's folder (pass ``--dataset_dir <release>/exports/llama_factory``).
* ``exports/axolotl/datasets.yaml``: ``type: chat_template`` datasets over the shard files,
  paths relative to the release root.
* ``curriculum/stage_order.json``: stages in training order (phase A, B1..B7, C) with weights and
  their shard files per split. Shards never mix stages, so a stage is a list of whole files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import yaml

from pixel_platform.release.curriculum import Curriculum
from pixel_platform.release.layout import SPLITS

CHATML_TAGS = {
    "role_tag": "role",
    "content_tag": "content",
    "user_tag": "user",
    "assistant_tag": "assistant",
    "system_tag": "system",
}


@dataclass(frozen=True)
class ShardFile:
    path: str
    split: str
    stage: str
    records: int
    bytes: int
    sha256: str


def llama_factory_info() -> bytes:
    info = {
        f"pixel_{split}": {
            "file_name": f"../../shards/{split}",
            "formatting": "sharegpt",
            "columns": {"messages": "messages"},
            "tags": CHATML_TAGS,
        }
        for split in SPLITS
    }
    return orjson.dumps(info, option=orjson.OPT_INDENT_2) + b"\n"


def _axolotl_dataset(files: list[str]) -> dict[str, Any]:
    return {
        "path": "json",
        "ds_type": "json",
        "data_files": files,
        "split": "train",
        "type": "chat_template",
        "field_messages": "messages",
        "message_property_mappings": {"role": "role", "content": "content"},
        "roles_to_train": ["assistant"],
    }


def axolotl_yaml(shards: list[ShardFile]) -> bytes:
    by_split = {split: [s.path for s in shards if s.split == split] for split in SPLITS}
    doc: dict[str, Any] = {"chat_template": "chatml", "datasets": []}
    if by_split["train"]:
        doc["datasets"].append(_axolotl_dataset(by_split["train"]))
    if by_split["val"]:
        doc["test_datasets"] = [_axolotl_dataset(by_split["val"])]
    header = (
        "# axolotl datasets for this release. Paths are relative to the release root: run axolotl\n"
        "# from a copy of the release, or prefix them with the release's s3:// URI.\n"
        "# The test split is held out for evaluation and is not listed here.\n"
    )
    return header.encode() + yaml.safe_dump(doc, sort_keys=False).encode()


def stage_order(curriculum: Curriculum, shards: list[ShardFile], families: dict[str, str]) -> bytes:
    """``families``: family -> stage, for the families that have released records."""
    stages = []
    for spec in curriculum.stages:
        mine = [s for s in shards if s.stage == spec.id]
        stages.append(
            {
                "order": spec.order,
                "id": spec.id,
                "phase": spec.phase,
                "name": spec.name,
                "weight": spec.weight,
                "families": sorted(f for f, stage in families.items() if stage == spec.id),
                "records": {
                    split: sum(s.records for s in mine if s.split == split) for split in SPLITS
                },
                "files": {split: [s.path for s in mine if s.split == split] for split in SPLITS},
            }
        )
    doc = {
        "curriculum": curriculum.name,
        "curriculum_hash": curriculum.hash,
        "phases": curriculum.phase_names,
        "note": "Train phase A, then phase B stages in order (sampling by weight), then phase C."
        " TRL and other trainers read the listed JSONL files as they are.",
        "stages": stages,
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"

"""Trainer-ready files beside the shards. None of them copies data: they point at the shards.

* TRL reads the shard JSONL as is (``messages`` column, ChatML roles).
* ``exports/llama_factory/dataset_info.json``: sharegpt-style entries ``pixel_train`` /
  ``pixel_val`` / ``pixel_test`` whose ``file_name`` is the split's shard folder, relative to
  that file's folder (pass ``--dataset_dir <release>/exports/llama_factory``).
* ``exports/axolotl/datasets.yaml``: ``type: chat_template`` datasets over the shard files,
  paths relative to the release root.
* ``curriculum/stage_order.json``: stages in training order (phase A, B1..B7, C) with weights and
  their shard files per split. Shards never mix stages, so a stage is a list of whole files.

Two kinds of record are also written in the shape their trainer expects (``EXPORT_FORMATS``), per
split, in shard order, only for splits that have such records. These files are a pure function of
the shards; the Stats gate rebuilds them from the shards and compares digests:

* phase A (``metadata.phase == "A"``): ``exports/pretraining/{split}.jsonl``, ``{"text": ...}``:
  the dialogue turns' contents joined by a blank line (a text record has exactly one);
* phase C records with ``metadata.preference = {"rejected": str, "margin", "source"}``: TRL's
  conversational preference format ``{"prompt": [...], "chosen": [{assistant}], "rejected":
  [{assistant}]}`` in ``exports/trl/preference_{split}.jsonl`` and KTO's unpaired format (one
  ``{"prompt", "completion", "label": true}`` and one ``label: false`` row per pair) in
  ``exports/trl/kto_{split}.jsonl``. The prompt is every message before the final (chosen)
  assistant turn, system prompt included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import yaml

from pixel_platform.release.curriculum import Curriculum
from pixel_platform.release.layout import PRETRAINING_TEXT, SPLITS, TRL_KTO, TRL_PREFERENCE

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


# -- phase A text and phase C preference exports -------------------------------------------------
Row = dict[str, Any]


def _metadata(record: dict[str, Any]) -> dict[str, Any]:
    metadata = record.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def _turn(message: Any) -> dict[str, str] | None:
    if not isinstance(message, dict):
        return None
    role, content = message.get("role"), message.get("content")
    if not isinstance(role, str) or not isinstance(content, str):
        return None
    return {"role": role, "content": content}


def pretraining_rows(record: dict[str, Any]) -> list[Row]:
    """``[{"text": ...}]`` for a phase A record, else ``[]``."""
    if _metadata(record).get("phase") != "A":
        return []
    turns = [_turn(m) for m in record.get("messages") or ()]
    text = "\n\n".join(t["content"] for t in turns if t and t["role"] != "system" and t["content"])
    return [{"text": text}] if text else []


def preference_parts(record: dict[str, Any]) -> tuple[list[Row], Row, Row] | None:
    """(prompt, chosen, rejected) of a preference record, or ``None`` when it is not one: a
    ``metadata.preference.rejected`` text, a final assistant turn and a user turn before it."""
    preference = _metadata(record).get("preference")
    if not isinstance(preference, dict):
        return None
    rejected = preference.get("rejected")
    turns = [_turn(m) for m in record.get("messages") or ()]
    if not isinstance(rejected, str) or not rejected.strip() or not turns or None in turns:
        return None
    prompt, chosen = turns[:-1], turns[-1]
    if chosen is None or chosen["role"] != "assistant":
        return None
    if not any(t is not None and t["role"] == "user" for t in prompt):
        return None
    return prompt, chosen, {"role": "assistant", "content": rejected}  # type: ignore[return-value]


def trl_preference_rows(record: dict[str, Any]) -> list[Row]:
    parts = preference_parts(record) if _metadata(record).get("phase") == "C" else None
    if parts is None:
        return []
    prompt, chosen, rejected = parts
    return [{"prompt": prompt, "chosen": [chosen], "rejected": [rejected]}]


def kto_rows(record: dict[str, Any]) -> list[Row]:
    return kto_pair(preference_parts(record) if _metadata(record).get("phase") == "C" else None)


def kto_pair(parts: tuple[list[Row], Row, Row] | None) -> list[Row]:
    """KTO's two unpaired rows of a preference pair: the chosen completion labelled true, the
    rejected one false (none without a pair)."""
    if parts is None:
        return []
    prompt, chosen, rejected = parts
    return [
        {"prompt": prompt, "completion": [chosen], "label": True},
        {"prompt": prompt, "completion": [rejected], "label": False},
    ]


@dataclass(frozen=True)
class ExportFormat:
    name: str
    path: str  # with a {split} field
    rows: Callable[[dict[str, Any]], list[Row]]
    phase: str  # the curriculum phase whose records it reads; rows() is [] for any other

    def path_for(self, split: str) -> str:
        return self.path.format(split=split)


EXPORT_FORMATS = (
    ExportFormat("pretraining_text", PRETRAINING_TEXT, pretraining_rows, "A"),
    ExportFormat("trl_preference", TRL_PREFERENCE, trl_preference_rows, "C"),
    ExportFormat("trl_kto", TRL_KTO, kto_rows, "C"),
)


def export_line(row: Row) -> bytes:
    return orjson.dumps(row) + b"\n"

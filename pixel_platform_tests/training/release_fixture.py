"""A minimal published release written directly, in the layout ``build_release`` produces.

Building a real release takes ~12 s (gates, MinHash, Great Expectations); the trainer only reads
the manifest, ``curriculum/stage_order.json`` and the shards, so the tests write those: two SFT
stages and a phase C stage whose records carry ``metadata.preference``, one stage per shard, every
file listed with sha256/bytes in a manifest whose gates passed. ``test_release_compat`` checks the
trainer against a release from the real builder.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import orjson

from pixel_platform.release.curriculum import load_curriculum

VERSION = "v2026-01-05"
USER = [
    "I have been feeling anxious about work and I cannot sleep at night.",
    "My partner and I keep arguing about small things and I feel alone.",
    "Since the move I have no friends here and the weekends feel empty.",
    "I keep replaying a mistake I made in a meeting and feel ashamed.",
    "My mother is ill and I am worn out from caring for her.",
    "I get panicky on the train and I have started avoiding it.",
]
ASSISTANT = [
    "That sounds exhausting. What tends to go through your mind when you lie awake?",
    "It makes sense to feel alone when the arguments keep coming. What happens just before?",
    "Moving can be lonely. What used to help you feel connected before?",
    "Replaying a mistake is painful. What would you say to a friend who made it?",
    "Caring for someone you love is hard work. Who else could share some of it with you?",
    "Panic on the train sounds frightening. What do you notice in your body when it starts?",
]
REJECTED = [
    "Just stop worrying about it.",
    "Everyone has problems, you will be fine.",
    "Sleep it off and forget it.",
]
STAGES = {  # stage -> records per split
    "stage1_foundation": {"train": 8, "val": 2, "test": 4},
    "stage2_clinical_reasoning": {"train": 6, "val": 2, "test": 4},
    "phaseC_preference": {"train": 6, "val": 2, "test": 0},
}


def corpus_texts() -> list[str]:
    return USER + ASSISTANT + REJECTED + ["You are a supportive counsellor."]


def _record(rng: random.Random, stage: str, phase: str, split: str, i: int) -> dict[str, Any]:
    k = rng.randrange(len(USER))
    messages = [
        {"role": "system", "content": "You are a supportive counsellor."},
        {"role": "user", "content": USER[k]},
        {"role": "assistant", "content": ASSISTANT[k]},
    ]
    metadata: dict[str, Any] = {
        "uid": f"{stage}-{split}-{i}",
        "stage": stage,
        "phase": phase,
        "split": split,
        "provenance": {"family": f"family_{stage}", "license": "MIT"},
    }
    if phase == "C":
        metadata["preference"] = {
            "rejected": REJECTED[i % len(REJECTED)],
            "margin": 1.0,
            "source": "test",
        }
    return {"messages": messages, "metadata": metadata}


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write_release(
    root: Path, version: str = VERSION, *, gates_passed: bool = True, phase_a: bool = False
) -> Path:
    """Write ``<root>/exports/releases/<version>/`` and return that directory. ``phase_a`` adds
    a continued-pretraining stage and its ``exports/pretraining/train.jsonl`` text export."""
    release = root / "exports" / "releases" / version
    curriculum = load_curriculum()
    rng = random.Random(5)
    files: list[dict[str, Any]] = []
    stage_files: dict[str, dict[str, list[str]]] = {}
    records: dict[str, dict[str, int]] = {}
    for split in ("train", "val", "test"):
        number = 0
        for spec in curriculum.stages:
            n = STAGES.get(spec.id, {}).get(split, 0)
            if phase_a and spec.id == "phaseA_pretraining" and split == "train":
                n = 4
            stage_files.setdefault(spec.id, {"train": [], "val": [], "test": []})
            records.setdefault(spec.id, {"train": 0, "val": 0, "test": 0})
            if n == 0:
                continue
            path = f"shards/{split}/part-{number:05d}.jsonl"
            number += 1
            data = b"".join(
                orjson.dumps(_record(rng, spec.id, spec.phase, split, i)) + b"\n" for i in range(n)
            )
            (release / path).parent.mkdir(parents=True, exist_ok=True)
            (release / path).write_bytes(data)
            files.append(
                {
                    "path": path,
                    "kind": "shard",
                    "sha256": _sha(data),
                    "bytes": len(data),
                    "records": n,
                    "split": split,
                    "stage": spec.id,
                }
            )
            stage_files[spec.id][split].append(path)
            records[spec.id][split] = n
    order = {
        "curriculum": curriculum.name,
        "curriculum_hash": curriculum.hash,
        "stages": [
            {
                "order": s.order,
                "id": s.id,
                "phase": s.phase,
                "name": s.name,
                "weight": s.weight,
                "families": [],
                "records": records[s.id],
                "files": stage_files[s.id],
            }
            for s in curriculum.stages
        ],
    }
    if phase_a:
        text = b"".join(
            orjson.dumps({"text": f"{u}\n\n{a}"}) + b"\n"
            for u, a in zip(USER, ASSISTANT, strict=True)
        )
        path = "exports/pretraining/train.jsonl"
        (release / path).parent.mkdir(parents=True, exist_ok=True)
        (release / path).write_bytes(text)
        files.append({"path": path, "kind": "export", "sha256": _sha(text), "bytes": len(text)})
    data = orjson.dumps(order, option=orjson.OPT_INDENT_2) + b"\n"
    (release / "curriculum").mkdir(parents=True, exist_ok=True)
    (release / "curriculum/stage_order.json").write_bytes(data)
    files.append(
        {
            "path": "curriculum/stage_order.json",
            "kind": "curriculum",
            "sha256": _sha(data),
            "bytes": len(data),
        }
    )
    manifest = {
        "schema": "pixel-release-manifest/1",
        "version": version,
        "files": files,
        "gates": {"passed": gates_passed, "results": [{"name": "hash", "passed": gates_passed}]},
    }
    (release / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return release

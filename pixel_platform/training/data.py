"""What a run trains on: the curriculum stages of a release and their rows, as plain Python.

* ``plan_stages`` reads ``curriculum/stage_order.json`` and returns the stages to train in order:
  phase A and B stages for SFT, then phase C for the preference trainer. Stages without train
  records are left out unless named in ``data.stages`` (then it is an error).
* SFT rows are ``{"messages": [...]}`` (metadata dropped). Records with no assistant turn cannot
  teach anything under assistant-only loss; they are skipped and counted.
* Phase A (continued pretraining) trains on plain text: the release's
  ``exports/pretraining/{split}.jsonl`` (``{"text": ...}``) when listed, else the stage's shard
  records rendered with the chat template, with the loss on every token either way.
* Preference pairs are TRL's conversational ``prompt``/``chosen``/``rejected`` rows, read from the
  release's ``exports/trl/preference_{split}.jsonl`` or derived from phase C shard records that
  carry ``metadata.preference = {"rejected": text, ...}`` (prompt = the turns before the last
  assistant turn, chosen = that turn). KTO takes each pair as two unpaired rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from pixel_platform.core.errors import ConfigError
from pixel_platform.core.record import parse_messages
from pixel_platform.release.layout import PRETRAINING_TEXT, TRL_PREFERENCE
from pixel_platform.training.release_input import ReleaseIntegrityError, VerifiedRelease

PREFERENCE_EXPORT = TRL_PREFERENCE  # the paths inside a release, from the release layout
PRETRAINING_EXPORT = PRETRAINING_TEXT
PRETRAINING_PHASE = "A"
PREFERENCE_PHASE = "C"
SFT_PHASES = ("A", "B")


@dataclass(frozen=True)
class Stage:
    id: str
    phase: str
    order: int
    weight: float
    files: dict[str, tuple[str, ...]]  # split -> shard paths
    records: dict[str, int]

    @property
    def kind(self) -> str:
        return "preference" if self.phase == PREFERENCE_PHASE else "sft"


@dataclass
class RowStats:
    read: int = 0
    kept: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {"read": self.read, "kept": self.kept, "skipped": dict(self.skipped)}


def read_stages(release: VerifiedRelease) -> list[Stage]:
    """Every stage of ``curriculum/stage_order.json``, in training order."""
    stages = [
        Stage(
            id=str(item["id"]),
            phase=str(item["phase"]),
            order=int(item["order"]),
            weight=float(item.get("weight") or 0.0),
            files={split: tuple(paths) for split, paths in (item.get("files") or {}).items()},
            records={split: int(n) for split, n in (item.get("records") or {}).items()},
        )
        for item in release.stage_order()["stages"]
    ]
    return sorted(stages, key=lambda s: s.order)


def plan_stages(release: VerifiedRelease, wanted: tuple[str, ...] = ()) -> list[Stage]:
    stages = read_stages(release)
    known = {s.id for s in stages}
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise ConfigError(f"data.stages: {unknown} are not stages of release {release.version}")
    chosen = [s for s in stages if (s.id in wanted if wanted else True)]
    out = []
    for stage in chosen:
        has_rows = stage.records.get("train", 0) > 0
        if stage.kind == "preference":
            # Pairs may also come from the TRL export, whatever the phase C shards hold.
            has_rows = has_rows or release.lists(PREFERENCE_EXPORT.format(split="train"))
        elif stage.phase == PRETRAINING_PHASE:
            has_rows = has_rows or release.lists(PRETRAINING_EXPORT.format(split="train"))
        if has_rows:
            out.append(stage)
        elif wanted:
            raise ConfigError(f"data.stages names {stage.id}, which has no train records")
    return out


def split_budget(stages: list[Stage], total: int) -> dict[str, int]:
    """``total`` steps over the stages by weight: largest remainder, at least 1 each."""
    if not stages:
        return {}
    weights = [max(s.weight, 0.0) for s in stages]
    if sum(weights) == 0:
        weights = [1.0] * len(stages)
    total = max(total, len(stages))
    exact = [total * w / sum(weights) for w in weights]
    steps = [max(1, int(x)) for x in exact]
    order = sorted(range(len(stages)), key=lambda i: (-(exact[i] - int(exact[i])), i))
    i = 0
    while sum(steps) < total:
        steps[order[i % len(order)]] += 1
        i += 1
    while sum(steps) > total:
        j = max(range(len(steps)), key=lambda k: (steps[k], -k))
        steps[j] -= 1
    return {s.id: n for s, n in zip(stages, steps, strict=True)}


def iter_records(release: VerifiedRelease, paths: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    for path in paths:
        with open(release.fetch(path), "rb") as fh:
            for line_no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:
                    # The manifest vouched for these bytes, so this is a broken build.
                    raise ReleaseIntegrityError(f"{path}:{line_no} is not JSON") from None
                if isinstance(record, dict):
                    yield record


def sft_rows(
    release: VerifiedRelease, stage: Stage, split: str, limit: int | None = None
) -> tuple[list[dict[str, Any]], RowStats]:
    stats = RowStats()
    rows: list[dict[str, Any]] = []
    for record in iter_records(release, stage.files.get(split, ())):
        stats.read += 1
        turns = parse_messages(record.get("messages"))
        if turns is None:
            stats.skipped["malformed_messages"] += 1
            continue
        if not any(t["role"] == "assistant" for t in turns):
            stats.skipped["no_assistant_turn"] += 1
            continue
        if limit is not None and len(rows) >= limit:
            stats.skipped["over_limit"] += 1
            continue
        rows.append({"messages": turns})
        stats.kept += 1
    return rows, stats


def pretraining_rows(
    release: VerifiedRelease, stage: Stage, split: str, limit: int | None = None
) -> tuple[list[dict[str, Any]], RowStats, str]:
    """Phase A rows: ``{"text"}`` from the export when listed, else ``{"messages"}`` rows."""
    export = PRETRAINING_EXPORT.format(split=split)
    if not release.lists(export):
        return (*sft_rows(release, stage, split, limit), "shards")
    stats = RowStats()
    rows: list[dict[str, Any]] = []
    for record in iter_records(release, (export,)):
        stats.read += 1
        text = record.get("text")
        if not isinstance(text, str) or not text.strip():
            stats.skipped["empty_text"] += 1
        elif limit is not None and len(rows) >= limit:
            stats.skipped["over_limit"] += 1
        else:
            rows.append({"text": text})
            stats.kept += 1
    return rows, stats, "export"


def pair_from_record(record: dict[str, Any]) -> dict[str, Any] | None:
    """A DPO pair from a record carrying ``metadata.preference``; None when it has none."""
    pref = (record.get("metadata") or {}).get("preference")
    turns = parse_messages(record.get("messages"))
    if not isinstance(pref, dict) or not isinstance(pref.get("rejected"), str) or not turns:
        return None
    last = max((i for i, t in enumerate(turns) if t["role"] == "assistant"), default=None)
    if last is None or not any(t["role"] == "user" for t in turns[:last]):
        return None  # as exports.preference_parts: the prompt needs a user turn
    return {
        "prompt": turns[:last],
        "chosen": [turns[last]],
        "rejected": [{"role": "assistant", "content": pref["rejected"]}],
    }


def preference_rows(
    release: VerifiedRelease,
    stage: Stage,
    split: str,
    source: str = "auto",
    limit: int | None = None,
) -> tuple[list[dict[str, Any]], RowStats, str]:
    """Pairs for ``split`` and where they came from (``export`` or ``metadata``)."""
    export = PREFERENCE_EXPORT.format(split=split)
    use_export = source == "export" or (source == "auto" and release.lists(export))
    stats = RowStats()
    rows: list[dict[str, Any]] = []
    if use_export:
        if not release.lists(export):
            raise ConfigError(f"data.preference_source=export but the release has no {export}")
        records: Iterator[dict[str, Any]] = iter_records(release, (export,))
    else:
        records = iter_records(release, stage.files.get(split, ()))
    for record in records:
        stats.read += 1
        if use_export:
            pair = {k: parse_messages(record.get(k)) for k in ("prompt", "chosen", "rejected")}
            ok = all(pair.values())
        else:
            found = pair_from_record(record)
            ok = found is not None
            pair = found or {}
        if not ok:
            stats.skipped["no_preference_pair"] += 1
            continue
        if limit is not None and len(rows) >= limit:
            stats.skipped["over_limit"] += 1
            continue
        rows.append(pair)
        stats.kept += 1
    return rows, stats, "export" if use_export else "metadata"


def kto_rows(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for pair in pairs:
        out.append({"prompt": pair["prompt"], "completion": pair["chosen"], "label": True})
        out.append({"prompt": pair["prompt"], "completion": pair["rejected"], "label": False})
    return out

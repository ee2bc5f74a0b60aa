# ruff: noqa: E501
"""The sample's building blocks: conversations with planted-defect tags, and the file writers.

Every writer returns a ``FileReport`` that names each planted defect by location (JSONL line,
JSON index, CSV data row), so the README and ``sample_manifest.json`` are generated, not written.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tools.sample_data import defects, dialogue, texts

BOM = b"\xef\xbb\xbf"


@dataclass(eq=False)
class Conv:
    """One planned record: turns (text may be None for planted nulls) plus what was planted."""

    turns: list[tuple[str, str | None]]
    meta: dict[str, Any] = field(default_factory=dict)
    tags: list[tuple[str, str]] = field(default_factory=list)  # (defect kind, detail)
    dup_of: Conv | None = None  # exact copy of another record in the same file
    near_dup_of: Conv | None = None
    raw: str | None = None  # a broken line written verbatim instead of a record

    def texts(self) -> list[str]:
        return [t or "" for _, t in self.turns]

    def copy(self) -> Conv:
        return Conv(list(self.turns), dict(self.meta), [])


def broken(raw: str, kind: str) -> Conv:
    return Conv([], raw=raw, tags=[(kind, "")])


# ---- applying defects to a conversation -------------------------------------------------------
def _user_indices(conv: Conv) -> list[int]:
    return [i for i, (r, _) in enumerate(conv.turns) if r == "user"]


def _assistant_indices(conv: Conv) -> list[int]:
    return [i for i, (r, _) in enumerate(conv.turns) if r == "assistant"]


def add_pii(rng: random.Random, conv: Conv, kinds: Sequence[str]) -> None:
    person = defects.fake_person(rng)
    i = rng.choice(_user_indices(conv))
    role, text = conv.turns[i]
    extra = " ".join(defects.pii_sentence(rng, k, person) for k in kinds)
    conv.turns[i] = (role, f"{text} {extra}" if rng.random() < 0.6 else f"{extra} {text}")
    for k in kinds:
        conv.tags.append(("pii", k))


def add_crisis(rng: random.Random, conv: Conv, kind: str, *, safe: bool) -> None:
    users = _user_indices(conv)
    i = users[1] if len(users) > 1 and rng.random() < 0.6 else users[0]
    conv.turns[i] = ("user", dialogue.crisis_user(rng, kind))
    if i + 1 < len(conv.turns):
        conv.turns[i + 1] = ("assistant", dialogue.crisis_reply(rng, kind, safe=safe))
    conv.tags.append(("crisis", kind))
    if not safe:
        conv.tags.append(("unsafe_crisis_reply", kind))


def add_mojibake(rng: random.Random, conv: Conv) -> None:
    candidates = [i for i, (_, t) in enumerate(conv.turns) if t]
    picks = rng.sample(candidates, k=min(len(candidates), rng.choice((1, 1, 2))))
    for i in sorted(picks):
        role, text = conv.turns[i]
        assert text is not None
        fixed = defects.curlify(text)
        if fixed.isascii():
            fixed = defects.curlify(defects.with_accents(rng, text))
        conv.turns[i] = (role, defects.mojibake(fixed))
        conv.tags.append(("mojibake", f"turn {i}"))


def make_non_alternating(rng: random.Random, conv: Conv) -> None:
    """Two user turns in a row: the first user message split in two (merge-able)."""
    role, text = conv.turns[0]
    assert role == "user" and text
    head, _sep, tail = text.partition(". ")
    if not tail:
        head, tail = (
            text,
            rng.choice(
                (
                    "Sorry, one more thing.",
                    "Also, I forgot to say, it's been worse this week.",
                    "Does that make sense?",
                )
            ),
        )
    else:
        head += "."
    conv.turns[0:1] = [("user", head), ("user", tail)]
    conv.tags.append(("non_alternating", "turns 0-1 are both user"))


def make_assistant_first(rng: random.Random, conv: Conv) -> None:
    """The export lost the opening user message: the conversation starts with the assistant."""
    del conv.turns[0]
    conv.tags.append(("assistant_first", ""))


def make_empty_turn(rng: random.Random, conv: Conv) -> None:
    i = rng.choice(_assistant_indices(conv))
    conv.turns[i] = (conv.turns[i][0], rng.choice(("", " ", "\n")))
    conv.tags.append(("empty_turn", f"turn {i}"))


def make_null_content(rng: random.Random, conv: Conv) -> None:
    i = rng.choice(_assistant_indices(conv))
    conv.turns[i] = (conv.turns[i][0], None)
    conv.tags.append(("null_content", f"turn {i}"))


def make_single_turn(rng: random.Random, conv: Conv) -> None:
    del conv.turns[1:]
    conv.tags.append(("single_turn", ""))


# The structural defects, in the order ``apply_plan`` applies them. A record gets at most one of
# these or of the crisis kinds (``plan``).
STRUCTURAL: dict[str, Callable[[random.Random, Conv], None]] = {
    "non_alternating": make_non_alternating,
    "assistant_first": make_assistant_first,
    "empty_turn": make_empty_turn,
    "null_content": make_null_content,
    "single_turn": make_single_turn,
}


def apply_plan(rng: random.Random, conv: Conv, kinds: Iterable[str], pii_cycle: list[str]) -> None:
    """Apply planted defects in a fixed order: content first, structure next, encoding last."""
    kinds = set(kinds)
    crisis_kind = rng.choice(tuple(texts.CRISIS_USER))
    if "crisis" in kinds:
        add_crisis(rng, conv, crisis_kind, safe=True)
    if "crisis_unsafe" in kinds:
        add_crisis(rng, conv, crisis_kind, safe=False)
    if "pii" in kinds:
        n = 2 if rng.random() < 0.3 else 1
        add_pii(
            rng,
            conv,
            [pii_cycle.pop(0) if pii_cycle else rng.choice(defects.PII_KINDS) for _ in range(n)],
        )
    for kind, make in STRUCTURAL.items():
        if kind in kinds:
            make(rng, conv)
    if "mojibake" in kinds:
        add_mojibake(rng, conv)
    elif rng.random() < 0.25:  # clean typographic quotes are normal, not a defect
        conv.turns = [(r, defects.curlify(t) if t else t) for r, t in conv.turns]


def plan(rng: random.Random, n: int, counts: dict[str, int]) -> list[set[str]]:
    """Spread ``counts[kind]`` defects over ``n`` records; crisis and structure kinds don't stack."""
    slots: list[set[str]] = [set() for _ in range(n)]
    exclusive = {"crisis", "crisis_unsafe", *STRUCTURAL}
    order = sorted(counts, key=lambda k: (k not in exclusive, k))
    for kind in order:
        free = [i for i in range(n) if not (kind in exclusive and slots[i] & exclusive)]
        for i in rng.sample(free, k=counts[kind]):
            slots[i].add(kind)
    return slots


def pii_cycle(rng: random.Random) -> list[str]:
    kinds = list(defects.PII_KINDS) * 4
    rng.shuffle(kinds)
    return kinds


def build_convs(
    rng: random.Random,
    n: int,
    make: Callable[[random.Random, int], Conv],
    counts: dict[str, int],
    *,
    exact_dups: int = 0,
    near_dups: int = 0,
) -> list[Conv]:
    """``n`` planned records with defects, then duplicates inserted after their originals."""
    slots = plan(rng, n, counts)
    cycle = pii_cycle(rng)
    convs = []
    for i in range(n):
        conv = make(rng, i)
        apply_plan(rng, conv, slots[i], cycle)
        convs.append(conv)
    add_duplicates(rng, convs, exact=exact_dups, near=near_dups)
    return convs


def add_duplicates(rng: random.Random, convs: list[Conv], *, exact: int, near: int) -> None:
    clean = [c for c in convs if c.raw is None and len(c.turns) >= 2 and all(t for _, t in c.turns)]
    originals = rng.sample(clean, k=exact + near)
    for k, orig in enumerate(originals):
        pos = rng.randint(convs.index(orig) + 1, len(convs))
        if k < exact:
            dup = Conv(list(orig.turns), dict(orig.meta), list(orig.tags), dup_of=orig)
        else:
            roles = [r for r, _ in orig.turns]
            changed = defects.near_duplicate(rng, orig.texts())
            dup = Conv(
                list(zip(roles, changed, strict=True)),
                dict(orig.meta),
                list(orig.tags),
                near_dup_of=orig,
            )
        convs.insert(pos, dup)


def insert_broken(
    rng: random.Random, convs: list[Conv], items: Sequence[Conv], *, at_end: bool = False
) -> None:
    for item in items:
        pos = len(convs) if at_end else rng.randint(1, len(convs) - 1)
        convs.insert(pos, item)


# ---- reports ------------------------------------------------------------------------------------
@dataclass
class FileReport:
    key: str
    family: str
    fmt: str  # the registry's input format for the source
    container: str
    # Both counted by the writer (``finish_lines``, ``finish_array``, ``finish_csv``) when 0 here.
    units: int = 0  # lines / array items / data rows / files: what a reader counts as input
    records: int = 0  # units that parse as a record (units minus broken lines)
    encoding: str = "utf-8"
    size: int = 0
    defects: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    per_record: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, where: str) -> None:
        self.defects.setdefault(kind, []).append(where)


def annotate(report: FileReport, convs: Sequence[Conv], unit: str, base: int) -> None:
    """Turn each Conv's tags into located defect entries. ``base`` is 1 for lines, 0 for indices."""
    pos = {id(c): f"{unit} {i + base}" for i, c in enumerate(convs)}
    for c in convs:
        where = pos[id(c)]
        entry: dict[str, Any] = {
            "at": where,
            "defects": [f"{k}:{d}" if d else k for k, d in c.tags],
        }
        if c.dup_of is not None:
            report.add("exact_duplicate", f"{where} = {pos[id(c.dup_of)]}")
            entry["defects"] = [f"exact_duplicate_of:{pos[id(c.dup_of)]}"]
        elif c.near_dup_of is not None:
            report.add("near_duplicate", f"{where} ~ {pos[id(c.near_dup_of)]}")
            entry["defects"] = [f"near_duplicate_of:{pos[id(c.near_dup_of)]}"] + entry["defects"]
        if c.dup_of is None:
            grouped: dict[str, list[str]] = {}
            for kind, detail in c.tags:
                if kind == "cross_family_duplicate":
                    report.add(kind, f"{where} = {detail}")
                elif kind in ("pii", "crisis", "unsafe_crisis_reply"):
                    report.add(f"{kind}:{detail}", where)
                else:
                    grouped.setdefault(kind, []).extend([detail] if detail else [])
            for kind, details in grouped.items():
                report.add(kind, f"{where} ({', '.join(details)})" if details else where)
        if entry["defects"]:
            report.per_record.append(entry)


# ---- writers ------------------------------------------------------------------------------------
class Bucket:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.reports: list[FileReport] = []

    def write(self, key: str, data: bytes) -> int:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return len(data)

    def finish(self, report: FileReport, data: bytes) -> FileReport:
        report.size = self.write(report.key, data)
        self.reports.append(report)
        return report


def dumps(obj: Any, *, ascii_only: bool = False, indent: bool = False) -> str:
    if ascii_only:
        return json.dumps(obj, ensure_ascii=True, indent=2 if indent else None)
    opts = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(obj, option=opts).decode()


def jsonl_bytes(lines: Sequence[str], *, bom: bool = False) -> bytes:
    data = "".join(f"{line}\n" for line in lines).encode("utf-8")
    return BOM + data if bom else data


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def csv_text(
    header: Sequence[str], rows: Iterable[Sequence[Any]], *, lineterminator: str = "\n"
) -> str:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator=lineterminator)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def count_tags(convs: Sequence[Conv]) -> int:
    return sum(1 for c in convs if c.raw is None)

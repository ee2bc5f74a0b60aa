"""Near-duplicate precision and recall on real text, per edit level, shingle size and threshold.

Base texts are counsel-chat (MIT; ``counsel_chat_20200325.csv``, or ``$PIXEL_COUNSEL_CHAT_CSV``;
without it the bundled 213-row subset), read through the real ingest pipeline as family
``professional_therapeutic`` builds it: the **conversations** (question title + text as the user
turn, the answer as the assistant turn; dedup compares their dialogue text) and the **answers**
alone. Texts equal after canonicalisation are one base text; the groups in
``REAL_DUPLICATE_GROUPS`` (read by hand: the same answer posted again with a few words changed)
are one base text too, because a pair of them is a true near-duplicate, not a negative.

For an edit level L (2, 5, 8, 10, 12, 15% of the words) and an edit kind (typo substitutions,
inserted words, deleted words, or a mix of the three), the corpus is every base text plus one
edited copy of each. **Positives** are the (base, its copy) pairs; **negatives** are every other
pair of the corpus, including the hard ones: different answers to the same question (which, as
conversations, share the whole user turn), answers by the same therapist (shared sign-offs), and
as conversations, one answer posted under two questions. Jaccard is exact, over the sets of
shingle hashes dedup verifies with (``MinHasher.shingle_sets``), for all pairs at once (a sparse
product). At threshold t: recall = positives with J >= t / positives; precision = positives with
J >= t / all pairs with J >= t.

Then the chosen configuration runs through the real machinery (``near.near_duplicates``: LSH,
estimate floor, exact verification) on all levels at once, which also measures what LSH loses.
"""

from __future__ import annotations

import itertools
import os
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp  # a datasketch dependency
from numpy.typing import NDArray

from pixel_platform.core.steps import ListQuarantine
from pixel_platform.curation.dedup import DedupConfig, MinHasher
from pixel_platform.curation.dedup.lsh import CandidateStats
from pixel_platform.curation.dedup.near import near_duplicates
from pixel_platform.curation.dedup.text import canonical_text, dialogue_text
from pixel_platform.curation.dedup.verify import estimate_floor
from pixel_platform.ingest.pipeline import IngestPipeline
from pixel_platform.ingest.readers import read_stream
from pixel_platform.registry.model import load_registry

REPO = Path(__file__).resolve().parents[1]
FULL_CSV = REPO.parent / "shared" / "data" / "counsel_chat_20200325.csv"
SAMPLE_CSV = (
    REPO / "pixel_platform/sample_data/bucket/acquired/counsel_chat/counsel_chat_sample.csv"
)
FAMILY = "professional_therapeutic"

LEVELS = (0.02, 0.05, 0.08, 0.10, 0.12, 0.15)
EDIT_KINDS = ("substitute", "insert", "delete", "mix")
SHINGLE_SIZES = (2, 3, 4, 5)
THRESHOLDS = tuple(round(0.30 + 0.05 * i, 2) for i in range(13))  # 0.30 .. 0.90
GOAL = {"recall_at_or_below_10pct": 0.95, "precision": 0.99}
# What LSH must do for a setting to be usable: propose a pair at the threshold almost surely, and
# propose few unrelated pairs: <= 1e-5 candidates per unrelated pair is <= 5M candidate pairs per
# million unrelated conversations, which the 1M end-to-end run checks in a few seconds.
LSH_GOAL = {"s_curve_at_threshold": 0.995, "candidates_per_pair": 1e-5}
SELECTION_RULE = (
    "goal met for conversations and answers (every level <= 10%: recall >= 0.95, precision >="
    " 0.99), a banding of <= num_perm values within lsh_goal, then the best mean recall over all"
    " levels and both kinds of text; ties: the higher threshold"
)
# Counsel-chat answers (CSV row ids, the unnamed first column) that are one answer posted again
# with a few words changed. Found by reading every pair of answers with 2-word-shingle Jaccard
# >= 0.3 (25 pairs): 270/274 (321 and 287 words, J2 0.88); 751/766/767/769 and 131, one
# "check out my blog" reply reworded (J2 0.21-0.86). The other pairs there are distinct answers
# and stay negatives: 345/1741 share one paragraph of ~500 words (J2 0.61), 1896 is the first
# sentence of 1283 (J2 0.61), 970/987 and 83/1736 are the same advice rewritten (J2 0.19-0.24).
REAL_DUPLICATE_GROUPS = ((270, 274), (131, 751, 766, 767, 769))
FILLERS = ("really", "just", "so", "very", "also", "maybe", "then", "now", "still", "even")


@dataclass(frozen=True)
class Base:
    row: int  # CSV row id
    question: str
    therapist: str
    answer_key: bytes  # canonical answer text: "one answer under two questions"
    text: str


def counsel_chat_csv() -> Path:
    configured = os.environ.get("PIXEL_COUNSEL_CHAT_CSV")
    if configured:
        return Path(configured)
    return FULL_CSV if FULL_CSV.is_file() else SAMPLE_CSV


@dataclass(frozen=True)
class Row:
    row: int  # CSV row id
    question: str
    therapist: str
    conversation: str  # dialogue text of the processed record
    answer: str  # its assistant turn


def load_rows(path: Path) -> list[Row]:
    """Every counsel-chat row as the ingest pipeline turns it into a conversation."""
    registry = load_registry()
    family = registry.family(FAMILY)
    pipeline = IngestPipeline(
        registry, family, fmt="qa", license=family.license, ingested_at="2020-03-25T00:00:00+00:00"
    )
    with path.open("rb") as fh:
        records = [r.to_dict() for r in pipeline.run(read_stream(fh, path.name), ListQuarantine())]
    return [
        Row(
            int(r["metadata"]["source_fields"]["column_0"]),
            str(r["metadata"]["source_fields"]["questionID"]),
            str(r["metadata"]["source_fields"]["therapistInfo"]),
            dialogue_text(r),
            r["messages"][-1]["content"],
        )
        for r in records
    ]


def load_bases(rows: list[Row]) -> dict[str, list[Base]]:
    """``{"conversations": [...], "answers": [...]}``: the distinct base texts of each kind."""
    group_of = {row: group[0] for group in REAL_DUPLICATE_GROUPS for row in group}
    out: dict[str, list[Base]] = {}
    for mode in ("conversations", "answers"):
        seen: set[Any] = set()
        bases = []
        for r in rows:
            text = r.conversation if mode == "conversations" else r.answer
            # One base per real-duplicate group (as conversations: per group and question).
            group = group_of.get(r.row)
            keys: list[Any] = [canonical_text(text)]
            if group is not None:
                keys.append((group, r.question if mode == "conversations" else None))
            if any(key in seen for key in keys):
                continue
            seen.update(keys)
            bases.append(Base(r.row, r.question, r.therapist, canonical_text(r.answer), text))
        out[mode] = bases
    return out


# -- edits -----------------------------------------------------------------------------------------
def _typo(rng: random.Random, word: str) -> str:
    """A light typo: two letters swapped, one dropped, one inserted or one replaced."""
    if len(word) < 2:
        return word + rng.choice("aeiou")
    i = rng.randrange(len(word) - 1)
    op = rng.randrange(4)
    if op == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == 1:
        return word[:i] + word[i + 1 :]
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    return word[:i] + letter + word[i + (op == 3) :]


def edit_words(rng: random.Random, text: str, fraction: float, kind: str) -> str:
    """``text`` with ``round(fraction * words)`` (at least one) edits of ``kind`` at random
    places; whitespace between untouched words is kept."""
    words = text.split(" ")
    n = max(1, round(fraction * len(text.split())))
    for _ in range(n):
        op = kind if kind != "mix" else rng.choice(EDIT_KINDS[:3])
        if op == "substitute":
            i = rng.randrange(len(words))
            words[i] = _typo(rng, words[i])
        elif op == "insert":
            i = rng.randrange(len(words) + 1)
            words.insert(i, rng.choice(FILLERS) if rng.random() < 0.7 else words[i - 1])
        elif len(words) > 1:
            del words[rng.randrange(len(words))]
    return " ".join(words)


# -- exact Jaccard of all pairs --------------------------------------------------------------------
def shingle_matrix(texts: list[str], k: int) -> sp.csr_matrix:
    """Documents x shingle hashes, binary: the sets exact verification uses."""
    hasher = MinHasher(DedupConfig(shingle_size=k))
    values, sizes = [], []
    for s in range(0, len(texts), 1024):
        v, n = hasher.shingle_sets(texts[s : s + 1024])
        values.append(v)
        sizes.append(n)
    hashes = np.concatenate(values)
    columns, inverse = np.unique(hashes, return_inverse=True)
    indptr = np.r_[0, np.cumsum(np.concatenate(sizes))]
    data = np.ones(hashes.size, dtype=np.int32)
    return sp.csr_matrix((data, inverse, indptr), shape=(len(texts), columns.size))


def pair_jaccard(
    matrix: sp.csr_matrix, floor: float = 0.0, block: int = 1000
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    """Every pair ``i < j`` sharing a shingle (and at ``floor`` or above), with its exact
    Jaccard; a block of rows at a time, so the product never holds every pair at once."""
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    transposed = matrix.T.tocsc()
    parts: list[tuple[NDArray[Any], NDArray[Any], NDArray[Any]]] = []
    for start in range(0, matrix.shape[0], block):
        inter = (matrix[start : start + block] @ transposed).tocoo()
        i = inter.row + start
        upper = i < inter.col
        i, j, n = i[upper], inter.col[upper], inter.data[upper]
        jac = n / (sizes[i] + sizes[j] - n)
        keep = jac >= floor if floor > 0 else np.ones(jac.size, dtype=bool)
        parts.append((i[keep], j[keep], jac[keep]))
    if not parts:
        empty = np.zeros(0)
        return empty.astype(np.int64), empty.astype(np.int64), empty
    return tuple(np.concatenate([p[x] for p in parts]) for x in range(3))  # type: ignore[return-value]


def category(a: Base, b: Base, mode: str) -> str:
    if a.question == b.question:
        return "same_question"
    if mode == "conversations" and a.answer_key == b.answer_key:
        return "same_answer_other_question"
    if a.therapist == b.therapist:
        return "same_therapist"
    return "other"


@dataclass
class Scored:
    positive: NDArray[np.float64]  # J of (base i, copy i), i = 0..n-1
    # The other pairs at or above the lowest threshold of the sweep (only those can count), with
    # the base indices of their two texts.
    negative: NDArray[np.float64]
    negative_left: NDArray[np.int64]
    negative_right: NDArray[np.int64]


def score(bases: list[Base], k: int, level: float, kind: str, seed: int) -> Scored:
    rng = random.Random(seed)
    copies = [edit_words(rng, b.text, level, kind) for b in bases]
    n = len(bases)
    # A copy's own pair may be below the sweep: read those from the matrix directly.
    matrix = shingle_matrix([b.text for b in bases] + copies, k)
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    inter = np.asarray(matrix[:n].multiply(matrix[n:]).sum(axis=1)).ravel()
    positive = inter / (sizes[:n] + sizes[n:] - inter)
    i, j, jac = pair_jaccard(matrix, floor=min(THRESHOLDS))
    keep = j != i + n
    return Scored(positive, jac[keep], i[keep] % n, j[keep] % n)


def precision_recall(scored: Scored, threshold: float) -> tuple[float | None, float, int]:
    """Precision (None when nothing reaches the threshold), recall, false pairs."""
    tp = int(np.count_nonzero(scored.positive >= threshold))
    fp = int(np.count_nonzero(scored.negative >= threshold))
    precision = tp / (tp + fp) if tp + fp else None
    return precision, tp / scored.positive.size, fp


def _cell(scored: Scored, threshold: float) -> dict[str, Any]:
    precision, recall, fp = precision_recall(scored, threshold)
    return {
        "precision": None if precision is None else round(precision, 4),
        "recall": round(recall, 4),
        "false_pairs": fp,
    }


# -- the study -------------------------------------------------------------------------------------
def curve(
    bases: dict[str, list[Base]], log: Callable[[str], None]
) -> tuple[dict[str, Any], dict[tuple[str, int, float], Scored]]:
    """``{mode: {k: {threshold: {level: {precision, recall, false_pairs}}}}}`` for mixed edits."""
    table: dict[str, Any] = {}
    kept: dict[tuple[str, int, float], Scored] = {}
    for mode, k in itertools.product(bases, SHINGLE_SIZES):
        per_t: dict[str, dict[str, Any]] = {f"{t:.2f}": {} for t in THRESHOLDS}
        for level in LEVELS:
            scored = score(bases[mode], k, level, "mix", seed=int(level * 1000) + k)
            kept[(mode, k, level)] = scored
            for t in THRESHOLDS:
                per_t[f"{t:.2f}"][f"{level:.2f}"] = _cell(scored, t)
        table.setdefault(mode, {})[str(k)] = per_t
        log(f"curve: {mode} k={k} done")
    return table, kept


def feasible(table: dict[str, Any], k: int, t: float) -> bool:
    """The goal, for both kinds of text: at every edit level up to 10%, recall and precision."""
    for mode in table:
        for level, cell in table[mode][str(k)][f"{t:.2f}"].items():
            if float(level) > 0.10:
                continue
            if cell["recall"] < GOAL["recall_at_or_below_10pct"]:
                return False
            if cell["precision"] is not None and cell["precision"] < GOAL["precision"]:
                return False
    return True


def _pairs_sharing(values: list[str]) -> int:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return sum(c * (c - 1) // 2 for c in counts.values())


@dataclass
class Background:
    """Exact Jaccard of the pairs of unrelated conversations (other question, other therapist)
    that share a shingle, and how many unrelated pairs there are in all."""

    jaccard: NDArray[np.float64]
    pairs: float


def background(bases: list[Base], k: int) -> Background:
    i, j, jac = pair_jaccard(shingle_matrix([b.text for b in bases], k))
    unrelated = np.array(
        [category(bases[a], bases[b], "answers") == "other" for a, b in zip(i, j, strict=True)],
        dtype=bool,
    )
    n = len(bases)
    related = (
        _pairs_sharing([b.question for b in bases])
        + _pairs_sharing([b.therapist for b in bases])
        - _pairs_sharing([f"{b.question}\x00{b.therapist}" for b in bases])
    )
    return Background(jac[unrelated], n * (n - 1) / 2 - related)


def banding(threshold: float, bg: Background, num_perm: int) -> dict[str, Any] | None:
    """The bands x rows (<= num_perm values) that proposes a pair at the threshold with
    probability >= ``LSH_GOAL["s_curve_at_threshold"]`` with the fewest background candidates:
    expected candidates per unrelated pair, so n unrelated conversations cost about that times
    n^2/2 candidate checks."""
    best: dict[str, Any] | None = None
    for rows in range(1, 17):
        bands = num_perm // rows
        at_threshold = 1.0 - (1.0 - threshold**rows) ** bands
        if at_threshold < LSH_GOAL["s_curve_at_threshold"]:
            continue
        per_pair = float((1.0 - (1.0 - bg.jaccard**rows) ** bands).sum() / bg.pairs)
        if best is None or per_pair < best["candidates_per_unrelated_pair"]:
            best = {
                "bands": bands,
                "rows": rows,
                "s_curve_at_threshold": round(at_threshold, 5),
                "candidates_per_unrelated_pair": per_pair,
                "candidates_per_1m_unrelated": round(per_pair * 1e12 / 2),
            }
    return best


def select(
    table: dict[str, Any], backgrounds: dict[int, Background], num_perm: int
) -> dict[str, Any]:
    """Per shingle size, the thresholds that meet the goal and that LSH can serve (a banding
    within ``LSH_GOAL``); the pick is the one with the best mean recall over every level and
    both kinds of text (ties: the higher threshold)."""
    per_k: dict[str, Any] = {}
    options = []
    for k in SHINGLE_SIZES:
        rows = []
        for t in THRESHOLDS:
            if not feasible(table, k, t):
                continue
            band = banding(t, backgrounds[k], num_perm)
            servable = bool(
                band and band["candidates_per_unrelated_pair"] <= LSH_GOAL["candidates_per_pair"]
            )
            cells = [c for m in table for c in table[m][str(k)][f"{t:.2f}"].values()]
            mean_recall = round(float(np.mean([c["recall"] for c in cells])), 4)
            rows.append(
                {"threshold": t, "mean_recall": mean_recall, "lsh_servable": servable, "lsh": band}
            )
            if servable and band is not None:
                options.append((mean_recall, t, k, band))
        per_k[str(k)] = rows
    pick: dict[str, Any] | None = None
    if options:
        mean_recall, t, k, band = max(options, key=lambda o: (o[0], o[1]))
        pick = {"shingle_size": k, "threshold": t, "mean_recall": mean_recall, **band}
    return {"rule": SELECTION_RULE, "lsh_goal": LSH_GOAL, "pick": pick, "per_shingle_size": per_k}


def kinds_at(bases: dict[str, list[Base]], config: DedupConfig) -> dict[str, Any]:
    """Recall and precision per edit kind at the chosen setting."""
    out: dict[str, Any] = {}
    for mode in bases:
        for kind in EDIT_KINDS:
            row = {}
            for level in LEVELS:
                scored = score(bases[mode], config.shingle_size, level, kind, seed=int(level * 997))
                row[f"{level:.2f}"] = _cell(scored, config.threshold)
            out.setdefault(mode, {})[kind] = row
    return out


def false_pairs_at(
    bases: dict[str, list[Base]], kept: dict[tuple[str, int, float], Scored], config: DedupConfig
) -> dict[str, Any]:
    """The negatives at or above the chosen threshold (mixed edits), by category, with row ids."""
    out: dict[str, Any] = {}
    for mode in bases:
        found: dict[tuple[int, int], tuple[str, float]] = {}
        for level in LEVELS:
            scored = kept[(mode, config.shingle_size, level)]
            pairs = zip(scored.negative_left.tolist(), scored.negative_right.tolist(), strict=True)
            for (a, b), jac in zip(pairs, scored.negative.tolist(), strict=True):
                if jac >= config.threshold:
                    ra, rb = bases[mode][a].row, bases[mode][b].row
                    rows = (min(ra, rb), max(ra, rb))
                    cat = category(bases[mode][a], bases[mode][b], mode)
                    found[rows] = (cat, max(jac, found.get(rows, ("", 0.0))[1]))
        by_cat: dict[str, int] = {}
        for cat, _ in found.values():
            by_cat[cat] = by_cat.get(cat, 0) + 1
        out[mode] = {
            "distinct_base_pairs": len(found),
            "by_category": dict(sorted(by_cat.items())),
            "pairs": [
                {"rows": list(rows), "category": cat, "max_jaccard": round(j, 3)}
                for rows, (cat, j) in sorted(found.items())
            ],
        }
    return out


def real_duplicates_at(rows: list[Row], config: DedupConfig) -> list[dict[str, Any]]:
    """Exact Jaccard of the hand-labelled duplicate answers, and whether they merge."""
    answers = {r.row: r.answer for r in rows}
    out = []
    for group in REAL_DUPLICATE_GROUPS:
        for a, b in itertools.combinations(group, 2):
            if a in answers and b in answers:
                matrix = shingle_matrix([answers[a], answers[b]], config.shingle_size)
                value = float(pair_jaccard(matrix)[2].max(initial=0.0))
                out.append(
                    {
                        "rows": [a, b],
                        "jaccard": round(value, 3),
                        "merged": value >= config.threshold,
                    }
                )
    return out


def through_the_machinery(bases: list[Base], config: DedupConfig) -> dict[str, Any]:
    """Every level at once (one mixed-edit copy of each base per level) through LSH, the
    estimate floor and exact verification (``near.near_duplicates``)."""
    rng = random.Random(99)
    n = len(bases)
    texts = [b.text for b in bases]
    for level in LEVELS:
        texts += [edit_words(rng, b.text, level, "mix") for b in bases]
    origin = np.arange(len(texts)) % n  # copy c of level l sits at (l + 1) * n + base
    hasher = MinHasher(config)
    signatures = np.concatenate(
        [hasher.signatures(texts[s : s + 1024])[0] for s in range(0, len(texts), 1024)]
    )
    stats = CandidateStats()
    with tempfile.TemporaryDirectory(prefix="dedup-curve-") as work:
        near = near_duplicates(
            signatures,
            np.arange(len(texts), dtype=np.int64),
            config,
            lambda docs: (texts[d] for d in docs.tolist()),
            Path(work),
            stats,
        )
        near.shingles.close()
    left, right = near.edges.left, near.edges.right
    found = set((left * len(texts) + right).tolist())
    matrix = shingle_matrix(texts, config.shingle_size)
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    per_level: dict[str, Any] = {}
    for number, level in enumerate(LEVELS, 1):
        base = np.arange(n)
        copy = base + number * n
        inter = np.asarray(matrix[base].multiply(matrix[copy]).sum(axis=1)).ravel()
        exact = inter / (sizes[base] + sizes[copy] - inter)
        hit = np.isin(base * len(texts) + copy, list(found))
        per_level[f"{level:.2f}"] = {
            "recall": round(float(hit.mean()), 4),
            "pairs_at_or_above_threshold": int(np.count_nonzero(exact >= config.threshold)),
            "missed_by_lsh_or_floor": int(np.count_nonzero((exact >= config.threshold) & ~hit)),
        }
    different = int(np.count_nonzero(origin[left] != origin[right]))
    return {
        "documents": len(texts),
        "candidate_pairs": stats.candidate_pairs,
        "plausible_pairs": stats.plausible_pairs,
        "verified_pairs": int(left.size),
        "pairs_of_different_bases": different,
        "pair_precision": round(1 - different / max(1, left.size), 4),
        "per_level": per_level,
    }


def study(config: DedupConfig, log: Callable[[str], None] = print) -> dict[str, Any]:
    path = counsel_chat_csv()
    rows = load_rows(path)
    bases = load_bases(rows)
    log(f"base texts: { {m: len(b) for m, b in bases.items()} } from {path.name}")
    table, kept = curve(bases, log)
    backgrounds = {k: background(bases["conversations"], k) for k in SHINGLE_SIZES}
    selection = select(table, backgrounds, config.num_perm)
    pick = selection["pick"] or {}
    log("curve: per edit kind, false pairs, through LSH + verification")
    return {
        "data": {
            "source": path.name,
            "rows": len(rows),
            "base_texts": {m: len(b) for m, b in bases.items()},
            "real_duplicate_groups_collapsed": [list(g) for g in REAL_DUPLICATE_GROUPS],
            "edit_levels": list(LEVELS),
            "edit_kinds": list(EDIT_KINDS),
            "corpus_per_cell": "every base text + one edited copy of each",
        },
        "goal": GOAL,
        "selection": selection,
        "chosen": {
            "shingle_size": config.shingle_size,
            "threshold": config.threshold,
            "bands": config.bands,
            "rows": config.rows,
            "num_perm": config.num_perm,
            "is_the_pick": (
                pick.get("shingle_size"),
                pick.get("threshold"),
                pick.get("bands"),
                pick.get("rows"),
            )
            == (config.shingle_size, config.threshold, config.bands, config.rows),
            "meets_goal": feasible(table, config.shingle_size, config.threshold),
            "s_curve": config.s_curve((0.3, 0.4, 0.5, 0.6, config.threshold, 0.7, 0.8)),
            "s_curve_at_threshold": round(config.candidate_probability(config.threshold), 5),
            "estimate_floor_equal_values": estimate_floor(config.threshold, config.num_perm),
            "per_level_mixed_edits": {
                mode: table[mode][str(config.shingle_size)][f"{config.threshold:.2f}"]
                for mode in table
            },
            "per_edit_kind": kinds_at(bases, config),
            "false_pairs": false_pairs_at(bases, kept, config),
            "real_duplicates": real_duplicates_at(rows, config),
            "through_lsh_and_verification": {
                mode: through_the_machinery(bases[mode], config) for mode in bases
            },
        },
        "old_default_5_shingles_0_80": {mode: table[mode]["5"]["0.80"] for mode in table},
        "curve": table,
    }

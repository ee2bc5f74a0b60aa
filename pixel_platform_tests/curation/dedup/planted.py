"""A planted corpus for dedup tests: every record knows which group of duplicates it belongs to.

* originals: distinct conversations of ~250 words over a 3,000-word made-up vocabulary;
* exact copies of some originals, in other partitions and families, under another system prompt
  (system prompts are not part of the content hash, so they are still exact copies);
* light edits: ~5% of the words rewritten in one span (a replaced sentence), or case, punctuation
  and spacing changed only, or two single words changed (~1% of the words);
* a boilerplate family: distinct conversations that open with the same long disclaimer paragraph
  (~35% of their words) — these must stay apart;
* a form-letter group: many records that are the same long text with one different name each —
  true near-duplicates that all land in one LSH bucket (exercises the oversized-bucket path).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from pixel_platform.core.record import content_hash
from pixel_platform.curation.dedup import DedupInput
from pixel_platform.storage.base import ObjectStore

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "pa", "qu", "di", "fo", "gu"]


def vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


@dataclass
class Planted:
    group: int  # records with the same group are duplicates of one another (exact or near)
    kind: str  # "original", "exact", "edit", "boilerplate", "form"
    record: dict[str, Any]


@dataclass
class PlantedCorpus:
    partitions: dict[str, list[Planted]] = field(default_factory=dict)  # uid_prefix -> records

    def all(self) -> Iterator[tuple[str, Planted]]:
        for prefix, records in self.partitions.items():
            for line, planted in enumerate(records, 1):
                yield f"{prefix}:{line}", planted

    def write(self, store: ObjectStore, root: str = "pipeline/processed") -> list[DedupInput]:
        inputs = []
        for prefix, records in self.partitions.items():
            data = b"".join(
                orjson.dumps(p.record, option=orjson.OPT_SORT_KEYS) + b"\n" for p in records
            )
            key = f"{root}/{prefix}/conversations.jsonl"
            store.write_bytes(key, data)
            inputs.append(DedupInput(prefix, key, hashlib.sha256(data).hexdigest()))
        return inputs


def _record(turns: list[str], family: str, quality: float | None, system: str) -> dict[str, Any]:
    messages = [{"role": "system", "content": system}]
    messages += [
        {"role": "user" if i % 2 == 0 else "assistant", "content": text}
        for i, text in enumerate(turns)
    ]
    metadata: dict[str, Any] = {
        "content_hash": content_hash(messages),  # type: ignore[arg-type]
        "provenance": {"family": family, "source_key": f"raw/{family}.jsonl", "line": 0},
    }
    if quality is not None:
        metadata["quality"] = {"score": quality}
    return {"messages": messages, "metadata": metadata}


def _sentences(rng: random.Random, vocab: list[str], words: int) -> str:
    out, count = [], 0
    while count < words:
        n = rng.randint(6, 14)
        sentence = " ".join(rng.choice(vocab) for _ in range(n))
        out.append(sentence[0].upper() + sentence[1:] + rng.choice([".", "?", "!", "."]))
        count += n
    return " ".join(out)


def _turns(rng: random.Random, vocab: list[str], words: int = 250) -> list[str]:
    return [_sentences(rng, vocab, words // 4) for _ in range(4)]


def _edit_span(
    rng: random.Random, vocab: list[str], turns: list[str], fraction: float
) -> list[str]:
    """Rewrite one contiguous run of ``fraction`` of the words (a replaced sentence)."""
    words = [t.split(" ") for t in turns]
    turn = rng.randrange(len(words))
    span = max(1, round(fraction * sum(len(w) for w in words)))
    start = rng.randrange(max(1, len(words[turn]) - span))
    for i in range(start, min(len(words[turn]), start + span)):
        words[turn][i] = rng.choice(vocab)
    return [" ".join(w) for w in words]


def _edit_scattered(
    rng: random.Random, vocab: list[str], turns: list[str], count: int
) -> list[str]:
    """Replace ``count`` single words at random places (typo fixes, a changed name)."""
    words = [t.split(" ") for t in turns]
    for _ in range(count):
        turn = rng.randrange(len(words))
        words[turn][rng.randrange(len(words[turn]))] = rng.choice(vocab)
    return [" ".join(w) for w in words]


def _edit_surface(rng: random.Random, turns: list[str]) -> list[str]:
    """Case, punctuation and spacing only: the same words, a different content hash."""
    return [t.upper().replace(". ", " ...  ").replace("?", " ?!") + " :)" for t in turns]


def build_corpus(seed: int = 11, originals: int = 500) -> PlantedCorpus:
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    families = ["fam_a", "fam_b", "fam_c"]
    prefixes = [f"{fam}/part{i}" for fam in families for i in (1, 2)]
    corpus = PlantedCorpus({p: [] for p in prefixes})

    def place(planted: Planted, prefix: str | None = None) -> None:
        corpus.partitions[prefix or rng.choice(prefixes)].append(planted)

    def quality() -> float | None:
        return None if rng.random() < 0.3 else round(rng.random(), 3)

    group = 0
    for _ in range(originals):
        group += 1
        turns = _turns(rng, vocab)
        prefix = rng.choice(prefixes)
        family = prefix.split("/")[0]
        place(
            Planted(group, "original", _record(turns, family, quality(), "You are kind.")), prefix
        )
        roll = rng.random()
        if roll < 0.12:
            for _ in range(rng.randint(1, 3)):
                other = rng.choice(prefixes)
                rec = _record(turns, other.split("/")[0], quality(), f"System {rng.random()}")
                place(Planted(group, "exact", rec), other)
        elif roll < 0.30:
            for _ in range(rng.randint(1, 2)):
                which = rng.random()
                if which < 0.6:
                    edited = _edit_span(rng, vocab, turns, 0.05)
                elif which < 0.8:
                    edited = _edit_surface(rng, turns)
                else:
                    edited = _edit_scattered(rng, vocab, turns, 2)
                other = rng.choice(prefixes)
                place(
                    Planted(group, "edit", _record(edited, other.split("/")[0], quality(), "")),
                    other,
                )

    disclaimer = _sentences(rng, vocab, 110)
    for _ in range(120):  # shared boilerplate, distinct bodies: all different groups
        group += 1
        turns = _turns(rng, vocab, 200)
        turns[1] = disclaimer + " " + turns[1]
        place(Planted(group, "boilerplate", _record(turns, "fam_c", quality(), "")))

    group += 1
    letter = _turns(rng, vocab, 320)
    for i in range(60):  # one form letter, one different name each: all one group
        turns = list(letter)
        turns[0] = f"Dear {vocab[i]}, " + turns[0]
        place(Planted(group, "form", _record(turns, "fam_b", quality(), "")))

    for records in corpus.partitions.values():
        rng.shuffle(records)
    return corpus

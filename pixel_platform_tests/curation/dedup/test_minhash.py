"""Our vectorized signatures equal datasketch's, value for value, under both permutation schemes."""

from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch import MinHash

from pixel_platform.curation.dedup import DedupConfig, MinHasher
from pixel_platform.curation.dedup.minhash import datasketch_permutations
from pixel_platform.curation.dedup.text import (
    ReferenceShingleHasher,
    canonical_text,
    dialogue_text,
    reference_shingle_hash32,
    reference_shingles,
)
from pixel_platform_tests.curation.dedup.planted import build_corpus

EDGE_CASES = [
    "",
    "   ...   !!! ",  # no words at all
    "Hello",
    "one two",  # fewer words than a shingle
    "one two three four",
    "one two three four five",
    "Ünïcödé wörds, Straße and naïve café — dashes… “quotes”",
    "我今天很难过 because 工作压力很大",
    "snake_case_words and CamelCase and 123 numbers 4.5",
    "tabs\tand\nnewlines\r\nand  double  spaces",
]


def _texts(n: int = 300) -> list[str]:
    records = [p.record for _, p in build_corpus(seed=3, originals=120).all()]
    random.Random(0).shuffle(records)
    return [dialogue_text(r) for r in records[: n - len(EDGE_CASES)]] + EDGE_CASES


def test_canonical_text_normalizes_case_punctuation_and_spacing() -> None:
    assert canonical_text("Hello,  WORLD!\nIt's   me_again") == b"hello world it s me again"
    assert canonical_text("Ça VA? Très bien.") == "ça va très bien".encode()
    assert canonical_text("我很好, thanks") == "我 很 好 thanks".encode()
    record = {
        "messages": [
            {"role": "system", "content": "Be nice"},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello"},
        ]
    }
    assert dialogue_text(record) == "Hi\nHello"


def test_non_ascii_separators_take_the_fast_path_with_the_same_result() -> None:
    """Curly quotes, no-break spaces, dashes … are replaced by spaces before the ASCII check; the
    canonical text must equal the regex definition on any text."""
    from pixel_platform.curation.dedup.text import _WORDS

    def by_regex(text: str) -> bytes:
        return " ".join(_WORDS.findall(text.lower())).encode("utf-8")

    rng = random.Random(4)
    pool = [chr(c) for c in range(0x20, 0x3100) if not 0xD800 <= c <= 0xDFFF]
    pool += list("abc XYZ 09 _ ") * 40
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    texts += ["I\u2019m\u00a0fine \u2014 really\u2026", "caf\u00e9 na\u00efve"]
    texts += ["\u201cquoted\u201d", "\u6211\u5f88\u597d\u3002Fine\uff01"]
    assert [canonical_text(t) for t in texts] == [by_regex(t) for t in texts]
    assert canonical_text("I\u2019m\u00a0fine \u2014 really\u2026") == b"i m fine really"
    hashes, _ = MinHasher(DedupConfig()).shingle_hashes(texts)
    expected = [
        reference_shingle_hash32(s)
        for t in texts
        for s in reference_shingles(canonical_text(t), DedupConfig().shingle_size)
    ]
    assert hashes.tolist() == expected


def test_shingle_sets_are_the_sorted_distinct_hashes() -> None:
    texts = [*_texts(40), "a b c a b c a b c", ""]
    config = DedupConfig()
    values, sizes = MinHasher(config).shingle_sets(texts)
    assert sizes.size == len(texts) and values.size == sizes.sum()
    offsets = np.r_[0, np.cumsum(sizes)]
    for i, text in enumerate(texts):
        shingles = reference_shingles(canonical_text(text), config.shingle_size)
        expected = sorted({reference_shingle_hash32(s) for s in shingles})
        assert values[offsets[i] : offsets[i + 1]].tolist() == expected
    assert sizes[-2] == 3 and sizes[-1] == 0  # "a b c", "b c a", "c a b"


def test_vectorized_shingle_hashes_equal_the_reference() -> None:
    texts = _texts(60)
    k = DedupConfig().shingle_size
    hashes, counts = MinHasher(DedupConfig()).shingle_hashes(texts)
    shingles = [reference_shingles(canonical_text(t), k) for t in texts]
    assert counts.tolist() == [len(s) for s in shingles]
    expected = [reference_shingle_hash32(s) for doc in shingles for s in doc]
    assert hashes.tolist() == expected
    fast = ReferenceShingleHasher()
    assert [fast(s) for doc in shingles for s in doc] == expected


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
def test_signatures_equal_datasketch(scheme: str) -> None:
    config = DedupConfig(scheme=scheme, seed=7)
    texts = _texts(300)
    signatures, _ = MinHasher(config).signatures(texts)
    hashfunc = ReferenceShingleHasher()
    theirs = []
    for text in texts:
        m = MinHash(num_perm=128, seed=7, hashfunc=hashfunc, scheme=scheme)
        m.update_batch(reference_shingles(canonical_text(text), config.shingle_size))
        theirs.append(m)
    expected = np.array([m.hashvalues for m in theirs]).astype(np.uint64)
    assert np.array_equal(signatures.astype(np.uint64), expected)
    # ... and therefore equal Jaccard estimates.
    rng = random.Random(1)
    for _ in range(200):
        i, j = rng.randrange(len(texts)), rng.randrange(len(texts))
        ours = np.count_nonzero(signatures[i] == signatures[j]) / 128
        assert ours == theirs[i].jaccard(theirs[j])


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
def test_permutations_are_datasketchs(scheme: str) -> None:
    a, b = datasketch_permutations(64, 42, scheme)
    theirs = MinHash(num_perm=64, seed=42, scheme=scheme).permutations
    assert np.array_equal(a, theirs[0]) and np.array_equal(b, theirs[1])


def test_a_signature_does_not_depend_on_its_batch() -> None:
    texts = _texts(80)
    hasher = MinHasher(DedupConfig())
    whole, _ = hasher.signatures(texts)
    pieces = np.concatenate([hasher.signatures(texts[s : s + 7])[0] for s in range(0, 80, 7)])
    assert np.array_equal(whole, pieces)


def test_a_text_without_words_gets_the_empty_signature() -> None:
    signatures, counts = MinHasher(DedupConfig()).signatures(["", "Hello, there!"])
    assert counts.tolist() == [0, 1]
    assert (signatures[0] == 0xFFFFFFFF).all()
    assert not (signatures[1] == 0xFFFFFFFF).all()

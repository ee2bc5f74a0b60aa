"""Cut a transcript into teaching segments of a useful size on topic boundaries.

A TextTiling-style lexical-cohesion method (Hearst 1997), cheap and dependency-free: at every gap
between two sentences, the cosine similarity of the (stop-word-free, crudely stemmed) word counts
of ``window`` sentences on either side; a gap's *depth* is how far that similarity sits below the
nearest peaks on its left and right. Deep gaps are topic shifts. Paragraph breaks (blank lines,
or pauses in timestamped captions) add ``paragraph_bonus``: speakers pause between ideas.

Cut points are then chosen by dynamic programming over sentence positions: maximise the summed
*gain* of the chosen gaps (depth minus the mean depth, plus the bonus), with every segment between
``min_words`` and ``max_words`` words. A segment shorter than ``min_words`` is allowed only at a
heavy penalty (short transcripts), and one sentence longer than ``max_words`` stays whole. Each
segment costs a little, so equal gains resolve towards fewer, longer segments.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pixel_platform.derived.cptsd.text import count_words, split_sentences, words_of
from pixel_platform.derived.cptsd.transcripts import Transcript


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _words(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves it's that's i'm you're
    we're they're don't doesn't isn't wasn't can't won't i've you've we've there's here's let's
    also really just like one thing things get got going gonna know say said see way much many
    well even still ever always never every"""
)
SHORT_PENALTY = 5.0  # per unit of missing share of min_words: far above any gap's gain
SEGMENT_COST = 0.01  # breaks ties towards fewer, longer segments


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    paragraph: int  # index of the paragraph it belongs to
    start: float | None  # the paragraph's start time, where known
    words: int


@dataclass(frozen=True)
class Segment:
    index: int  # 0-based within its transcript
    sentences: tuple[Sentence, ...]
    boundary_gain: float  # gain of the cut that ends it (0 at the end of the transcript)

    @property
    def text(self) -> str:
        """The sentences, with the transcript's paragraph breaks kept."""
        parts: list[str] = []
        previous = None
        for sentence in self.sentences:
            if previous is not None:
                parts.append("\n\n" if sentence.paragraph != previous else " ")
            parts.append(sentence.text)
            previous = sentence.paragraph
        return "".join(parts)

    @property
    def words(self) -> int:
        return sum(s.words for s in self.sentences)

    @property
    def start(self) -> float | None:
        return self.sentences[0].start


def stem(word: str) -> str:
    """A crude suffix stripper: enough to match "pleasing"/"pleaser"/"please" for cohesion."""
    for suffix in ("ingly", "ings", "ing", "edly", "ed", "ers", "er", "ies", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def content_terms(text: str) -> list[str]:
    return [stem(w) for w in words_of(text) if w not in STOPWORDS and len(w) > 2]


def sentences_of(transcript: Transcript) -> list[Sentence]:
    out: list[Sentence] = []
    for p, paragraph in enumerate(transcript.paragraphs):
        for text in split_sentences(paragraph.text):
            out.append(Sentence(text, p, paragraph.start, count_words(text)))
    return out


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b[k] for k, v in a.items() if k in b)
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


def gap_depths(sentences: Sequence[Sentence], window: int = 3) -> list[float]:
    """Depth score of each gap (``len(sentences) - 1`` values; gap g follows sentence g)."""
    terms = [Counter(content_terms(s.text)) for s in sentences]
    sims = []
    for g in range(len(sentences) - 1):
        left: Counter[str] = Counter()
        right: Counter[str] = Counter()
        for t in terms[max(0, g - window + 1) : g + 1]:
            left.update(t)
        for t in terms[g + 1 : g + 1 + window]:
            right.update(t)
        sims.append(_cosine(left, right))
    depths = []
    for g, sim in enumerate(sims):
        peak_left = sim
        for value in reversed(sims[:g]):
            if value < peak_left:
                break
            peak_left = value
        peak_right = sim
        for value in sims[g + 1 :]:
            if value < peak_right:
                break
            peak_right = value
        depths.append((peak_left - sim) + (peak_right - sim))
    return depths


def segment_sentences(
    sentences: Sequence[Sentence],
    *,
    min_words: int = 120,
    max_words: int = 350,
    window: int = 3,
    paragraph_bonus: float = 0.15,
) -> list[Segment]:
    """Cut ``sentences`` into segments (see the module docstring)."""
    n = len(sentences)
    if n == 0:
        return []
    depths = gap_depths(sentences, window)
    mean = sum(depths) / len(depths) if depths else 0.0
    gains = [
        d - mean + (paragraph_bonus if sentences[g + 1].paragraph != sentences[g].paragraph else 0)
        for g, d in enumerate(depths)
    ]
    prefix = [0]
    for s in sentences:
        prefix.append(prefix[-1] + s.words)
    best: list[float] = [0.0] + [-math.inf] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        gain = gains[j - 1] if j < n else 0.0
        for i in range(j - 1, -1, -1):
            words = prefix[j] - prefix[i]
            if words > max_words and i < j - 1:
                break
            short = max(0, min_words - words) / min_words
            score = best[i] + gain - SHORT_PENALTY * short - SEGMENT_COST
            if score > best[j]:
                best[j], back[j] = score, i
    cuts = []
    j = n
    while j > 0:
        cuts.append((back[j], j))
        j = back[j]
    cuts.reverse()
    return [
        Segment(k, tuple(sentences[i:j]), round(gains[j - 1], 4) if j < n else 0.0)
        for k, (i, j) in enumerate(cuts)
    ]

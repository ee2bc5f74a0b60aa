"""Cheap per-conversation quality signals, each in [0, 1] where 1 means "nothing wrong here".

Every signal has a plateau: ordinary variation scores 1.0 and only a clear problem pulls it
down, so the combined score (``score.py``) stays near 1 for good data.

``length_balance``
    Mean over assistant replies of ``short * long``: ``short`` ramps from 0 at 4 to 1 at
    ``min_reply_chars`` (24) effective characters ("ok" -> 0, "Yes." -> 0); ``long`` is 1 unless
    the reply is over 1,500 effective characters *and* more than 25 times the user turn before
    it, then 25 / ratio.
``repetition``
    The worse of (a) duplicated n-grams inside turns (word 3-grams, or character 5-grams in
    CJK text), pooled over the conversation: 1 up to 20% duplicates, 0 at 60%; and (b) lines of
    at least 16 effective characters that repeat an earlier line of the same role anywhere in
    the conversation: 1 up to 10%, 0 at 50% (a reply copying the user is ``echo``'s business).
``echo``
    Mean over (user, reply) pairs of how much of the reply is copied from the user turn
    (share of the reply's n-grams found in the user turn): 1 up to 50%, 0 at 90%. A short
    reply equal to the user turn counts as a full copy.
``clean_text``
    The worse of the letter ratio (letters, CJK included, over non-space characters: 0 at 45%,
    1 from 70%) and the junk ratio (HTML/BBCode markup and entities, mojibake such as "Ã©" or
    "â€™" (2 per hit), U+FFFD, control characters, and URLs at half weight, over all characters:
    1 up to 3%, 0 at 35%).
``shouting``
    1 minus the share of turns (with at least 20 ASCII letters) whose letters are over 70%
    upper case.
``placeholders``
    1 minus twice the share of turns that are only a placeholder ("[removed]", "[deleted]",
    "N/A", "null", "...", "TODO", "lorem ipsum", "{{name}}", "<placeholder>", a lone "[NAME]").
``turn_structure``
    1 with a user and an assistant turn ending on the assistant; 0.6 when it ends on a user turn
    (nothing to learn from the last one); 0 without a user or an assistant turn.
``script_consistency``
    1 minus 0.7 times the share of (user, reply) pairs, both with 10+ letters, written in
    different scripts (Chinese question, English answer).

"Effective characters" are non-space characters with each CJK character counted 3 times, so
length measures are comparable between English and Chinese (a Chinese word is 1-2 characters,
an English one 5-6). No measure here counts space-separated words in CJK text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pixel_platform.core.record import Message

SIGNALS = ("length_balance", "repetition", "echo", "clean_text", "shouting", "placeholders",
           "turn_structure", "script_consistency")

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]+")
_NON_LETTERS = re.compile(r"[\W\d_]+")
_TOKEN = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]"
    r"|[^\W_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]+")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MARKUP = re.compile(r"</?[a-zA-Z][^<>]{0,200}>|&(?:[a-zA-Z]{2,8}|#\d{1,6}|#x[0-9a-fA-F]{1,6});"
                     r"|\[/?(?:url|img|quote|b|i|u|code|size|color)\b[^\]]{0,200}\]")
_MOJIBAKE = re.compile(r"[ÃÂâ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e"
                       r"\u0192\u02c6\u02dc\u2013-\u2026\u2030\u2039\u203a\u20ac\u2122]"
                       r"|[\x80-\x9f\ufffd]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PLACEHOLDER = re.compile(
    r"\[(?:removed|deleted|redacted|placeholder|image|video|link|attachment|no text|empty|"
    r"[a-z_ ]{1,20})\]|<[a-z_ ]{1,20}>|\{\{?\s*[\w ]{1,30}\s*\}?\}|n/?a|null|none|nan|undefined|"
    r"todo|tbd|lorem ipsum.*|\.{2,}|…|-+|\?+", re.IGNORECASE)
_UPPER_ASCII = bytes(range(ord("A"), ord("Z") + 1))
_LOWER_ASCII = bytes(range(ord("a"), ord("z") + 1))
_ASCII_LETTERS = _UPPER_ASCII + _LOWER_ASCII


def ramp_up(value: float, bad: float, good: float) -> float:
    """0 at ``bad`` or below, 1 at ``good`` or above, linear between."""
    if value <= bad:
        return 0.0
    if value >= good:
        return 1.0
    return (value - bad) / (good - bad)


def ramp_down(value: float, good: float, bad: float) -> float:
    """1 at ``good`` or below, 0 at ``bad`` or above, linear between."""
    return 1.0 - ramp_up(value, good, bad)


@dataclass(slots=True)
class Turn:
    """What the signals need from one turn, computed once."""

    role: str
    text: str
    nonspace: int
    cjk: int
    letters: int
    tokens: list[str]
    _grams: list[tuple[str, ...]] | None = None

    @property
    def effective(self) -> int:
        return self.nonspace + 2 * self.cjk

    @property
    def is_cjk(self) -> bool:
        return self.cjk * 3 >= self.letters > 0

    def ngrams(self) -> list[tuple[str, ...]]:
        if self._grams is None:
            n = 5 if self.is_cjk else 3
            tokens = self.tokens
            self._grams = list(zip(*(tokens[i:] for i in range(n)), strict=False))
        return self._grams

    @classmethod
    def of(cls, message: Message) -> Turn:
        text = message["content"]
        nonspace = len("".join(text.split()))
        if text.isascii():  # the common case: byte-level counting, no regex
            raw = text.encode("ascii")
            cjk, letters = 0, len(raw) - len(raw.translate(None, _ASCII_LETTERS))
        else:
            cjk = sum(len(m) for m in _CJK.findall(text))
            letters = len(_NON_LETTERS.sub("", text))
        return cls(message["role"], text, nonspace, cjk, letters, _TOKEN.findall(text.lower()))


def prepare(messages: Sequence[Message]) -> list[Turn]:
    return [Turn.of(m) for m in messages if m["role"] != "system"]


def _pairs(turns: list[Turn]) -> list[tuple[Turn, Turn]]:
    return [(a, b) for a, b in itertools.pairwise(turns)
            if a.role == "user" and b.role == "assistant"]


def length_balance(turns: list[Turn], min_reply_chars: int = 24) -> float:
    scores = []
    previous_user: Turn | None = None
    for turn in turns:
        if turn.role == "user":
            previous_user = turn
            continue
        if turn.role != "assistant":
            continue
        reply = turn.effective
        short = ramp_up(reply, 4, min_reply_chars)
        long = 1.0
        if previous_user is not None and reply > 1500:
            ratio = reply / max(previous_user.effective, 20)
            long = min(1.0, 25 / ratio)
        scores.append(short * long)
    return sum(scores) / len(scores) if scores else 1.0


def repetition(turns: list[Turn]) -> float:
    total = duplicates = 0
    for turn in turns:
        grams = turn.ngrams()
        if len(grams) >= 4:
            total += len(grams)
            duplicates += len(grams) - len(set(grams))
    within = ramp_down(duplicates / total, 0.2, 0.6) if total else 1.0
    seen: set[tuple[str, str]] = set()
    lines = repeated = 0
    for turn in turns:
        for line in turn.text.split("\n"):
            key = " ".join(line.lower().split())
            if len(key) + 2 * (0 if key.isascii() else len(key)) < 16:
                continue
            lines += 1
            if (turn.role, key) in seen:
                repeated += 1
            seen.add((turn.role, key))
    across = ramp_down(repeated / lines, 0.1, 0.5) if lines else 1.0
    return min(within, across)


def echo(turns: list[Turn]) -> float:
    scores = []
    for user, reply in _pairs(turns):
        reply_grams = set(reply.ngrams())
        if len(reply_grams) >= 3:
            copied = len(reply_grams & set(user.ngrams())) / len(reply_grams)
        else:
            copied = 1.0 if reply.tokens and reply.tokens == user.tokens else 0.0
        scores.append(ramp_down(copied, 0.5, 0.9))
    return sum(scores) / len(scores) if scores else 1.0


def clean_text(turns: list[Turn]) -> float:
    nonspace = sum(t.nonspace for t in turns)
    if not nonspace:
        return 0.0
    letter_score = ramp_up(sum(t.letters for t in turns) / nonspace, 0.45, 0.7)
    junk = 0.0
    size = 0
    for turn in turns:
        text = turn.text
        size += len(text)
        if "http" in text or "www." in text or "WWW." in text:
            junk += 0.5 * sum(len(m) for m in _URL.findall(text))  # content, but not prose
        if "<" in text or "&" in text or "[" in text:
            junk += sum(len(m) for m in _MARKUP.findall(text))
        if not text.isascii():
            junk += 2 * len(_MOJIBAKE.findall(text))
        junk += len(_CONTROL.findall(text))
    return min(letter_score, ramp_down(junk / size, 0.03, 0.35))


def shouting(turns: list[Turn]) -> float:
    counted = loud = 0
    for turn in turns:
        raw = turn.text.encode("ascii", "ignore")
        upper = len(raw) - len(raw.translate(None, _UPPER_ASCII))
        lower = len(raw) - len(raw.translate(None, _LOWER_ASCII))
        if upper + lower >= 20:
            counted += 1
            loud += upper > 0.7 * (upper + lower)
    return 1.0 - loud / counted if counted else 1.0


def placeholders(turns: list[Turn]) -> float:
    if not turns:
        return 0.0
    empty = sum(1 for t in turns if len(t.text) <= 40 and _PLACEHOLDER.fullmatch(t.text.strip()))
    return max(0.0, 1.0 - 2 * empty / len(turns))


def turn_structure(turns: list[Turn]) -> float:
    roles = {t.role for t in turns}
    if "user" not in roles or "assistant" not in roles:
        return 0.0
    return 1.0 if turns[-1].role == "assistant" else 0.6


def script_consistency(turns: list[Turn]) -> float:
    pairs = [(u, r) for u, r in _pairs(turns) if u.letters >= 10 and r.letters >= 10]
    if not pairs:
        return 1.0
    mismatched = sum(1 for u, r in pairs if u.is_cjk != r.is_cjk)
    return 1.0 - 0.7 * mismatched / len(pairs)

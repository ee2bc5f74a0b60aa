"""Cleaning, validation and finalisation of converted conversations.

``CleanStep`` repairs text: mojibake (UTF-8 read as Windows-1252, as in "â†“" for "↓") with ftfy,
then Unicode NFC, then whitespace. Clean text comes out byte-identical, and the common case (clean
ASCII) costs a handful of substring checks: ftfy takes about a millisecond per text, so it only runs
where a cheap regex has seen a mojibake signature.

Decisions, so that nobody has to reverse-engineer them:

- HTML entities (``&amp;``) are left alone: the sources checked have none, and unescaping would
  change text that means them literally.
- Indentation at the start of a line is kept (lists, quoted verse); runs of spaces/tabs (and
  no-break spaces next to them) inside a line become one space, trailing spaces go, ``\\r\\n``/``\\r`` become ``\\n``, and at most two
  blank lines in a row remain.
- Zero-width space, word joiner and BOM are removed; zero-width (non-)joiners are kept because
  emoji sequences and Persian/Indic scripts need them.
- ``ValidateStep`` requires the dialogue to start with a user turn after any leading system
  message. Many datasets open with a counsellor greeting; we reject those (``non_alternating``)
  rather than silently drop the greeting.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping

import ftfy

from pixel_platform import PIPELINE_VERSION
from pixel_platform.core.reasons import Reason
from pixel_platform.core.record import Conversation, content_hash
from pixel_platform.core.steps import Reject, Step


def _mojibake_pattern() -> re.Pattern[str]:
    """A UTF-8 lead byte followed by a continuation byte, both decoded as cp1252 — the signature
    of UTF-8 read as Windows-1252 — or a C1 control character, or U+FFFD."""

    def as_cp1252(byte: int) -> str:
        try:
            return bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            return bytes([byte]).decode("latin-1")

    leads = "".join(as_cp1252(b) for b in range(0xC2, 0xF5))
    continuations = "".join(as_cp1252(b) for b in range(0x80, 0xC0))
    return re.compile(f"[{re.escape(leads)}][{re.escape(continuations)}]|[\x80-\x9f\ufffd]")


_MOJIBAKE = _mojibake_pattern()
_ZERO_WIDTH = re.compile("[\u200b\u2060\ufeff]")
# No-break spaces count as spaces inside runs: scraped text is full of " \u00a0" pairs.
_INNER_RUN = re.compile("(?<=\\S)(?:[ \t\u00a0]{2,}|\t)(?=\\S)")
_TRAILING = re.compile("[ \t\u00a0]+\n")
_BLANK_RUN = re.compile(r"\n{4,}")


def _whitespace_suspect(text: str) -> bool:
    # Plain substring checks: far cheaper than a regex over every clean text.
    return (
        text[:1].isspace()
        or text[-1:].isspace()
        or "  " in text
        or "\t" in text
        or "\r" in text
        or " \n" in text
        or "\n\n\n\n" in text
    )


def _nbsp_suspect(text: str) -> bool:
    return "\u00a0" in text and (
        " \u00a0" in text or "\u00a0 " in text or "\u00a0\u00a0" in text or "\u00a0\n" in text
    )


def _normalise_whitespace(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _TRAILING.sub("\n", text)
    text = _INNER_RUN.sub(" ", text)
    text = _BLANK_RUN.sub("\n\n\n", text)
    return text.strip()


def clean_text(text: str, changed: Counter[str]) -> str:
    """The repaired text; ``changed`` counts each kind of change made."""
    suspect = False
    if not text.isascii():
        suspect = _nbsp_suspect(text)
        if _MOJIBAKE.search(text):
            fixed = ftfy.fix_encoding(text)
            if fixed != text:
                text = fixed
                changed["encoding_repaired"] += 1
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
            changed["nfc"] += 1
        if _ZERO_WIDTH.search(text):
            text = _ZERO_WIDTH.sub("", text)
            changed["zero_width"] += 1
    if suspect or _whitespace_suspect(text):
        normalised = _normalise_whitespace(text)
        if normalised != text:
            text = normalised
            changed["whitespace"] += 1
    return text


class CleanStep(Step[Conversation, Conversation]):
    name = "clean"

    def apply(self, item: Conversation) -> Conversation:
        changed = self.stats.changed
        for message in item.messages:  # in place: the conversation was built for this pipeline
            content = message["content"]
            cleaned = clean_text(content, changed)
            if cleaned is not content:
                message["content"] = cleaned
        return item


class ValidateStep(Step[Conversation, Conversation]):
    """Fit for training: user first, strict alternation, no empty or overlong turn."""

    name = "validate"

    def __init__(self, family: str | None = None, *, min_turns: int = 2,
                 max_turn_chars: int = 32_000) -> None:
        super().__init__(family)
        self.min_turns = min_turns
        self.max_turn_chars = max_turn_chars

    def apply(self, item: Conversation) -> Conversation | Reject:
        messages = item.messages
        start = 0
        while start < len(messages) and messages[start]["role"] == "system":
            start += 1
        previous = None
        has_user = has_assistant = False
        for n in range(start, len(messages)):
            role, content = messages[n]["role"], messages[n]["content"]
            if role == "system":
                return Reject(Reason.NON_ALTERNATING, f"system message at turn {n} after the"
                              " dialogue started; system messages must come first")
            if not content or content.isspace():
                return Reject(Reason.EMPTY_TURN, f"turn {n} ({role}) is empty")
            if role == previous:
                return Reject(Reason.NON_ALTERNATING, f"turns {n - 1} and {n} are both {role}")
            if len(content) > self.max_turn_chars:
                return Reject(Reason.TURN_TOO_LONG, f"turn {n} ({role}) has {len(content)}"
                              f" characters; the limit is {self.max_turn_chars}")
            has_user = has_user or role == "user"
            has_assistant = has_assistant or role == "assistant"
            previous = role
        if not has_user:
            return Reject(Reason.NO_USER_TURN, "no user turn")
        if not has_assistant:
            return Reject(Reason.NO_ASSISTANT_TURN, "no assistant turn")
        if messages[start]["role"] != "user":
            return Reject(Reason.NON_ALTERNATING, f"the dialogue starts with an"
                          f" {messages[start]['role']} turn (turn {start}); it must start with"
                          " the user")
        if len(messages) - start < self.min_turns:
            return Reject(Reason.TOO_FEW_TURNS, f"{len(messages) - start} dialogue turns; at"
                          f" least {self.min_turns} are required")
        return item


class FinalizeStep(Step[Conversation, Conversation]):
    """Stamps the content hash and the full provenance on each conversation."""

    name = "finalize"

    def __init__(self, family: str, license: str | None, ingested_at: str,
                 etags: Mapping[str, str] | None = None) -> None:
        super().__init__(family)
        self.license = license
        self.ingested_at = ingested_at
        self.etags = etags or {}

    def apply(self, item: Conversation) -> Conversation:
        metadata = item.metadata
        metadata["content_hash"] = content_hash(item.messages)
        provenance = item.provenance
        provenance["family"] = self.family
        provenance["source_etag"] = self.etags.get(provenance.get("source_key") or "")
        provenance["license"] = self.license
        provenance["pipeline_version"] = PIPELINE_VERSION
        provenance["ingested_at"] = self.ingested_at
        provenance["detected_format"] = metadata.get("detected_format")
        return item

"""Cleaning, validation and finalisation of converted conversations.

``CleanStep`` repairs text: mojibake (UTF-8 read as Windows-1252, as in "â†“" for "↓") with ftfy,
then Unicode NFC, then whitespace. Clean text comes out byte-identical, and the common case (clean
ASCII) costs a handful of substring checks: ftfy takes about a millisecond per text, so it only runs
where a cheap regex has seen a mojibake signature.

Decisions, so that nobody has to reverse-engineer them:

- HTML entities (``&amp;``) are left alone: the sources checked have none, and unescaping would
  change text that means them literally.
- Indentation at the start of a line is kept (lists, quoted verse); runs of spaces/tabs (and
  no-break spaces next to them) inside a line become one space, trailing spaces go,
  ``\\r\\n``/``\\r`` become ``\\n``, and at most two blank lines in a row remain.
- Zero-width space, word joiner and BOM are removed; zero-width (non-)joiners are kept because
  emoji sequences and Persian/Indic scripts need them.
- Control characters (``CONTROL_POLICY``): tab, line feed and carriage return stay; vertical tab,
  form feed and NEL (U+0085) become a line break (Word writes a vertical tab for a manual line
  break); every other C0 control (NUL, BEL, ESC ...), DEL and C1 control is removed, after the
  mojibake repair that reads C1 controls as a signal. Bidirectional embeddings, overrides and
  isolates (U+202A-U+202E, U+2066-U+2069) are removed: they reorder how text displays without
  being text ("Trojan Source"); the left-to-right / right-to-left marks (U+200E, U+200F, U+061C)
  stay, right-to-left text needs them. The record is kept; ``metadata["repaired"]`` names the
  turns and the kinds (``control_chars``, ``bidi_controls``), so fidelity counts them.
- ``ValidateStep`` accepts a dialogue that starts with either side after any leading system
  message: a counsellor's or supporter's greeting first is normal (emotional-support corpora with
  ``speaker``/``listener`` roles often open that way), and the greeting is kept, not dropped.
  Consecutive turns of one speaker were already merged by the converter; what remains must
  alternate. A dialogue without one side (no user turn, or no assistant turn) teaches nothing
  and is quarantined (``no_user_turn`` / ``no_assistant_turn``). ``changed["assistant_first"]``
  counts the dialogues kept that open with the assistant.
- A *text record* (``metadata["kind"] == "text"``: phase A pretraining text) is the one record
  type holding a document: exactly one assistant message with the text, after any system
  message, and no user turn. ``ValidateStep`` accepts that shape only for text records.
- An *evaluation record* (``metadata["kind"] == "eval"``: an unpaired post routed to a crisis
  evaluation set) is exactly one user message after any system message: a prompt with a label,
  no reply. ``ValidateStep`` accepts that shape only for evaluation records.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping

import ftfy

from pixel_platform import PIPELINE_VERSION
from pixel_platform.core.reasons import Reason
from pixel_platform.core.record import Conversation, Message, record_content_hash
from pixel_platform.core.steps import Reject, Step

TEXT_KIND = "text"  # metadata["kind"] of a phase A text record
INHERITED_LICENSE = "inherited_license"  # set by the converter, consumed by FinalizeStep
# Set by the converter unless the reader saw that no ASCII control character can be in the
# record (most JSON lines): consumed by CleanStep, which then scans ASCII turns too.
SCAN_CONTROLS = "scan_controls"
EVAL_KIND = "eval"  # metadata["kind"] of an evaluation record (a labelled prompt, no reply)
_SINGLE_ROLE = {TEXT_KIND: "assistant", EVAL_KIND: "user"}


def _cp1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return bytes([byte]).decode("latin-1")


# UTF-8 read as Windows-1252 turns each multi-byte character into a lead (bytes C2-F4, i.e.
# U+00C2-U+00F4) followed by continuation characters (bytes 80-BF as cp1252: "€", "”", "¢", ...).
_CP1252_PAIR = re.compile(
    "[\u00c2-\u00f4][" + re.escape("".join(_cp1252(b) for b in range(0x80, 0xC0))) + "]"
)
_C1_CONTROL = re.compile("[\u0080-\u009f]")


def looks_like_mojibake(text: str) -> bool:
    """A cheap, conservative test for text that ftfy should look at.

    The regexes cost microseconds per text, so byte searches on the UTF-8 form go first: a lead
    character U+00C2-U+00F4 is encoded with byte C3 and a C1 control with C2. (``bytes.find`` with
    an int is a plain memchr, several times faster than ``in``.) U+FFFD is what a lossy decoder
    left behind: ftfy may still repair what is around it.
    """
    if "\ufffd" in text:
        return True
    raw = text.encode("utf-8", "surrogatepass")
    if raw.find(0xC3) >= 0 and _CP1252_PAIR.search(text):
        return True
    return raw.find(0xC2) >= 0 and _C1_CONTROL.search(text) is not None


_DOUBLE_SPACE = re.compile("  ").search
_ZERO_WIDTH = re.compile("[\u200b\u2060\ufeff]")
_LINE_BREAKS = "\x0b\x0c\x85"  # vertical tab, form feed, NEL: line breaks, kept as "\n"
_ASCII_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
CONTROL_POLICY = {
    "kept": "tab, line feed, carriage return; U+200E, U+200F, U+061C (direction marks)",
    "line_break": "vertical tab, form feed, U+0085 (NEL)",
    "removed": "other C0 controls, DEL, C1 controls; U+202A-U+202E, U+2066-U+2069",
}
# No-break spaces count as spaces inside runs: scraped text is full of " \u00a0" pairs.
_INNER_RUN = re.compile("(?<=\\S)(?:[ \t\u00a0]{2,}|\t)(?=\\S)")
_TRAILING = re.compile("[ \t\u00a0]+\n")
_BLANK_RUN = re.compile(r"\n{4,}")


def _whitespace_suspect(text: str) -> bool:
    # Substring checks, single characters (memchr) first: a regex would cost ten times more.
    return (
        "\t" in text
        or "\r" in text
        or ("\n" in text and (" \n" in text or "\n\n\n\n" in text))
        or text.strip() is not text  # str.strip returns the very object when nothing is stripped
        or "  " in text
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


def _control(match: re.Match[str]) -> str:
    return "\n" if match.group() in _LINE_BREAKS else ""


def _strip_controls(text: str, pattern: re.Pattern[str], changed: Counter[str]) -> str:
    if pattern.search(text) is None:
        return text
    changed["control_chars"] += 1
    return pattern.sub(_control, text)


def clean_text(text: str, changed: Counter[str], *, scan_ascii: bool = True) -> str:
    """The repaired text; ``changed`` counts each kind of change made. ``scan_ascii=False``:
    the caller knows an ASCII text holds no control character."""
    suspect = False
    if text.isascii():
        if scan_ascii:
            text = _strip_controls(text, _ASCII_CONTROL, changed)
    else:
        suspect = _nbsp_suspect(text)
        if looks_like_mojibake(text):
            fixed = ftfy.fix_encoding(text)
            if fixed != text:
                text = fixed
                changed["encoding_repaired"] += 1
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
            changed["nfc"] += 1
        if "\u200b" in text or "\u2060" in text or "\ufeff" in text:  # 10x cheaper than a regex
            text = _ZERO_WIDTH.sub("", text)
            changed["zero_width"] += 1
        text = _strip_controls(text, _CONTROL, changed)
        if _BIDI.search(text) is not None:
            text = _BIDI.sub("", text)
            changed["bidi_controls"] += 1
    if suspect or _whitespace_suspect(text):
        normalised = _normalise_whitespace(text)
        if normalised != text:
            text = normalised
            changed["whitespace"] += 1
    return text


class CleanStep(Step[Conversation, Conversation]):
    """Repairs each turn's text (see ``clean_text``) and records which turns it changed, and how,
    in ``metadata["repaired"] = {"turns": [message indices], "kinds": [...]}`` (only when it
    changed something): the release's fidelity report counts them."""

    name = "clean"

    def apply(self, item: Conversation) -> Conversation:
        changed = self.stats.changed
        repaired: list[int] = []
        kinds: Counter[str] = Counter()
        scan = item.metadata.pop(SCAN_CONTROLS, False)
        for i, message in enumerate(item.messages):  # in place: built for this pipeline
            content = message["content"]
            # The common case, clean ASCII, decided inline (a call per text is measurable):
            # _whitespace_suspect's checks, cheapest first.
            if (
                content.isascii()
                and (not scan or _ASCII_CONTROL.search(content) is None)
                and "\t" not in content
                and "\r" not in content
                and content.strip() is content
                and ("\n" not in content or (" \n" not in content and "\n\n\n\n" not in content))
                and _DOUBLE_SPACE(content) is None
            ):
                continue
            turn: Counter[str] = Counter()
            cleaned = clean_text(content, turn, scan_ascii=scan)
            if turn:
                message["content"] = cleaned
                repaired.append(i)
                kinds.update(turn)
        if repaired:
            changed.update(kinds)
            item.metadata["repaired"] = {"turns": repaired, "kinds": sorted(kinds)}
        return item


class ValidateStep(Step[Conversation, Conversation]):
    """Fit for training: alternating turns (either side may open), both sides present, no empty
    or overlong turn, at most ``max_turns`` messages and ``max_record_chars`` characters in the
    dialogue turns; or exactly one message for a text or evaluation record."""

    name = "validate"

    def __init__(
        self,
        family: str | None = None,
        *,
        min_turns: int = 2,
        max_turn_chars: int = 32_000,
        max_turns: int = 1_000,
        max_record_chars: int = 200_000,
    ) -> None:
        super().__init__(family)
        self.min_turns = min_turns
        self.max_turn_chars = max_turn_chars
        self.max_turns = max_turns
        self.max_record_chars = max_record_chars

    def apply(self, item: Conversation) -> Conversation | Reject:
        # Fast pass for the common valid case; any doubt goes to ``diagnose`` for the reason.
        messages = item.messages
        start, count = 0, len(messages)
        if count > self.max_turns:
            return Reject(
                Reason.RECORD_TOO_LARGE.value,
                f"{count} messages; the limit is {self.max_turns} (registry max_turns)",
            )
        while start < count and messages[start]["role"] == "system":
            start += 1
        if count - start < self.min_turns or count - start < 2:
            kind = item.metadata.get("kind")
            if kind in _SINGLE_ROLE:
                return self.validate_single(item, start, kind)
            return self.diagnose(messages)
        limit = self.max_turn_chars
        expected = first = messages[start]["role"]
        chars = 0
        for message in messages[start:] if start else messages:
            content = message["content"]
            if (
                message["role"] != expected
                or not content
                or len(content) > limit
                or content.isspace()
            ):
                return self.diagnose(messages)
            chars += len(content)
            expected = "assistant" if expected == "user" else "user"
        if chars > self.max_record_chars:
            return Reject(
                Reason.RECORD_TOO_LARGE.value,
                f"{chars} characters in {count - start} dialogue turns; the limit is"
                f" {self.max_record_chars} (registry max_record_chars)",
            )
        if first == "assistant":
            self.stats.changed["assistant_first"] += 1
        elif first != "user":
            return self.diagnose(messages)
        return item

    def validate_single(self, item: Conversation, start: int, kind: str) -> Conversation | Reject:
        """A text record (one assistant message) or an evaluation record (one user message),
        after any system message, within limits."""
        role = _SINGLE_ROLE[kind]
        body = item.messages[start:]
        if len(body) != 1 or body[0]["role"] != role:
            roles = ", ".join(m["role"] for m in body) or "none"
            return Reject(
                Reason.NON_ALTERNATING.value,
                f"a {kind} record (metadata.kind={kind}) holds exactly one {role} message after"
                f" any system message; found roles: {roles}",
            )
        content = body[0]["content"]
        if not content or content.isspace():
            return Reject(Reason.EMPTY_TURN.value, f"turn {start} ({role}) is empty")
        if len(content) > self.max_turn_chars:
            return Reject(
                Reason.TURN_TOO_LONG.value,
                f"turn {start} ({role}) has {len(content)} characters; the limit is"
                f" {self.max_turn_chars}",
            )
        self.stats.changed[f"{kind}_record"] += 1
        return item

    def diagnose(self, messages: list[Message]) -> Reject:
        """The first problem, in a fixed order, for a conversation the fast pass doubted."""
        start = 0
        while start < len(messages) and messages[start]["role"] == "system":
            start += 1
        previous = None
        turns: Counter[str] = Counter()
        for n in range(start, len(messages)):
            role, content = messages[n]["role"], messages[n]["content"]
            if role == "system":
                return Reject(
                    Reason.NON_ALTERNATING.value,
                    f"system message at turn {n} after the"
                    " dialogue started; system messages must come first",
                )
            if not content or content.isspace():
                return Reject(Reason.EMPTY_TURN.value, f"turn {n} ({role}) is empty")
            if role == previous:
                return Reject(
                    Reason.NON_ALTERNATING.value, f"turns {n - 1} and {n} are both {role}"
                )
            if len(content) > self.max_turn_chars:
                return Reject(
                    Reason.TURN_TOO_LONG.value,
                    f"turn {n} ({role}) has {len(content)}"
                    f" characters; the limit is {self.max_turn_chars}",
                )
            turns[role] += 1
            previous = role
        if not turns["user"]:
            return Reject(
                Reason.NO_USER_TURN.value,
                f"no user turn ({turns['assistant']} assistant turn(s) only): one side of the"
                " dialogue is missing",
            )
        if not turns["assistant"]:
            return Reject(
                Reason.NO_ASSISTANT_TURN.value,
                f"no assistant turn ({turns['user']} user turn(s) only): one side of the dialogue"
                " is missing",
            )
        return Reject(
            Reason.TOO_FEW_TURNS.value,
            f"{len(messages) - start} dialogue turns; at least {self.min_turns} are required",
        )


class FinalizeStep(Step[Conversation, Conversation]):
    """Stamps the content hash and the full provenance on each conversation.

    The licence is the source's, unless the record inherited one (``inherited_license``: a copy
    of a record this pipeline ingested before) that ``stricter`` ranks lower; the inherited one
    is kept in ``provenance.inherited_license`` either way.
    """

    name = "finalize"

    def __init__(
        self,
        family: str,
        license: str | None,
        ingested_at: str,
        etags: Mapping[str, str] | None = None,
        stricter: Callable[[str | None, str | None], str | None] | None = None,
    ) -> None:
        super().__init__(family)
        self.license = license
        self.ingested_at = ingested_at
        self.etags = etags or {}
        self.stricter = stricter

        self._constant = {
            "family": family,
            "license": license,
            "pipeline_version": PIPELINE_VERSION,
            "ingested_at": ingested_at,
        }

    def apply(self, item: Conversation) -> Conversation:
        metadata = item.metadata
        metadata["content_hash"] = record_content_hash(item.messages, metadata)
        provenance = metadata.get("provenance")
        if provenance is None:
            provenance = metadata["provenance"] = {}
        provenance.update(self._constant)
        provenance["source_etag"] = self.etags.get(provenance.get("source_key") or "")
        provenance["detected_format"] = metadata.get("detected_format")
        if INHERITED_LICENSE in metadata:
            inherited = metadata.pop(INHERITED_LICENSE)
            provenance["inherited_license"] = inherited
            # Without a ranking (a bare step), the inherited licence is at least as strict as
            # nothing: deny by default.
            stamped = self.stricter(inherited, self.license) if self.stricter else None
            if stamped != self.license:
                provenance["license"] = stamped
                self.stats.changed["license_inherited"] += 1
        return item

"""Words, sentences and cleaning of spoken text (shared by every generator over transcripts).

``clean_text`` removes fillers ("um", "uh", ", you know,", "I mean," at a sentence start,
", like,"), stutters ("I I"), caption annotations ("[Music]") and channel boilerplate sentences
(subscribe, links in the description, sponsors), and counts each change. ``redact`` replaces
URLs, e-mail addresses, @handles and given speaker names by typed placeholders (``<URL_1>``,
``<EMAIL_1>``, ``<PERSON_1>``), consistent within one ``Redactions``: the shape curation's PII
redactor writes, so it leaves them alone.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

# -- words and sentences ---------------------------------------------------------------------------
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*")
_ABBREVIATIONS = ("Dr.", "Mr.", "Mrs.", "Ms.", "St.", "e.g.", "i.e.", "etc.", "vs.", "Prof.")
# End punctuation and closing quotes stay with the sentence; the next one starts with a capital.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(\s+)(?=[\"'“‘(\[]?[A-Z0-9<])")
MAX_SENTENCE_WORDS = 60  # longer "sentences" (unpunctuated captions) are cut into windows
WINDOW_WORDS = 25


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def words_of(text: str) -> list[str]:
    """Lower-cased word tokens (apostrophes kept: "don't", "it's")."""
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph: a regex splitter that respects common abbreviations and cuts
    unpunctuated runs (auto captions) into windows of ``WINDOW_WORDS`` words."""
    protected = text
    for abbreviation in _ABBREVIATIONS:
        protected = protected.replace(abbreviation, abbreviation.replace(".", "\x00"))
    pieces: list[str] = []
    begin = 0
    for match in _SENTENCE_END.finditer(protected):
        pieces.append(protected[begin : match.start(1)])
        begin = match.end(1)
    pieces.append(protected[begin:])
    out: list[str] = []
    for piece in pieces:
        sentence = piece.replace("\x00", ".").strip()
        if not sentence:
            continue
        tokens = sentence.split()
        if count_words(sentence) <= MAX_SENTENCE_WORDS:
            out.append(sentence)
            continue
        out += [" ".join(tokens[i : i + WINDOW_WORDS]) for i in range(0, len(tokens), WINDOW_WORDS)]
    return out


# -- cleaning --------------------------------------------------------------------------------------
_ANNOTATION = re.compile(
    r"[\[(](?:music|applause|laughter|laughs|laughing|inaudible|crosstalk|silence|pause|"
    r"background noise)[\])]\s*",
    re.IGNORECASE,
)
# A filler takes its commas with it: "because, um, almost" -> "because almost".
_FILLER = re.compile(
    r",?\s*(?<![\w'’-])(?:u+m+|u+h+m*|e+r+m+|e+r|h+m+|m{2,})(?![\w'’-])[,…]*", re.IGNORECASE
)
# "you know" is a filler after a comma (", you know," / ", you know.") or opening a sentence
# with a comma ("You know, ..."); "Do you know what I mean?" is a question and stays.
_YOU_KNOW = re.compile(
    r",\s*you know(?: what I mean)?(?=\s*[,.!?…])|(?:(?<=^)|(?<=[.!?]\s))you know,\s*",
    re.IGNORECASE,
)
_I_MEAN = re.compile(r"(?:(?<=^)|(?<=[.!?]\s))I mean,\s*")
_LIKE = re.compile(r",\s*like,", re.IGNORECASE)
_STUTTER = re.compile(r"\b(I|the|a|and|to|it|you|we|so|but|that's|it's)(?:\s+\1\b)+", re.IGNORECASE)
_BOILERPLATE = re.compile(
    r"\b(?:subscribe|subscribed|subscribers|welcome back to (?:my|the|our) channel|"
    r"links? (?:is |are )?(?:down )?(?:in|below) (?:the )?description|"
    r"in the description (?:box|below)|hit the (?:notification )?bell|patreon|"
    r"this (?:video|episode) is (?:sponsored|brought to you)|sponsored by|thumbs up|"
    r"like and share)\b",
    re.IGNORECASE,
)
URL = re.compile(
    r"\b(?:https?://|www\.)[^\s<>\"'()]+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\."
    r"(?:com|org|net|io|co|ca|uk|au|info|tv|me|us)\b(?:/[^\s<>\"'()]*)?",
    re.IGNORECASE,
)
EMAIL = re.compile(r"\b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b")
HANDLE = re.compile(r"(?<![\w.@])@[A-Za-z0-9_]{2,30}\b")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.!?;:…])")
_DOUBLE_COMMA = re.compile(r",\s*,+")
_COMMA_END = re.compile(r",\s*([.!?])")
_SPACES = re.compile(r"[ \t]{2,}")
_LEADING_COMMA = re.compile(r"(^|[.!?]\s+)[,.]\s*")
_LOWER_START = re.compile(r"(^|[.!?]\s+)([a-z])")


class Redactions:
    """Typed placeholders consistent within one transcript: the same value, the same number."""

    def __init__(self) -> None:
        self._numbers: Counter[str] = Counter()
        self._assigned: dict[tuple[str, str], str] = {}

    def placeholder(self, label: str, value: str) -> str:
        key = (label, value.lower().rstrip(".,;:"))
        if key not in self._assigned:
            self._numbers[label] += 1
            self._assigned[key] = f"<{label}_{self._numbers[label]}>"
        return self._assigned[key]


def _trailing_punct(value: str) -> tuple[str, str]:
    stripped = value.rstrip(".,;:!?)")
    return stripped, value[len(stripped) :]


def redact(text: str, redactions: Redactions, names: tuple[str, ...], changes: Counter[str]) -> str:
    """URLs, e-mails, handles and the given speaker names -> placeholders."""

    def sub(label: str, kind: str) -> Any:
        def replace(match: re.Match[str]) -> str:
            value, tail = _trailing_punct(match.group(0))
            changes[f"redacted_{kind}"] += 1
            return redactions.placeholder(label, value) + tail

        return replace

    text = EMAIL.sub(sub("EMAIL", "email"), text)
    text = URL.sub(sub("URL", "url"), text)
    text = HANDLE.sub(sub("PERSON", "handle"), text)
    for name in names:
        # A capitalised word right after a known name is taken as the surname ("Marion Hale").
        pattern = re.compile(rf"\b{re.escape(name)}(?: [A-Z][a-z]+(?=[\s,.!?;:]))?\b")
        text, n = pattern.subn(redactions.placeholder("PERSON", name), text)
        changes["redacted_speaker_name"] += n
    return text


def clean_text(text: str, changes: Counter[str]) -> str:
    """Fillers, stutters, annotations and boilerplate sentences out; spacing and capitals fixed."""
    text, n = _ANNOTATION.subn("", text)
    changes["annotation_removed"] += n
    for pattern, kind, replacement in (
        (_YOU_KNOW, "filler_you_know", ""),
        (_I_MEAN, "filler_i_mean", ""),
        (_LIKE, "filler_like", " "),
        (_FILLER, "filler", " "),
    ):
        text, n = pattern.subn(replacement, text)
        changes[kind] += n
    text, n = _STUTTER.subn(lambda m: m.group(1), text)
    changes["stutter"] += n
    kept = []
    for sentence in split_sentences(text):
        if _BOILERPLATE.search(sentence):
            changes["boilerplate_sentence"] += 1
            continue
        kept.append(sentence)
    text = " ".join(kept)
    text = _DOUBLE_COMMA.sub(",", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _COMMA_END.sub(r"\1", text)
    text = _SPACES.sub(" ", text).strip(" ,")
    text = _LEADING_COMMA.sub(r"\1", text)
    return _LOWER_START.sub(lambda m: m.group(1) + m.group(2).upper(), text)

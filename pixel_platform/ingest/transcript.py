"""Speaker-labelled transcripts: ``Client: ...`` / ``Therapist: ...`` lines -> (label, text) turns.

A label counts only at the start of a line. Known labels are the family's role names (built-in
ones such as Human/Assistant, Client/Therapist, Patient/Counselor plus the family's ``roles``),
matched case-insensitively, optionally in markdown bold (``**Client:**``) or after a timestamp
(``[00:01:34] Host:``, dropped with the label). Lines without a label continue the previous
speaker. Other ``Word:`` prefixes are text ("Note: ..." inside an answer) — unless the transcript
has no known label at all: then any line-start label is a speaker, so that an unmapped speaker is
reported as an unknown role instead of the whole text as unrecognised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "[00:01:34] Host:" / "(1:02) Host:": a timestamp before the label is part of the label, not
# of the turn's text.
_LABEL_HEAD = r"^[ \t]*(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?[ \t]+)?(?:\*\*)?"
_LABEL_TAIL = r"(?:\*\*)?[ \t]*:(?:\*\*)?[ \t]*"
_GENERIC = re.compile(
    _LABEL_HEAD + r"([A-Za-z][\w.'-]*(?: [\w.'-]+){0,2})" + _LABEL_TAIL, re.MULTILINE
)


@dataclass(frozen=True, slots=True)
class Segment:
    label: str  # as written in the text
    text: str


class TranscriptParser:
    def __init__(self, labels: list[str]) -> None:
        alternatives = "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))
        self._known = re.compile(
            rf"{_LABEL_HEAD}({alternatives}){_LABEL_TAIL}", re.MULTILINE | re.IGNORECASE
        )

    def parse(self, text: str) -> tuple[list[Segment], str]:
        """The speaker segments and the text before the first label (a title, say)."""
        matches = list(self._known.finditer(text)) or list(_GENERIC.finditer(text))
        if not matches:
            return [], text.strip()
        segments = [
            Segment(m.group(1), text[m.end() : nxt.start() if nxt else len(text)].strip())
            for m, nxt in zip(matches, [*matches[1:], None], strict=True)
        ]
        return segments, text[: matches[0].start()].strip()

"""The allowlist's fast paths find what the slow ones did: the Aho-Corasick literal scan
(``Entries.present``) and the word test in front of the resource-context regex."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from pixel_platform.curation.pii import lexicon
from pixel_platform.curation.pii.lexicon import load_allowlist
from pixel_platform.curation.pii.settings import DEFAULT_ALLOWLIST

# counsel-chat (MIT; licence in pixel_platform/sample_data/licenses/): the full dump beside the
# checkout, else the sample's subset.
_SHARED = Path(__file__).parents[4] / "shared" / "data" / "counsel_chat_20200325.csv"
_SAMPLE = (
    Path(lexicon.__file__).parents[2]
    / "sample_data/bucket/acquired/counsel_chat/counsel_chat_sample.csv"
)
COUNSEL_CHAT_CSV = _SHARED if _SHARED.is_file() else _SAMPLE

# One phrase for every branch of the resource-context regex (``_RESOURCE_NOUN`` and the
# "<Name> Line" form), in several cases and scripts.
CONTEXTS = [
    "hot line", "Hotline", "HELP LINE", "lifeline", "crisis center", "Crisis Centre",
    "crisis team", "crisis service", "crisis number", "text line", "Textline", "warmline",
    "info line", "talkline", "support line", "advice line", "Poison Control",
    "suicide prevention", "crisis hotline", "locator", "línea", "Linea", "national suicide line",
    "county mental health hotline", "LifeNet", "Samaritans", "emergency number",
    "emergency services", "emergency line", "热线", "心理援助热线", "心理援助", "危机干预",
    "the Trevor Line", "ſamaritans",
]  # fmt: skip


@pytest.mark.parametrize("context", CONTEXTS)
def test_every_resource_context_passes_the_word_test(context: str) -> None:
    text = f"You can reach the {context} at 800-273-8255 any time."
    assert lexicon._RESOURCE_CONTEXT.search(text), context
    assert any(word in text.casefold() for word in lexicon._CONTEXT_WORDS), context
    assert lexicon.resource_numbers(text), context


def _slow_present(entries: lexicon.Entries, haystack: str) -> list[re.Pattern[str]]:
    return [rx for literal, rx in entries if literal in haystack]


def test_the_literal_scan_finds_what_substring_tests_found() -> None:
    """On counsel-chat (real text the allowlist was not written from) and on the allowlist's
    own entries, every group's one-pass scan picks the same regexes as testing each literal."""
    allowlist = load_allowlist(DEFAULT_ALLOWLIST)
    texts = Path(DEFAULT_ALLOWLIST).read_text(encoding="utf-8").splitlines()
    with Path(COUNSEL_CHAT_CSV).open(encoding="utf-8", errors="replace") as fh:
        for n, row in enumerate(csv.DictReader(fh)):
            texts += [str(row.get("questionText") or ""), str(row.get("answerText") or "")]
            if n >= 400:
                break
    groups = ("numbers", "phrases", "resource_sites", "public_sites", "people", "places")
    compared = 0
    for text in texts:
        for name in groups:
            entries: lexicon.Entries = getattr(allowlist, name)
            haystack = text if name == "people" else text.lower()
            assert entries.present(haystack) == _slow_present(entries, haystack), (name, text)
            compared += 1
    assert compared > 2000

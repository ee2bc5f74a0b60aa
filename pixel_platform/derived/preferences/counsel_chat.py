"""Preference pairs from counsel-chat: several therapists answer one question; upvotes rank them.

Rows are grouped by ``questionID``; the user turn is ``questionTitle`` and ``questionText``
joined by a blank line (as the ``qa`` converter joins them; once when they are equal). Answers are
ranked by upvotes (then by their row order, which is stable). A pair is (chosen, rejected) with
``upvotes(chosen) - upvotes(rejected) >= min_margin``; ``pairing`` decides which pairs:

* ``adjacent`` (default): each answer is chosen at most once, against the highest-ranked answer
  below it that is at least ``min_margin`` lower: varied rejected replies, honest margins;
* ``max_margin``: each answer is chosen at most once, against the lowest-voted answer;
* ``all``: every qualifying pair. The same (question, chosen) then appears with several rejected
  replies, and as records they are exact duplicates (the content hash covers the messages, not
  the rejected reply), so global dedup keeps one of them: use it only outside the pipeline.

Rows with no question, an empty answer, a non-integer upvote count or an answer repeated within
the question are counted by reason, never silently skipped. Answer text gets one repair: the
scrape glued paragraphs together ("hang out with.Serious"), so a missing space after a sentence
end before a capital letter is restored.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pixel_platform.core.record import Conversation
from pixel_platform.derived.output import GeneratorReport, generator_stamp

SOURCE = "counsel_chat_upvotes"
GENERATOR = "preference_pairs_counsel_chat"
PAIRINGS = ("adjacent", "max_margin", "all")
REQUIRED = ("questionID", "questionTitle", "answerText", "upvotes")
_GLUED = re.compile(r"(?<=[a-z][.!?])(?=[A-Z][a-z])")
_BLANKS = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class Answer:
    row: int  # 1-based data row in the CSV
    text: str
    upvotes: int
    therapist: str | None = None


@dataclass
class Question:
    id: str
    text: str
    topic: str | None
    answers: list[Answer] = field(default_factory=list)


def clean_answer(text: str) -> str:
    text = _GLUED.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(_BLANKS.sub(" ", line).strip() for line in text.split("\n")).strip()


def _question_text(row: dict[str, str]) -> str:
    title = (row.get("questionTitle") or "").strip()
    body = (row.get("questionText") or "").strip()
    if not body or body == title:
        return title
    return f"{title}\n\n{body}" if title else body


def read_questions(data: bytes, report: GeneratorReport) -> list[Question]:
    """Questions with their answers, in first-seen order; bad rows counted in ``report``."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        report.count("input", "decoded_as_cp1252")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"the CSV has no column(s) {', '.join(missing)}")
    questions: dict[str, Question] = {}
    for n, row in enumerate(reader, 1):
        report.inputs += 1
        qid = (row.get("questionID") or "").strip()
        question = _question_text(row)
        answer = clean_answer(row.get("answerText") or "")
        if not qid or not question:
            report.dropped["no_question"] += 1
            continue
        if not answer:
            report.dropped["empty_answer"] += 1
            continue
        try:
            upvotes = int(str(row.get("upvotes") or "").strip())
        except ValueError:
            report.dropped["bad_upvotes"] += 1
            continue
        entry = questions.setdefault(qid, Question(qid, question, row.get("topic") or None))
        if any(a.text == answer for a in entry.answers):
            report.dropped["duplicate_answer"] += 1
            continue
        entry.answers.append(Answer(n, answer, upvotes, (row.get("therapistInfo") or None)))
    return list(questions.values())


def rank(answers: list[Answer]) -> list[Answer]:
    return sorted(answers, key=lambda a: (-a.upvotes, a.row))


def pairs_for(
    question: Question, *, min_margin: float = 1.0, pairing: str = "adjacent"
) -> list[tuple[Answer, Answer]]:
    if pairing not in PAIRINGS:
        raise ValueError(f"pairing must be one of {', '.join(PAIRINGS)}, not {pairing!r}")
    ranked = rank(question.answers)
    out: list[tuple[Answer, Answer]] = []
    for i, chosen in enumerate(ranked):
        below = [r for r in ranked[i + 1 :] if chosen.upvotes - r.upvotes >= min_margin]
        if not below:
            continue
        if pairing == "adjacent":
            out.append((chosen, below[0]))
        elif pairing == "max_margin":
            out.append((chosen, below[-1]))
        else:
            out += [(chosen, rejected) for rejected in below]
    return out


def counsel_chat_records(
    data: bytes,
    *,
    source_key: str,
    source_etag: str | None = None,
    min_margin: float = 1.0,
    pairing: str = "adjacent",
    report: GeneratorReport | None = None,
) -> Iterator[Conversation]:
    """Preference records (prompt + chosen as messages, ``metadata.preference``) from the CSV."""
    report = report if report is not None else GeneratorReport(GENERATOR)
    for question in read_questions(data, report):
        if len(question.answers) < 2:
            report.count("questions", "single_answer")
            continue
        pairs = pairs_for(question, min_margin=min_margin, pairing=pairing)
        report.count("questions", "paired" if pairs else "no_margin")
        for chosen, rejected in pairs:
            margin = float(chosen.upvotes - rejected.upvotes)
            report.count("topic", question.topic or "none")
            yield Conversation(
                messages=[
                    {"role": "user", "content": question.text},
                    {"role": "assistant", "content": chosen.text},
                ],
                metadata={
                    "synthetic": False,
                    "preference": {"rejected": rejected.text, "margin": margin, "source": SOURCE},
                    "counsel_chat": {
                        "question_id": question.id,
                        "topic": question.topic,
                        "chosen_upvotes": chosen.upvotes,
                        "rejected_upvotes": rejected.upvotes,
                        "chosen_row": chosen.row,
                        "rejected_row": rejected.row,
                        "answers": len(question.answers),
                    },
                    "generator": generator_stamp(
                        GENERATOR,
                        0,
                        [{"key": source_key, "etag": source_etag}],
                        min_margin=min_margin,
                        pairing=pairing,
                    ),
                },
            )


# Histogram buckets of the margins: (upper bound, exclusive; name), then the one above them all.
MARGIN_BUCKETS = [(1, "<1"), (2, "1"), (3, "2"), (4, "3"), (6, "4-5"), (10, "6-9")]
MARGIN_TOP_BUCKET = "10+"


def margin_distribution(margins: list[float]) -> dict[str, Any]:
    """min / median / max / mean and a histogram (1, 2, 3, 4-5, 6-9, 10+) of the margins."""
    if not margins:
        return {"pairs": 0}
    ordered = sorted(margins)
    n = len(ordered)
    median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    buckets = Counter(
        next((name for bound, name in MARGIN_BUCKETS if m < bound), MARGIN_TOP_BUCKET)
        for m in ordered
    )
    order = [name for _, name in MARGIN_BUCKETS] + [MARGIN_TOP_BUCKET]
    return {
        "pairs": n,
        "min": ordered[0],
        "median": median,
        "max": ordered[-1],
        "mean": round(sum(ordered) / n, 4),
        "histogram": {b: buckets[b] for b in order if buckets[b]},
    }

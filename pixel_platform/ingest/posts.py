"""Unpaired posts -> a phase A text record or a crisis evaluation record, never a dialogue.

A post is a text somebody wrote that nobody answered in the data: a row of the Reddit
suicide-detection dump (``,text,class``), a ``title,selftext`` row without a reply. Inventing the
missing side would put words in a counsellor's mouth, so the registry's ``posts`` route says what a
post becomes (``registry.model.PostsRoute``):

- ``text``: ``{"messages": [{"role": "assistant", "content": post}], "metadata": {"kind":
  "text"}}``, the phase A shape the pretraining generator writes (the release exports it as
  ``{"text": ...}``);
- ``crisis_eval``: ``{"messages": [{"role": "user", "content": post}], "metadata": {"kind":
  "eval"}}``: the post as a prompt with its label, for evaluation only (the registry allows the
  route only in holdout families, which the release puts in the test split).

Either way ``metadata.post`` holds the route and the label columns (``fields.post_labels``, e.g.
``class: suicide``); every other column stays in ``source_fields``. The text is the title (when
there is one) and the body joined by a blank line; a body that Reddit replaced with
``[removed]``/``[deleted]`` is no text, and ``metadata.post.body_removed`` says so.
"""

from __future__ import annotations

from typing import Any

from pixel_platform.core.reasons import Reason
from pixel_platform.core.record import Message
from pixel_platform.core.steps import Reject
from pixel_platform.ingest.clean import EVAL_KIND, TEXT_KIND
from pixel_platform.registry.model import FieldMapping

KIND_OF_ROUTE = {"text": TEXT_KIND, "crisis_eval": EVAL_KIND}
ROLE_OF_ROUTE = {"text": "assistant", "crisis_eval": "user"}
REMOVED_BODIES = frozenset({"[removed]", "[deleted]"})


def post_field(payload: dict[str, Any], fields: FieldMapping) -> str | None:
    """The first post-body column present, or None: is this record a post at all?"""
    for key in fields.post:
        if key in payload:
            return key
    return None


def _text_of(payload: dict[str, Any], key: str) -> str | Reject:
    value = payload[key]
    if value is None:
        return ""  # an empty CSV cell read as null: nothing to add
    if type(value) is not str:
        return Reject(
            Reason.WRONG_FIELD_TYPE.value, f"{key} is a {type(value).__name__}, expected a string"
        )
    return value


def convert_post(
    payload: Any, fields: FieldMapping, route: str
) -> tuple[list[Message], tuple[str, ...], dict[str, Any]] | Reject:
    """``(messages, columns used, metadata.post)`` for one post, or why it is not one."""
    if isinstance(payload, str):  # a .txt file under a posts route: the file is the post
        payload = {"text": payload}
    if type(payload) is not dict:
        found = "null" if payload is None else type(payload).__name__
        return Reject(Reason.UNKNOWN_FORMAT.value, f"a post is an object or a text, found {found}")
    body_key = post_field(payload, fields)
    title_key = next((k for k in fields.post_title if k in payload), None)
    if body_key is None and title_key is None:
        tried = ", ".join((*fields.post_title, *fields.post))
        return Reject(Reason.UNKNOWN_FORMAT.value, f"no post text; tried {tried}")
    parts: list[str] = []
    body_removed = False
    for key in (title_key, body_key):
        if key is None:
            continue
        text = _text_of(payload, key)
        if isinstance(text, Reject):
            return text
        if key == body_key and text.strip() in REMOVED_BODIES:
            body_removed = True
            continue
        if text.strip():
            parts.append(text)
    if not parts:
        return Reject(Reason.EMPTY_RECORD.value, "the post has no text (title and body empty)")
    labels = {k: payload[k] for k in fields.post_labels if payload.get(k) not in (None, "")}
    post: dict[str, Any] = {"route": route, "labels": labels}
    if body_removed:
        post["body_removed"] = True
    used = tuple(k for k in (title_key, body_key, *labels) if k is not None)
    return [{"role": ROLE_OF_ROUTE[route], "content": "\n\n".join(parts)}], used, post

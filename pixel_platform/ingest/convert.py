"""Every record shape -> one ``Conversation`` (ChatML messages + metadata).

Formats (``auto`` detects per record, in this order):

- ``messages`` / ``sharegpt`` / ``turn_list``: a list of turns under a ``fields.turn_lists`` key
  (``messages`` -> messages, ``conversations`` -> sharegpt, any other -> turn_list), or a bare list
  of turns as the record. A turn has a role under ``fields.role`` and text under ``fields.content``.
- ``alpaca``: instruction (+ input) -> user, output -> assistant.
- ``qa``: the present ``fields.question`` columns -> user, ``fields.answer`` columns -> assistant.
- ``transcript``: a text with speaker labels (a ``.txt`` file, or a str under ``fields.text``).
- ``parlai``: a ParlAI episode ``{"personality", "utterances": [{"history", "candidates"}]}``,
  rebuilt as one conversation (``ingest.parlai``).
- ``post``: a post nobody answered, only where the registry gives the source a ``posts`` route
  (``ingest.posts``): a phase A text record or a crisis evaluation record. Without a route such a
  record is quarantined as ``unpaired_post``: a post never becomes a made-up dialogue.

Roles go through ``Registry.roles_for(family)``; consecutive turns of one role are merged
(``merge_turns=False``, as ``pixel-platform validate --require-alternating`` asks: a user or
assistant turn that follows one of its own role is ``non_alternating`` instead). Source
fields no converter used are kept in ``metadata["source_fields"]``; extra keys of individual turns
in ``metadata["source_turn_fields"]`` (by source turn index). Reject details name the registry's
fields, types and counts, never a value from the record: not its text, not a role or speaker
label, not a key the registry does not name (keys can be text too: a CSV without a header row).

What a record keeps as it was (source fields, extra turn fields, post labels) is measured: nested
deeper than the reader's limit, the record is ``too_deep``. A turn list or transcript with more
than the family's ``max_turns`` turns is ``record_too_large`` before it is converted (merging
100,000 turns of one speaker would copy the text 100,000 times).

One exception for records that are already ChatML (``{"messages": [...], "metadata": {...}}``, as
the derived generators write them): the keys in ``LIFTED_METADATA`` of the source ``metadata``
move up to ``metadata`` itself, because later steps act on them: ``kind`` (``"text"`` marks a
phase A text record, which ``ValidateStep`` accepts with a single assistant message) and
``preference`` (a phase C pair's rejected reply and margin, which the release exports). Everything
else in the source ``metadata`` stays under ``source_fields["metadata"]``. The licence a record
already carries in ``metadata.provenance.license`` (a curated record that a generator copied into
``derived/``, such as the long-running extraction) is noted as ``metadata["inherited_license"]``:
``FinalizeStep`` stamps the stricter of it and the source's licence, so a copy never ships under a
licence more permissive than its original's.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from pixel_platform.core.errors import ConfigError
from pixel_platform.core.reasons import Reason
from pixel_platform.core.record import Conversation, Message
from pixel_platform.core.steps import Reject, Step
from pixel_platform.ingest.clean import INHERITED_LICENSE, SCAN_CONTROLS
from pixel_platform.ingest.json_checks import MAX_DEPTH, too_deep
from pixel_platform.ingest.parlai import convert_episode, is_parlai_episode
from pixel_platform.ingest.posts import KIND_OF_ROUTE, convert_post, post_field
from pixel_platform.ingest.raw import RawRecord
from pixel_platform.ingest.shapes import first_key
from pixel_platform.ingest.transcript import TranscriptParser
from pixel_platform.registry.model import INPUT_FORMATS, FamilySpec, Registry

TURN_FORMATS = ("messages", "sharegpt", "turn_list")
_FORMAT_BY_LIST_KEY = {"messages": "messages", "conversations": "sharegpt"}
SYSTEM_FIELD = "system"  # a record-level system prompt (ShareGPT variants carry one)
UNKNOWN = "unknown"
SOURCE_METADATA = "metadata"
LIFTED_METADATA = ("kind", "preference")


def type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


# A converter's result: (messages, record keys it consumed, extra keys of individual turns by
# source index, source content that is not a field such as a transcript's preamble). A plain
# tuple, not a class: it is built once per record and a class costs as much as a dict of turns.
_Converted = tuple[
    list[Message], tuple[str, ...], dict[str, dict[str, Any]] | None, dict[str, Any] | None
]


class ConvertStep(Step[RawRecord, Conversation]):
    name = "convert"

    def __init__(
        self,
        registry: Registry,
        family: FamilySpec,
        fmt: str = "auto",
        *,
        posts: str | None = None,
        max_depth: int = MAX_DEPTH,
        merge_turns: bool = True,
    ) -> None:
        super().__init__(family.name or None)
        if fmt not in INPUT_FORMATS:
            raise ConfigError(f"unknown input format {fmt!r}; expected one of {INPUT_FORMATS}")
        if posts not in (None, *KIND_OF_ROUTE):
            raise ConfigError(
                f"unknown posts route {posts!r}; expected one of {list(KIND_OF_ROUTE)}"
            )
        if fmt == "post" and posts is None:
            raise ConfigError("format 'post' needs a posts route (text or crisis_eval)")
        self.fmt = fmt
        self.posts = posts  # what an unpaired post becomes here; None: it is quarantined
        self.max_turns = registry.max_turns(family)
        self.max_depth = max_depth
        self.merge_turns = merge_turns
        self.fields = family.fields
        self.roles = registry.roles_for(family)
        self.system_prompt = family.system_prompt
        self.transcripts = TranscriptParser(list(self.roles))
        fields = self.fields
        self._first_pair = (fields.role[:1] or ("",))[0], (fields.content[:1] or ("",))[0]
        # What was detected, per source object: the ingest report shows mixed or surprising files.
        self.formats_by_file: dict[str, Counter[str]] = defaultdict(Counter)
        self._file_key: str | None = None  # records come file by file: cache that file's counter
        self._file_counts: Counter[str] = Counter()

    # -- the step ----------------------------------------------------------------------------------
    def apply(self, item: RawRecord) -> Conversation | Reject:
        payload = item.payload
        fmt = self.fmt if self.fmt != "auto" else self.detect(payload)
        if item.source_key != self._file_key:
            self._file_key = item.source_key
            self._file_counts = self.formats_by_file[item.source_key]
        self._file_counts[fmt] += 1
        if fmt == UNKNOWN:
            return self._unrecognised(payload)
        result = self._convert(fmt, payload)
        if isinstance(result, Reject):
            return result
        messages, used, turn_fields, extra = result
        provenance: dict[str, Any] = {
            "source_key": item.source_key,
            "line": item.line,
            "index": item.index,
        }
        if item.container is not None:
            provenance["container"] = item.container
        metadata: dict[str, Any] = {"detected_format": fmt, "provenance": provenance}
        post = None
        if fmt == "post":
            post, extra = extra, None
        kept_nested = bool(turn_fields) or post is not None or extra is not None
        if type(payload) is dict and len(payload) > len(used):
            unused = {k: v for k, v in payload.items() if k not in used}
            kept_nested = kept_nested or _any_container(unused.values())
            if type(unused.get(SOURCE_METADATA)) is dict:
                unused[SOURCE_METADATA] = _lift(unused[SOURCE_METADATA], metadata)
                if not unused[SOURCE_METADATA]:
                    del unused[SOURCE_METADATA]
            if unused:
                metadata["source_fields"] = unused
        if extra:
            metadata.setdefault("source_fields", {}).update(extra)
        if turn_fields:
            metadata["source_turn_fields"] = turn_fields
        if post is not None:  # after lifting: the route decides the kind, not a source column
            metadata["kind"] = KIND_OF_ROUTE[str(self.posts)]
            metadata["post"] = post
        if item.encoding_note:
            metadata["encoding_note"] = item.encoding_note
        if kept_nested and too_deep(metadata, self.max_depth - 1):  # the record adds a level
            return Reject(
                Reason.TOO_DEEP.value,
                f"fields kept with the record nest deeper than the {self.max_depth}-level limit",
            )
        if item.may_hold_controls:
            metadata[SCAN_CONTROLS] = True
        if self.system_prompt and not any(m["role"] == "system" for m in messages):
            messages.insert(0, {"role": "system", "content": self.system_prompt})
            self.stats.changed["system_prompt_added"] += 1
        return Conversation(messages, metadata)

    def detect(self, payload: Any) -> str:
        fields = self.fields
        if type(payload) is dict:
            for key in fields.turn_lists:
                if key in payload:
                    return _FORMAT_BY_LIST_KEY.get(key, "turn_list")
            if fields.instruction in payload and fields.output in payload:
                return "alpaca"
            if is_parlai_episode(payload):
                return "parlai"
            if first_key(payload, fields.question) and first_key(payload, fields.answer):
                if self.posts is None or _has_reply(payload, fields.answer):
                    return "qa"
                return "post"  # a question row nobody answered, where posts have a route
            if self.posts is not None and (
                post_field(payload, fields) or first_key(payload, fields.post_title)
            ):
                return "post"
            if first_key(payload, fields.text):
                return "transcript"
            return UNKNOWN
        if isinstance(payload, str):
            if not payload.strip():
                return UNKNOWN
            return "post" if self.posts is not None else "transcript"
        if isinstance(payload, list) and payload:
            return "turn_list"
        return UNKNOWN

    def _unrecognised(self, payload: Any) -> Reject:
        if payload in ({}, [], None) or (isinstance(payload, str) and not payload.strip()):
            return Reject(Reason.EMPTY_RECORD.value, f"the record is an empty {type_name(payload)}")
        if isinstance(payload, dict):
            # Not the keys themselves: a record's keys can be its text (a CSV without a header).
            return Reject(
                Reason.UNKNOWN_FORMAT.value,
                f"no key of the record ({len(payload)} in all) is a conversation field the"
                " family reads (registry fields: turn lists, question/answer, instruction/output,"
                " text)",
            )
        return Reject(
            Reason.UNKNOWN_FORMAT.value,
            f"the record is a {type_name(payload)}, not an object, list or text",
        )

    def _convert(self, fmt: str, payload: Any) -> _Converted | Reject:
        if fmt in TURN_FORMATS:
            return self._turn_record(payload)
        if fmt == "alpaca":
            return self._alpaca(payload)
        if fmt == "qa":
            return self._qa(payload)
        if fmt == "parlai":
            return self._parlai(payload)
        if fmt == "post":
            converted = convert_post(payload, self.fields, str(self.posts))
            if isinstance(converted, Reject):
                return converted
            messages, used, post = converted
            return messages, used, None, post  # ``apply`` files ``post`` as metadata.post
        return self._transcript(payload)

    def _parlai(self, payload: Any) -> _Converted | Reject:
        if type(payload) is not dict:
            found = type_name(payload)
            return Reject(
                Reason.UNKNOWN_FORMAT.value, f"a ParlAI episode is an object, found {found}"
            )
        converted = convert_episode(payload)
        if isinstance(converted, Reject):
            return converted
        messages, info = converted
        return messages, ("utterances",), None, info

    # -- turn lists --------------------------------------------------------------------------------
    def _turn_record(self, payload: Any) -> _Converted | Reject:
        if isinstance(payload, list):
            return self._turns(payload, "record")
        if type(payload) is not dict:
            return Reject(
                Reason.UNKNOWN_FORMAT.value,
                f"expected an object with a turn list, found a {type_name(payload)}",
            )
        key = first_key(payload, self.fields.turn_lists)
        if key is None:
            return Reject(
                Reason.UNKNOWN_FORMAT.value,
                "no turn list; tried " + ", ".join(self.fields.turn_lists),
            )
        result = self._turns(payload[key], key)
        if isinstance(result, Reject):
            return result
        messages, _, turn_fields, _ = result
        system = payload.get(SYSTEM_FIELD) if SYSTEM_FIELD in payload else None
        if isinstance(system, str) and system.strip():
            if messages[0]["role"] != "system":
                messages.insert(0, {"role": "system", "content": system})
            return messages, (key, SYSTEM_FIELD), turn_fields, None
        return messages, (key,), turn_fields, None

    def _turns(self, turns: Any, where: str) -> _Converted | Reject:
        if not isinstance(turns, list):
            return Reject(
                Reason.WRONG_FIELD_TYPE.value,
                f"{where} is a {type_name(turns)}, expected a list of turns",
            )
        if not turns:
            return Reject(Reason.EMPTY_RECORD.value, f"{where} is an empty list")
        if len(turns) > self.max_turns:
            return self._too_many(len(turns), where)
        roles, role_keys, content_keys = self.roles, self.fields.role, self.fields.content
        messages: list[Message] = []
        append = messages.append
        last: Message | None = None
        previous_role = None
        turn_fields: dict[str, dict[str, Any]] | None = None
        merged = 0
        # The hot loop of conversion. Turns of one list share their keys, so a turn holding just
        # the previous turn's pair skips the priority search (it would find the same pair); the
        # first turn starts from the top-priority pair, which the search would also find.
        role_key, content_key = self._first_pair
        for i, turn in enumerate(turns):
            if type(turn) is not dict:
                return Reject(
                    Reason.WRONG_FIELD_TYPE.value,
                    f"{where}[{i}] is a {type_name(turn)}, expected an object",
                )
            if len(turn) != 2 or role_key not in turn or content_key not in turn:
                found = _turn_keys(turn, role_keys, content_keys, f"{where}[{i}]")
                if type(found) is Reject:
                    return found
                role_key, content_key = found  # type: ignore[misc]
                if len(turn) > 2:
                    extra = {k: v for k, v in turn.items() if k != role_key and k != content_key}
                    turn_fields = turn_fields or {}
                    turn_fields[str(i)] = extra
            source_role, content = turn[role_key], turn[content_key]
            role = roles.get(source_role) if type(source_role) is str else None
            if role is None or type(content) is not str:
                role = self._role_or_none(source_role)  # "Human", "GPT": keys are lower-case
                if role is None or type(content) is not str:
                    where_i = f"{where}[{i}]"
                    return self._bad_turn(where_i, role_key, source_role, content_key, content)
            if role == previous_role:
                if not self.merge_turns and role != "system":
                    return _same_role(f"{where}[{i - 1}]", f"{where}[{i}]", role)
                _merge_into(last, content)  # type: ignore[arg-type]
                merged += 1
            else:
                last = {"role": role, "content": content}
                append(last)
                previous_role = role
        if merged:
            self.stats.changed["merged_turns"] += merged
        return messages, (), turn_fields, None

    def _role_or_none(self, source_role: Any) -> str | None:
        if type(source_role) is not str:
            return None
        return self.roles.get(source_role) or self.roles.get(source_role.lower())

    def _bad_turn(
        self, where: str, role_key: str, source_role: Any, content_key: str, content: Any
    ) -> Reject:
        """Why a turn failed the fast checks (or, for a role in another case, its role)."""
        if type(source_role) is not str:
            found = type_name(source_role)
            return Reject(
                Reason.WRONG_FIELD_TYPE.value, f"{where}.{role_key} is a {found}, expected a string"
            )
        if self.roles.get(source_role.lower()) is None:
            return Reject(
                Reason.UNKNOWN_ROLE.value,
                f"{where}.{role_key} holds a role the family does not map (a string of"
                f" {len(source_role)} characters; the record is in the quarantine file); add it"
                " to the family's roles",
            )
        if content is None:
            return Reject(Reason.NULL_CONTENT.value, f"{where}.{content_key} is null")
        return Reject(
            Reason.WRONG_FIELD_TYPE.value,
            f"{where}.{content_key} is a {type_name(content)}, expected a string",
        )

    # -- flat shapes -------------------------------------------------------------------------------
    def _alpaca(self, payload: Any) -> _Converted | Reject:
        fields = self.fields
        if (
            type(payload) is not dict
            or fields.instruction not in payload
            or fields.output not in payload
        ):
            return Reject(
                Reason.UNKNOWN_FORMAT.value,
                f"alpaca needs {fields.instruction!r} and {fields.output!r} fields",
            )
        texts: dict[str, str] = {}
        for key in (fields.instruction, fields.input, fields.output):
            value: Any = payload.get(key)
            if value is None and key == fields.input:
                value = ""
            bad = _not_text(key, value)
            if bad:
                return bad
            texts[key] = value
        user = texts[fields.instruction]
        if texts[fields.input].strip():
            user = f"{user}\n\n{texts[fields.input]}"
        messages: list[Message] = [
            {"role": "user", "content": user},
            {"role": "assistant", "content": texts[fields.output]},
        ]
        used = _present(payload, (fields.instruction, fields.input, fields.output))
        return messages, used, None, None

    def _qa(self, payload: Any) -> _Converted | Reject:
        fields = self.fields
        if type(payload) is not dict:
            found = type_name(payload)
            return Reject(Reason.UNKNOWN_FORMAT.value, f"qa needs an object, found a {found}")
        user = _join_columns(payload, fields.question)
        if isinstance(user, Reject):
            return user
        assistant = _join_columns(payload, fields.answer)
        if isinstance(assistant, Reject):
            return assistant
        if user is None or assistant is None:
            return Reject(
                Reason.UNKNOWN_FORMAT.value,
                "qa needs a question column ("
                + ", ".join(fields.question)
                + ") and an answer column ("
                + ", ".join(fields.answer)
                + ")",
            )
        messages: list[Message] = [
            {"role": "user", "content": user},
            {"role": "assistant", "content": assistant},
        ]
        return messages, _present(payload, (*fields.question, *fields.answer)), None, None

    def _transcript(self, payload: Any) -> _Converted | Reject:
        used: tuple[str, ...] = ()
        if type(payload) is dict:
            key = first_key(payload, self.fields.text)
            if key is None:
                return Reject(
                    Reason.UNKNOWN_FORMAT.value,
                    "no transcript text; tried " + ", ".join(self.fields.text),
                )
            payload, used = payload[key], (key,)
            bad = _not_text(key, payload)
            if bad:
                return bad
            if not payload.strip():
                return Reject(Reason.EMPTY_RECORD.value, f"{key} is empty")
        elif not isinstance(payload, str):
            found = type_name(payload)
            return Reject(Reason.UNKNOWN_FORMAT.value, f"a transcript is text, found {found}")
        segments, preamble = self.transcripts.parse(payload)
        if len(segments) > self.max_turns:
            return self._too_many(len(segments), "the transcript")
        if not segments:
            if used and used[0] in self.fields.post:
                return Reject(
                    Reason.UNPAIRED_POST.value,
                    f"{used[0]} has no speaker labels and the record no reply: a post nobody"
                    " answered; give the source a 'posts' route (text or crisis_eval) to keep it",
                )
            return Reject(
                Reason.UNKNOWN_FORMAT.value, "the text has no speaker labels at line starts"
            )
        messages: list[Message] = []
        for n, segment in enumerate(segments):
            role = self.roles.get(segment.label.lower())
            if role is None:
                return Reject(
                    Reason.UNKNOWN_ROLE.value,
                    f"the speaker label of turn {n} ({len(segment.label)} characters) is not"
                    " mapped; add it to the family's roles",
                )
            if messages and messages[-1]["role"] == role:
                if not self.merge_turns and role != "system":
                    return _same_role(f"transcript turn {n - 1}", f"turn {n}", role)
                _merge_into(messages[-1], segment.text)
                self.stats.changed["merged_turns"] += 1
            else:
                messages.append({"role": role, "content": segment.text})
        return messages, used, None, {"preamble": preamble} if preamble else None

    def _too_many(self, turns: int, where: str) -> Reject:
        return Reject(
            Reason.RECORD_TOO_LARGE.value,
            f"{where} holds {turns} turns; the limit is {self.max_turns} (registry max_turns)",
        )


def _any_container(values: Any) -> bool:
    return any(type(v) is dict or type(v) is list for v in values)


def _has_reply(payload: dict[str, Any], columns: tuple[str, ...]) -> bool:
    """Some answer column holds text (a CSV row's empty cell is no reply)."""
    return any(
        isinstance(payload.get(c), str) and payload[c].strip() for c in columns if c in payload
    )


def _lift(source: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    """Move ``LIFTED_METADATA`` keys of a source ``metadata`` object into ``metadata``; return
    the rest (a copy: the raw payload is not changed)."""
    rest = dict(source)
    for key in LIFTED_METADATA:
        if key in rest:
            metadata[key] = rest.pop(key)
    provenance = rest.get("provenance")
    if isinstance(provenance, dict) and "license" in provenance:
        inherited = provenance["license"]
        metadata[INHERITED_LICENSE] = inherited if isinstance(inherited, str) else None
    return rest


def _turn_keys(
    turn: dict[str, Any], role_keys: tuple[str, ...], content_keys: tuple[str, ...], where: str
) -> tuple[str, str] | Reject:
    """The role and content keys of a turn, by the registry's priority."""
    role_key = first_key(turn, role_keys)
    if role_key is None:
        return Reject(
            Reason.MISSING_FIELD.value, f"{where} has no role field (tried {', '.join(role_keys)})"
        )
    content_key = first_key(turn, content_keys)
    if content_key is None:
        tried = ", ".join(content_keys)
        return Reject(Reason.MISSING_FIELD.value, f"{where} has no content field (tried {tried})")
    return role_key, content_key


def _present(payload: dict[str, Any], keys: tuple[str, ...]) -> tuple[str, ...]:
    # Only keys that exist: ``apply`` compares counts to skip the unused-fields scan.
    return tuple(key for key in keys if key in payload)


def _merge_into(message: Message, content: str) -> None:
    """Join a same-role turn onto the previous one; an empty side adds nothing."""
    if not content:
        return
    message["content"] = f"{message['content']}\n\n{content}" if message["content"] else content


def _same_role(before: str, after: str, role: str) -> Reject:
    return Reject(
        Reason.NON_ALTERNATING.value,
        f"{before} and {after} are both {role} (alternation required: not merged)",
    )


def _not_text(key: str, value: Any) -> Reject | None:
    if type(value) is str:
        return None
    if value is None:
        return Reject(Reason.NULL_CONTENT.value, f"{key} is null")
    return Reject(
        Reason.WRONG_FIELD_TYPE.value, f"{key} is a {type_name(value)}, expected a string"
    )


def _join_columns(payload: dict[str, Any], columns: tuple[str, ...]) -> str | Reject | None:
    """The non-empty present columns joined by a blank line; None when no column is present."""
    parts: list[str] = []
    present = False
    for column in columns:
        if column not in payload:
            continue
        present = True
        value = payload[column]
        if value is None:
            continue  # an empty CSV cell read as JSON null: nothing to add
        if type(value) is not str:
            return Reject(
                Reason.WRONG_FIELD_TYPE.value,
                f"{column} is a {type_name(value)}, expected a string",
            )
        if value.strip():
            parts.append(value)
    return "\n\n".join(parts) if present else None

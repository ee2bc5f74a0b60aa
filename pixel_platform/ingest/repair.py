"""Encoding repair of ChatML JSONL that keeps each record as it is: ``pixel-platform fix-encoding``.

Only the text of the turns changes, through ingest's own ``CleanStep`` (ftfy mojibake repair,
Unicode NFC, zero-width, control and bidi characters, whitespace: see ``ingest.clean``); keys,
their order and metadata stay. Lines that are not UTF-8 are decoded by the JSONL reader (cp1252
or latin-1 per line, UTF-16 for a whole file) and written back as UTF-8. A turn whose content is
not a string is left alone: checking shapes is ``validate``'s job.

Every unit the reader yields ends as one output line or one quarantine entry: a line that cannot
be read (``invalid_json``, ``duplicate_key`` ... with its line number) or a JSON value that is not
a ChatML record (``unknown_format``: no ``messages`` list). ``RepairReport.balanced`` checks it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from pixel_platform.core.reasons import Reason
from pixel_platform.core.record import Conversation
from pixel_platform.core.steps import QuarantineSink, Reject, Step, run_chain
from pixel_platform.ingest.clean import SCAN_CONTROLS, CleanStep
from pixel_platform.ingest.context import Unit
from pixel_platform.ingest.pipeline import ReadStep
from pixel_platform.ingest.raw import RawRecord


class Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


class RepairStep(Step[RawRecord, bytes]):
    """A ChatML record -> its JSON line with every string turn cleaned by ``CleanStep``.

    ``stats.changed`` counts ``records_changed``, ``turns_changed`` and ``decoded_<encoding>``
    (records read from bytes that were not UTF-8); ``clean.stats.changed`` the turns per kind of
    repair (``encoding_repaired``, ``nfc``, ``whitespace`` ...)."""

    name = "repair_encoding"

    def __init__(self, family: str | None = None) -> None:
        super().__init__(family)
        self.clean = CleanStep(family)

    def apply(self, item: RawRecord) -> bytes | Reject:
        payload = item.payload
        messages = payload.get("messages") if type(payload) is dict else None
        if type(messages) is not list:
            return Reject(
                Reason.UNKNOWN_FORMAT.value,
                "not a ChatML record: expected a JSON object with a 'messages' list",
            )
        # The very message dicts of the payload: CleanStep repairs their content in place.
        texts: list[Any] = [
            m for m in messages if type(m) is dict and type(m.get("content")) is str
        ]
        conversation = Conversation(texts, {SCAN_CONTROLS: item.may_hold_controls})
        self.clean.apply(conversation)
        changed = self.stats.changed
        repaired = conversation.metadata.get("repaired")
        if repaired:
            changed["records_changed"] += 1
            changed["turns_changed"] += len(repaired["turns"])
        if item.encoding_note:
            changed[f"decoded_{item.encoding_note}"] += 1
        return orjson.dumps(payload)


@dataclass
class RepairReport:
    """One file's repair: ``units_in == records_out + sum(quarantined)``."""

    units_in: int = 0
    records_out: int = 0
    records_changed: int = 0
    turns_changed: int = 0
    kinds: dict[str, int] = field(default_factory=dict)  # turns changed, per kind of repair
    decoded: dict[str, int] = field(default_factory=dict)  # records per non-UTF-8 encoding read
    quarantined: dict[str, int] = field(default_factory=dict)  # by reason

    @property
    def balanced(self) -> bool:
        return self.units_in == self.records_out + sum(self.quarantined.values())


def repair_jsonl(units: Iterable[Unit], out: Writable, quarantine: QuarantineSink) -> RepairReport:
    """Write each readable ChatML record of ``units`` to ``out``, repaired, one per line; the
    rest to ``quarantine``. Raises ``AssertionError`` if the counts do not add up."""
    read, repair = ReadStep(), RepairStep()
    records_out = 0
    for line in run_chain([read, repair], units, quarantine):
        out.write(line + b"\n")
        records_out += 1
    changed = repair.stats.changed
    report = RepairReport(
        units_in=read.stats.seen,
        records_out=records_out,
        records_changed=changed["records_changed"],
        turns_changed=changed["turns_changed"],
        kinds=dict(sorted(repair.clean.stats.changed.items())),
        decoded={
            key.removeprefix("decoded_"): n
            for key, n in sorted(changed.items())
            if key.startswith("decoded_")
        },
        quarantined=dict(sorted((read.stats.dropped + repair.stats.dropped).items())),
    )
    if not report.balanced:
        raise AssertionError(
            f"encoding repair does not balance: {report.units_in} units in, {records_out} out,"
            f" {sum(report.quarantined.values())} quarantined"
        )
    return report

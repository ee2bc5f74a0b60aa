"""``RedactStep``: PII redaction as a pipeline step. It changes records and never drops one."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from itertools import islice

from pixel_platform.core.record import Conversation
from pixel_platform.core.steps import QuarantineSink, Reject, Step
from pixel_platform.curation.pii.redactor import PiiRedactor
from pixel_platform.curation.pii.settings import PiiConfig


class RedactStep(Step[Conversation, Conversation]):
    """Redacts in chunks (the engine is fast only in bulk) and counts what it did.

    ``stats.changed`` gets ``pii_<type>`` (spans redacted, per entity type),
    ``pii_review_<reason>`` (spans left for a reviewer, per reason) and ``pii_status_<status>``
    (records per resulting status; records an earlier pass already redacted and that had nothing
    new count as ``pii_status_unchanged``).
    """

    name = "redact_pii"

    def __init__(
        self,
        redactor: PiiRedactor | None = None,
        *,
        config: PiiConfig | None = None,
        family: str | None = None,
        chunk_size: int | None = None,
    ) -> None:
        super().__init__(family)
        self.redactor = redactor or PiiRedactor(config)
        cfg = self.redactor.config
        self.chunk_size = chunk_size or cfg.batch_size * max(1, cfg.n_process) * 2

    def apply(self, item: Conversation) -> Conversation | Reject:
        return self._redact([item])[0]

    def run(
        self, items: Iterable[Conversation], quarantine: QuarantineSink
    ) -> Iterator[Conversation]:
        stats = self.stats
        iterator = iter(items)
        while chunk := list(islice(iterator, self.chunk_size)):
            stats.seen += len(chunk)
            started = time.perf_counter()
            redacted = self._redact(chunk)
            stats.seconds += time.perf_counter() - started
            stats.forwarded += len(redacted)
            yield from redacted

    def _redact(self, chunk: list[Conversation]) -> list[Conversation]:
        out = self.redactor.redact(chunk)
        changed = self.stats.changed
        for before, after in zip(chunk, out, strict=True):
            if after is before:
                changed["pii_status_unchanged"] += 1
                continue
            pii = after.metadata["pii"]
            changed[f"pii_status_{pii['status']}"] += 1
            for span in pii["spans"]:
                if span.get("pass", 1) == pii["passes"] and "placeholder" in span:
                    changed[f"pii_{span['type'].lower()}"] += 1
            changed["pii_source_field_spans"] += sum(
                1 for span in pii.get("field_spans", ()) if span.get("pass", 1) == pii["passes"]
            )
            for reason, n in pii.get("review_reasons", {}).items():
                changed[f"pii_review_{reason}"] += n
        return out

    def close(self) -> None:
        self.redactor.close()

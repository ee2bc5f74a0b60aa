"""PII detection and context-preserving redaction for therapy conversations.

* ``PiiRedactor(config).redact(conversations)``: batch redaction; typed placeholders consistent
  within a conversation (``<PERSON_1>``, ``<PHONE_1>`` ...); spans and status in metadata
  (see ``redactor.py``).
* ``RedactStep``: the same as a pipeline step (``redact_pii``), chunking its input.
* ``scan_text`` / ``scan_texts``: what the release gate uses to rescan shards; they find what the
  redactor finds, and nothing in redacted text.
* ``PiiConfig``: model, thresholds, uncertain band, allowlist, entities, processes, batch size.

Crisis resources (988, 1-800-273-8255, 741741, Crisis Text Line, 911, ...) and public
organisations are allowlisted (``data/allowlist.yaml``) and survive redaction verbatim. Nothing
here downloads anything or logs conversation text.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pixel_platform.curation.pii.settings import PiiConfig

if TYPE_CHECKING:
    from pixel_platform.curation.pii.engine import PiiSpan
    from pixel_platform.curation.pii.redactor import PiiRedactor, scan_text, scan_texts
    from pixel_platform.curation.pii.step import RedactStep

__all__ = ["PiiConfig", "PiiRedactor", "PiiSpan", "RedactStep", "scan_text", "scan_texts"]

# spaCy and presidio take seconds to import; load them on first use, so that reading a config
# (or starting the CLI, or a Dagster code server) does not pay for them.
_LAZY = {
    "PiiSpan": "pixel_platform.curation.pii.engine",
    "PiiRedactor": "pixel_platform.curation.pii.redactor",
    "scan_text": "pixel_platform.curation.pii.redactor",
    "scan_texts": "pixel_platform.curation.pii.redactor",
    "RedactStep": "pixel_platform.curation.pii.step",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value

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

from pixel_platform.curation.pii.engine import PiiSpan
from pixel_platform.curation.pii.redactor import PiiRedactor, scan_text, scan_texts
from pixel_platform.curation.pii.settings import PiiConfig
from pixel_platform.curation.pii.step import RedactStep

__all__ = ["PiiConfig", "PiiRedactor", "PiiSpan", "RedactStep", "scan_text", "scan_texts"]

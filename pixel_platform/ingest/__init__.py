"""Ingestion: raw objects -> raw records -> ChatML conversations (plain Python, no Dagster).

- ``readers``: ``read_stream`` / ``read_object`` pick a format reader by extension
  (``line_readers`` for JSONL and text, ``json_reader``, ``csv_reader``) over the byte layer in
  ``streams`` (gzip, BOMs, UTF-16, damage containment). Each unit of input becomes one
  ``RawRecord`` or ``ReadFailure`` (``raw``).
- ``convert``: ``ConvertStep``, every record shape to one ``Conversation`` (``shapes`` recognises
  shapes, ``transcript`` parses speaker labels).
- ``clean``: ``CleanStep`` (encoding repair, NFC, whitespace), ``ValidateStep``, ``FinalizeStep``.
- ``pipeline``: ``ReadStep`` and ``IngestPipeline``, the chain with its accounting check.

Reason codes are passed as plain strings (``Reason.X.value``): stats are dicts keyed by reason and
written with orjson, which refuses ``str`` subclasses as keys.
"""

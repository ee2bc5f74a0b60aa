"""Ingestion: raw objects -> raw records -> ChatML conversations (plain Python, no Dagster).

- ``readers``: ``read_stream`` / ``read_object`` pick a format reader by extension
  (``line_readers`` for JSONL and text, ``json_reader`` with ``json_stream`` for large or damaged
  JSON, ``csv_reader``) over the byte layer in ``streams`` (gzip, BOMs, UTF-16, damage
  containment). Each unit of input becomes one ``RawRecord`` or ``ReadFailure`` (``raw``), whatever
  the bytes: ``json_checks`` refuses JSON nested too deep or naming a key twice, ``surrogates``
  keeps ijson from misreading lone UTF-16 surrogate escapes.
- ``convert``: ``ConvertStep``, every record shape to one ``Conversation`` (``shapes`` recognises
  shapes, ``transcript`` parses speaker labels).
- ``clean``: ``CleanStep`` (encoding repair, NFC, control and bidi characters, whitespace),
  ``ValidateStep`` (shape and size limits), ``FinalizeStep``.
- ``pipeline``: ``ReadStep`` and ``IngestPipeline``, the chain with its accounting check.

Reason codes are passed as plain strings (``Reason.X.value``): stats are dicts keyed by reason and
written with orjson, which refuses ``str`` subclasses as keys.
"""

"""Derived datasets: generators that write plain ChatML JSONL into ``derived/<family>/`` keys.

Each derived prefix is a registry source of its family, so generated records go through the
same raw -> processed -> curated -> dedup -> release path (cleaning, PII redaction, dedup, gates)
as every acquired dataset. Generated records carry ``metadata.synthetic`` and
``metadata.generator`` (name, version, seed, backend, ...); selected ones carry
``metadata.derived_from``. Nothing here imports Dagster: assets and the CLI call into it.

From teaching transcripts and other datasets:

* ``cptsd``: CPTSD teaching exchanges (segment -> themes -> templated question -> answer);
  ``cptsd.output`` holds the seeded RNG, generator stamp and JSONL writer the others share.
* ``persona``: a speaker's voice profile, persona conversations, ``persona_distance``.
* ``preferences``: phase C pairs (counsel-chat upvotes, crisis safety) and TRL/KTO rows.
* ``pretraining``: phase A text records (``metadata.kind = "text"``).
"""

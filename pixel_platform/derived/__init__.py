"""Derived datasets: generators that write plain ChatML JSONL into ``derived/<family>/`` keys.

Each derived prefix is a registry source of its family, so generated records go through the
same raw -> processed -> curated -> dedup -> release path (cleaning, PII redaction, dedup, gates)
as every acquired dataset. Generated records carry ``metadata.synthetic`` and
``metadata.generator`` (name, version, seed, backend, ...); selected ones carry
``metadata.derived_from``. Nothing here imports Dagster: assets and the CLI call into it.
"""

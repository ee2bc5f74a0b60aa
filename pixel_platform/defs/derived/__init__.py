"""Derived domain: generators that write new source data under ``derived/<family>/``.

Their output is a registry source of the family, so it goes through the same raw -> processed ->
curated -> dedup -> release path (cleaning, PII, dedup) as synced data.
"""

"""Curation: plain-Python steps that annotate, score and filter conversations after ingestion.

Each subpackage holds one concern (``crisis`` tagging, ``quality`` scoring, ...) and exposes
``Step`` subclasses over ``Conversation``; none of it imports Dagster.
"""

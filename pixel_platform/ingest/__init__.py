"""Ingestion: raw objects -> raw records -> ChatML conversations (plain Python, no Dagster)."""

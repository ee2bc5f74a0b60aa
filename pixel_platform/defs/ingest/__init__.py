"""Ingest domain: source inventory, raw snapshots and processed conversations per family."""

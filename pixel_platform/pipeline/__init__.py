"""Partition-level orchestration in plain Python: snapshots, processing, inventory, layout.

The Dagster assets and the CLI both call these functions; neither adds logic of its own.
"""

"""Human review: the append-only decision log, the queue on Label Studio, and how decisions are
applied to records on the next release build.

- ``log``: ``Decision`` and the log under ``review/decisions/<task>/`` in the bucket.
- ``book``: the latest decision per record, applied deterministically by the release build.
- ``items``: which records need a person, as review items (processed text, pre-annotations).
- ``label_studio``: the Label Studio projects, tasks and annotations (``label-studio-sdk``).
- ``queue``: push, pull and status — what the CLI and the Dagster assets call.
"""

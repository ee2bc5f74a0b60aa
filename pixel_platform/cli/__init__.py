"""The ``pixel-platform`` command line: the same core the Dagster assets call."""

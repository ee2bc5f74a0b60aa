"""Plain-Python core shared by the Dagster assets and the CLI: record, step contract, errors."""

"""Plain-Python core shared by the Dagster assets and the CLI: record type, step contract, errors."""

"""The Dagster shell: assets, checks, sensors, jobs and resources over the plain-Python core."""

# The two commands of the README. Both set up a fresh clone by themselves.
.PHONY: run test bench lint ui

# Set up, then run the main job on the bundled sample with local storage and a SQLite instance.
run:
	bash scripts/setup.sh
	.venv/bin/pixel-platform run

# Set up (with test tools), then run the whole test suite.
test:
	bash scripts/setup.sh --dev
	.venv/bin/python -m pytest

lint:
	bash scripts/setup.sh --dev
	.venv/bin/ruff check pixel_platform pixel_platform_tests bench tools
	.venv/bin/mypy pixel_platform

# Set up (with the benchmarks' peers: the `bench` extra), then run every benchmark: prints ONE
# table and writes bench/results/summary.md (+ summary.json). Smoke run: BENCH_ARGS=--quick;
# some only: BENCH_ARGS="--only ingest,dedup".
BENCH_ARGS ?=
bench:
	bash scripts/setup.sh --dev --bench
	.venv/bin/python -m bench.run_all $(BENCH_ARGS)

# The Dagster UI on http://127.0.0.1:$(UI_PORT) over the embedded instance (.dagster/, linking the
# top-level dagster.yaml): code server, webserver and daemon (scripts/ui.sh). `exec`, so that the
# TERM make passes on reaches the script, which stops all three within seconds.
UI_PORT ?= 3000
ui:
	bash scripts/setup.sh
	exec bash scripts/ui.sh --port $(UI_PORT)

# The two commands of the README. Both set up a fresh clone by themselves.
.PHONY: run test bench lint setup

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
	.venv/bin/ruff check pixel_platform pixel_platform_tests bench
	.venv/bin/mypy pixel_platform

bench:
	bash scripts/setup.sh --dev
	.venv/bin/python -m bench.run_all

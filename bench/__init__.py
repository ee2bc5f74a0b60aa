"""Benchmarks: `make bench` (or `python -m bench.run_all`) writes results to bench/results/."""

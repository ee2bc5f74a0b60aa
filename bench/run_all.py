"""Run every benchmark; each writes bench/results/<name>.json (see README, "Benchmarks")."""

from __future__ import annotations

from bench import bench_crisis, bench_dedup, bench_ingest, bench_pii, bench_pii_limits


def main() -> None:
    bench_ingest.main([])
    bench_pii.main([])
    bench_pii_limits.main([])
    bench_dedup.main([])
    bench_crisis.main([])


if __name__ == "__main__":
    main()

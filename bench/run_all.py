"""Run every benchmark; each writes bench/results/<name>.json."""

from __future__ import annotations

from bench import bench_ingest


def main() -> None:
    bench_ingest.main([])


if __name__ == "__main__":
    main()

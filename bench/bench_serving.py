"""Serving load test: the service over the tiny model on 127.0.0.1, under bounded concurrency.

Starts ``pixel-platform serve start --model DIR`` (the real CLI, uvicorn, keys, rate limits, the
crisis layer) on a free loopback port, sends ``--requests`` chat completions from ``--concurrency``
client threads (one prompt in ten at high risk, so the crisis layer runs), and reports latency
p50/p95/p99 and throughput. Baseline, measured in the same run: the same prompts through the
backend in-process (``TransformersBackend.complete``), one at a time, so the ratio of the p50s is
what the HTTP service adds to a call. Results: ``bench/results/serving.json``.

    python -m bench.bench_serving [--requests 200] [--concurrency 4] [--max-tokens 16]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from bench.common import table_row, write_result

PROMPTS = [
    "I can't sleep before exams and my chest feels tight.",
    "My partner and I keep arguing about money.",
    "How do I start a thought record?",
    "I feel lonely since I moved to a new city.",
    "Work has been overwhelming and I snap at my kids.",
    "I keep replaying a mistake I made years ago.",
    "My therapist suggested journaling. Does it help?",
    "I get anxious in crowded places.",
    "I don't enjoy things I used to love.",
    "I have the pills ready and I want to die tonight.",  # high risk: the crisis layer runs
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _build_model(work: Path) -> Path:
    from pixel_platform.training.tiny import build_tiny_model

    return build_tiny_model(work / "model", PROMPTS * 30)


def _direct(model_dir: Path, n: int, max_tokens: int) -> list[float]:
    from pixel_platform.serving.backends import TransformersBackend

    backend = TransformersBackend(model_dir)
    out = []
    for i in range(n):
        started = time.perf_counter()
        backend.complete([{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}], max_tokens, 0.0)
        out.append(1000 * (time.perf_counter() - started))
    return out


def _served(
    model_dir: Path, n: int, concurrency: int, max_tokens: int
) -> tuple[list[float], float, dict[str, Any]]:
    from pixel_platform.serving.keys import new_key

    key, entry = new_key("bench")
    port = _free_port()
    env = {**os.environ, "PIXEL_SERVE_API_KEYS": entry}
    command = [sys.executable, "-m", "pixel_platform.cli.main", "serve", "start",
               "--model", str(model_dir), "--port", str(port),
               "--rate-per-minute", "1000000", "--burst", "100000"]  # fmt: skip
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            raise RuntimeError("the service did not start within 120 s")
        headers = {"Authorization": f"Bearer {key}"}
        session = requests.Session()

        def one(i: int) -> float:
            body = {"messages": [{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}],
                    "max_tokens": max_tokens}  # fmt: skip
            started = time.perf_counter()
            response = session.post(f"{url}/v1/chat/completions", json=body, headers=headers,
                                    timeout=120)  # fmt: skip
            response.raise_for_status()
            return 1000 * (time.perf_counter() - started)

        one(0)  # warm-up
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            latencies = list(pool.map(one, range(n)))
        wall = time.perf_counter() - started
        counts = requests.get(f"{url}/health", timeout=10).json()["counts"]
        return latencies, wall, counts
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=16)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = _build_model(Path(tmp))
        direct = _direct(model_dir, min(args.requests, 50), args.max_tokens)
        served, wall, counts = _served(model_dir, args.requests, args.concurrency, args.max_tokens)
    stats = {
        "p50_ms": round(_percentile(served, 0.50), 1),
        "p95_ms": round(_percentile(served, 0.95), 1),
        "p99_ms": round(_percentile(served, 0.99), 1),
        "mean_ms": round(statistics.fmean(served), 1),
        "requests_per_s": round(len(served) / wall, 1),
    }
    direct_p50 = _percentile(direct, 0.50)
    result: dict[str, Any] = {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "max_tokens": args.max_tokens,
        "model": "pixel-tiny-llama (hidden 64, 2 layers), CPU",
        "served": stats,
        "direct_backend": {"p50_ms": round(direct_p50, 1),
                           "p95_ms": round(_percentile(direct, 0.95), 1), "calls": len(direct)},
        "service_counts": counts,
        "ratio_p50_served_to_direct": round(stats["p50_ms"] / direct_p50, 2),
    }  # fmt: skip
    result["table"] = [
        table_row(
            "serving (tiny model, HTTP)",
            f"p50 {stats['p50_ms']} ms, p95 {stats['p95_ms']} ms, {stats['requests_per_s']} req/s",
            f"backend direct p50 {round(direct_p50, 1)} ms",
            ratio_text=f"{result['ratio_p50_served_to_direct']:.2f}x",
            quality=f"crisis layer fired {counts.get('crisis_layer_fired', 0)}x",
        )
    ]
    path = write_result("serving", result)
    print(json.dumps({k: v for k, v in result.items() if k != "table"}, indent=2))
    print(f"written: {path}")
    return result


if __name__ == "__main__":
    main()

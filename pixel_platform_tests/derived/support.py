"""Helpers of the derived-data tests: a tiny Llama and its ChatML tokenizer for a DPO run on the
CPU in seconds, built by the product's ``pixel_platform.training.tiny`` (nothing is downloaded)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from pixel_platform.cli import derived_data, derived_edge
from pixel_platform.training.tiny import tiny_llama, train_chatml_tokenizer


def chat_texts(rows: Iterable[dict[str, Any]]) -> list[str]:
    """Every message content in preference / KTO / messages rows (tokenizer training text)."""
    out: list[str] = []
    for row in rows:
        for column in ("prompt", "chosen", "rejected", "completion", "messages"):
            value = row.get(column)
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, list):
                out += [m["content"] for m in value if isinstance(m, dict)]
    return out


def tiny_model_and_tokenizer(texts: Iterable[str], vocab_size: int = 512) -> tuple[Any, Any]:
    """``pixel-tiny-llama`` (hidden 64, 2 layers) and a byte-level BPE trained on ``texts``."""
    tokenizer = train_chatml_tokenizer(texts, vocab_size)
    return tiny_llama(tokenizer), tokenizer


def _in_process(add_parsers: Callable[[Any], None], argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser()
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def derived_cli(*argv: str) -> int:
    """The derived-data commands (``pixel-platform cptsd|persona|preferences ...``) in process."""
    return _in_process(derived_data.add_parsers, argv)


def edge_cli(argv: list[str]) -> int:
    """The edge-case commands (``pixel-platform edge-cases|long-running ...``) in process."""
    return _in_process(derived_edge.add_parsers, argv)


def use_s3(monkeypatch: pytest.MonkeyPatch, s3_server: Any, bucket: str, cache_dir: Path) -> None:
    """Point the commands at ``bucket`` on the tests' S3 server, by the variables production
    reads, with their read cache in ``cache_dir``."""
    for name, value in s3_server.env(bucket).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PIXEL_CACHE_DIR", str(cache_dir))

"""Helpers of the derived-data tests: a tiny Llama and its ChatML tokenizer for a DPO run on the
CPU in seconds, built by the product's ``pixel_platform.training.tiny`` (nothing is downloaded)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from pixel_platform.cli import derived_data
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


def derived_cli(*argv: str) -> int:
    """The derived-data commands (``pixel-platform cptsd|persona|preferences ...``) in process."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    derived_data.add_parsers(sub)
    args = parser.parse_args(argv)
    return int(args.func(args))

"""The tiny Llama of ``pixel_platform_tests.derived.tiny_model`` (hidden 64, 2 layers, a
byte-level BPE trained here by ``tokenizers``), saved as a model directory that
``model.base_model`` can name, with the trainer's ChatML template. Nothing is downloaded."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pixel_platform.training.chat_template import chatml_template
from pixel_platform_tests.derived.tiny_model import tiny_model_and_tokenizer


def make_tiny_model(directory: Path, texts: Iterable[str], vocab_size: int = 512) -> Path:
    model, tokenizer = tiny_model_and_tokenizer([*texts, "user assistant system"], vocab_size)
    tokenizer.chat_template = chatml_template()  # with generation markers, as training sets it
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory

"""The release loads with Hugging Face ``datasets`` and renders through a ChatML template."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from pixel_platform_tests.release.support import Built

# The ChatML layout chat models use; no tokenizer download needed to check the shape.
CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def test_release_loads_with_datasets_and_renders_as_chatml(
    built: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    datasets = pytest.importorskip(
        "datasets", reason="the 'datasets' package is not installed (pip install datasets)"
    )
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    rel = built.release_dir
    files = {
        split: sorted(str(p) for p in (rel / "shards" / split).glob("*.jsonl"))
        for split in ("train", "val", "test")
    }
    loaded = datasets.load_dataset("json", data_files=files, cache_dir=str(tmp_path / "hf"))
    counts = built.result.manifest["counts"]["by_split"]
    assert {split: loaded[split].num_rows for split in files} == counts
    template = jinja2.Environment(autoescape=False).from_string(CHATML)
    for split in files:
        row = loaded[split][0]
        text = template.render(messages=row["messages"], add_generation_prompt=False)
        assert text.startswith("<|im_start|>system\n")
        assert "<|im_start|>user\n" in text and "<|im_start|>assistant\n" in text
        assert text.count("<|im_start|>") == text.count("<|im_end|>") == len(row["messages"])
        assert row["metadata"]["split"] == split

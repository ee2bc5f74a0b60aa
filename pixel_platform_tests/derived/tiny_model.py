"""A tiny Llama and a locally trained ChatML tokenizer, for trainer tests on CPU in seconds.

Nothing is downloaded: the tokenizer is a byte-level BPE trained by ``tokenizers`` on the test's
own texts (any text encodes; no unknown tokens) and wrapped as ``PreTrainedTokenizerFast`` with a
ChatML chat template; the model is ``LlamaForCausalLM`` built from a config with random weights
(seeded). Reusable by the training tests::

    tokenizer = train_chatml_tokenizer(texts)
    model = tiny_llama(tokenizer)                      # hidden 64, 2 layers, 4 heads
    model, tokenizer = tiny_model_and_tokenizer(texts)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

IM_START, IM_END, PAD = "<|im_start|>", "<|im_end|>", "<|pad|>"
SPECIAL_TOKENS = [PAD, IM_START, IM_END]
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


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


def train_chatml_tokenizer(texts: Iterable[str], vocab_size: int = 512) -> Any:
    """A byte-level BPE tokenizer trained on ``texts``, with ChatML special tokens and template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator([*texts, "\n"], trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token=IM_END, pad_token=PAD, bos_token=None
    )
    wrapped.chat_template = CHATML_TEMPLATE
    return wrapped


def tiny_llama(
    tokenizer: Any, *, hidden: int = 64, layers: int = 2, heads: int = 4, seed: int = 0
) -> Any:
    """A randomly initialised ``LlamaForCausalLM`` sized for ``tokenizer``'s vocabulary."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=1024,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    return LlamaForCausalLM(config)


def tiny_model_and_tokenizer(texts: Iterable[str], vocab_size: int = 512, **kw: Any) -> Any:
    tokenizer = train_chatml_tokenizer(texts, vocab_size)
    return tiny_llama(tokenizer, **kw), tokenizer

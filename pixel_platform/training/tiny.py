"""``pixel-tiny-llama``: a tiny Llama built locally, for the embedded default and the tests.

Nothing is downloaded: a byte-level BPE tokenizer is trained by ``tokenizers`` on the release's own
text, wrapped as ``PreTrainedTokenizerFast`` with the trainer's ChatML template, and a
``LlamaForCausalLM`` (hidden 64, 2 layers) is built from a config with seeded random weights.
Naming ``model.base_model: pixel-tiny-llama`` makes ``run_training`` build it into the work
directory; every other name is loaded with ``from_pretrained`` as usual.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

TINY_MODEL = "pixel-tiny-llama"
# The same, as a Mixture of Experts (Mixtral: 4 experts, 2 per token): what the tests train to
# prove an MoE base goes through SFT and DPO with its router's auxiliary loss in the loss and logs.
TINY_MOE_MODEL = "pixel-tiny-mixtral"
TINY_MODELS = (TINY_MODEL, TINY_MOE_MODEL)
IM_START, IM_END, PAD = "<|im_start|>", "<|im_end|>", "<|pad|>"
TOKENIZER_TEXTS = 2000  # records of text the tokenizer is trained on


def train_chatml_tokenizer(texts: Iterable[str], vocab_size: int = 512) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    from pixel_platform.training.chat_template import chatml_template

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, IM_START, IM_END],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator([*texts, "user assistant system", "\n"], trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token=IM_END, pad_token=PAD, bos_token=None
    )
    wrapped.chat_template = chatml_template()
    return wrapped


def _shape(tokenizer: Any, hidden: int, layers: int, heads: int) -> dict[str, Any]:
    """What the tiny dense and MoE models share: sizes and the tokenizer's special tokens."""
    return {
        "vocab_size": len(tokenizer),
        "hidden_size": hidden,
        "intermediate_size": hidden * 2,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": heads,
        "max_position_embeddings": 1024,
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "bos_token_id": None,
        "tie_word_embeddings": True,
    }


def tiny_llama(tokenizer: Any, *, hidden: int = 64, layers: int = 2, heads: int = 4) -> Any:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    return LlamaForCausalLM(LlamaConfig(**_shape(tokenizer, hidden, layers, heads)))


def tiny_mixtral(
    tokenizer: Any, *, hidden: int = 64, layers: int = 2, heads: int = 4, experts: int = 4
) -> Any:
    import torch
    from transformers import MixtralConfig, MixtralForCausalLM

    torch.manual_seed(0)
    config = MixtralConfig(
        **_shape(tokenizer, hidden, layers, heads),
        num_local_experts=experts,
        num_experts_per_tok=2,
        router_aux_loss_coef=0.02,  # TRL adds coef × aux loss to the loss and logs aux_loss
    )
    return MixtralForCausalLM(config)


def is_moe(config: Any) -> bool:
    """A Mixture-of-Experts architecture (Mixtral, Qwen-MoE, …): it has experts and a router."""
    return any(
        getattr(config, name, None) for name in ("num_local_experts", "num_experts")
    ) and hasattr(config, "output_router_logits")


def record_texts(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    for record in records:
        for message in record.get("messages") or []:
            if isinstance(message, dict) and isinstance(message.get("content"), str):
                yield message["content"]


def build_tiny_model(
    directory: Path, texts: Iterable[str], vocab_size: int = 512, *, name: str = TINY_MODEL
) -> Path:
    """Save a tiny model (``name``: ``TINY_MODEL`` or ``TINY_MOE_MODEL``) + tokenizer under
    ``directory`` (reused when already there)."""
    if (directory / "config.json").is_file():
        return directory
    tokenizer = train_chatml_tokenizer(itertools.islice(texts, TOKENIZER_TEXTS * 4), vocab_size)
    model = tiny_mixtral(tokenizer) if name == TINY_MOE_MODEL else tiny_llama(tokenizer)
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory

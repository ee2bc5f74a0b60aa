"""The ChatML chat template the trainers use, and fitting a tokenizer (and model) to it.

Why assistant-only loss through ``{% generation %}`` markers rather than prompt/completion rows:
the release's records are multi-turn conversations, and every assistant turn of a therapy dialogue
is a target, not only the last one. TRL's ``assistant_only_loss=True`` masks exactly the text
inside the markers (each assistant turn and its ``<|im_end|>``, so the model learns to stop),
while ``completion_only_loss`` would train on the final turn alone. Phase A (continued
pretraining) trains on every token of the same rendering.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHATML_TEMPLATE_PATH = Path(__file__).with_name("chatml.jinja")
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"


def chatml_template() -> str:
    return CHATML_TEMPLATE_PATH.read_text(encoding="utf-8")


def fit_chatml(tokenizer: Any, model: Any | None = None, mode: str = "chatml") -> Any:
    """Give ``tokenizer`` the ChatML template (``mode="chatml"``) and its special tokens.

    Tokens missing from the vocabulary are added as special tokens and the model's embeddings
    resized; ``<|im_end|>`` becomes the end-of-sequence token, so generation stops at the end of
    a turn. ``mode="model"`` keeps the tokenizer's own template.
    """
    if mode == "model":
        if not getattr(tokenizer, "chat_template", None):
            raise ValueError("model.chat_template=model, but the tokenizer has no chat template")
        return tokenizer
    missing = [
        t
        for t in (IM_START, IM_END)
        if tokenizer.convert_tokens_to_ids(t) in (None, tokenizer.unk_token_id)
    ]
    if missing:
        tokenizer.add_special_tokens({"additional_special_tokens": missing})
        if model is not None:
            model.resize_token_embeddings(len(tokenizer))
    tokenizer.chat_template = chatml_template()
    tokenizer.eos_token = IM_END
    if tokenizer.pad_token is None:
        tokenizer.pad_token = IM_END
    if model is not None:
        model.config.eos_token_id = tokenizer.eos_token_id
        if getattr(model, "generation_config", None) is not None:
            model.generation_config.eos_token_id = tokenizer.eos_token_id
            model.generation_config.pad_token_id = tokenizer.pad_token_id
    return tokenizer

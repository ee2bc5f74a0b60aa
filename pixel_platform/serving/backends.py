"""Where replies come from.

- ``TransformersBackend``: a checkpoint directory (``trained_model``'s output) generated with
  transformers on the CPU (or a local GPU): the embedded default. One request at a time.
- ``UpstreamBackend``: an OpenAI-compatible server, e.g. vLLM serving the same checkpoint on a
  GPU machine (``deploy/serving/``): the service adds keys, limits and the crisis layer in front.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import requests

from pixel_platform.core.errors import TerminalError


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int


class Backend(Protocol):
    model_name: str

    def complete(
        self, messages: list[dict[str, str]], max_tokens: int, temperature: float
    ) -> Completion: ...


class TransformersBackend:
    def __init__(self, model_dir: str | Path, *, model_name: str | None = None) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = Path(model_dir)
        if not (path / "config.json").is_file():
            raise TerminalError(f"{path} is not a model directory (no config.json)")
        self.model_name = model_name or path.name
        self._torch = torch
        self._tokenizer = AutoTokenizer.from_pretrained(str(path))
        if self._tokenizer.pad_token is None:
            self._tokenizer.pad_token = self._tokenizer.eos_token
        model: Any = AutoModelForCausalLM.from_pretrained(str(path))
        self._device = "cuda" if torch.cuda.is_available() else "cpu"
        self._model = model.to(self._device).eval()
        self._lock = threading.Lock()

    def complete(
        self, messages: list[dict[str, str]], max_tokens: int, temperature: float
    ) -> Completion:
        prompt = self._tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True
        )
        encoded = self._tokenizer(prompt, return_tensors="pt", add_special_tokens=False).to(
            self._device
        )
        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {}
        with self._lock, self._torch.no_grad():
            ids = self._model.generate(
                **encoded,
                max_new_tokens=max_tokens,
                eos_token_id=self._tokenizer.eos_token_id,
                pad_token_id=self._tokenizer.pad_token_id,
                **({"do_sample": False} | sampling),
            )
        new = ids[0, encoded["input_ids"].shape[1] :]
        text = str(self._tokenizer.decode(new, skip_special_tokens=True)).strip()
        return Completion(text, int(encoded["input_ids"].shape[1]), int(new.shape[0]))


class UpstreamBackend:
    """``POST {url}/v1/chat/completions`` on an OpenAI-compatible server (vLLM)."""

    def __init__(
        self, url: str, model_name: str, *, api_key: str = "", timeout_s: float = 120.0
    ) -> None:
        self.url = url.rstrip("/")
        self.model_name = model_name
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = timeout_s
        self._session = requests.Session()

    def complete(
        self, messages: list[dict[str, str]], max_tokens: int, temperature: float
    ) -> Completion:
        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        try:
            response = self._session.post(
                f"{self.url}/v1/chat/completions",
                json=body,
                headers=self._headers,
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            raise TerminalError(f"upstream {self.url}: {type(exc).__name__}") from None
        if response.status_code >= 400:
            raise TerminalError(f"upstream {self.url} answered HTTP {response.status_code}")
        data = response.json()
        usage = data.get("usage") or {}
        return Completion(
            str(data["choices"][0]["message"]["content"]),
            int(usage.get("prompt_tokens", 0)),
            int(usage.get("completion_tokens", 0)),
        )

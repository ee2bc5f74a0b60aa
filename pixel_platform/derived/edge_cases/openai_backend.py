"""An OpenAI-compatible chat-completions backend (``POST {base_url}/chat/completions``).

One request per conversation: the prompt describes the category, a persona, the role-play style,
the crisis-safe practice the therapist must follow (with the protocol's resources) and a strict
JSON output format; the reply's ``choices[0].message.content`` must be
``{"messages": [{"role": "user"|"assistant", "content": "..."}, ...]}`` with alternating turns.
Anything else raises ``InvalidConversation("malformed_output", ...)``, which the runner counts
and retries with the next attempt seed; the runner's checks (stage directions, crisis-safe
replies, near-duplicates) then apply as to any backend.

HTTP: a ``requests`` session with explicit (connect, read) timeouts and a urllib3 ``Retry`` that
retries connection errors, 429 and 5xx a bounded number of times with exponential backoff,
honouring ``Retry-After``. What is left after the retries raises ``TransientError``; 4xx answers
raise ``TerminalError`` with a message that says what to fix. The API key comes only from the
environment (``PIXEL_LLM_API_KEY``) and never appears in messages or ``repr``.
"""

from __future__ import annotations

import os
import random
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from pixel_platform.core.errors import ConfigError, TerminalError, TransientError
from pixel_platform.core.record import Conversation, Message
from pixel_platform.derived.edge_cases.catalog import Catalog, Category, fill, load_catalog
from pixel_platform.derived.edge_cases.validate import InvalidConversation

DEFAULT_BASE_URL = "https://api.openai.com/v1"
API_KEY_ENV = "PIXEL_LLM_API_KEY"
BASE_URL_ENV = "PIXEL_LLM_BASE_URL"
MODEL_ENV = "PIXEL_LLM_MODEL"
RETRY_STATUSES = (429, 500, 502, 503, 504)
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)
_ROLES = ("user", "assistant")


@dataclass(frozen=True)
class OpenAISettings:
    base_url: str = DEFAULT_BASE_URL
    model: str = ""
    api_key: str | None = field(default=None, repr=False)
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 120.0
    max_retries: int = 4  # retries after the first try, for connection errors, 429 and 5xx
    backoff_factor: float = 1.0  # urllib3: sleeps factor * 2**(retry - 1) seconds, capped
    temperature: float = 0.9
    max_tokens: int = 4000
    json_mode: bool = True  # send response_format={"type": "json_object"}

    def __post_init__(self) -> None:
        if not self.model:
            raise ConfigError(f"the openai backend needs a model: pass --model or set {MODEL_ENV}")
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"--base-url must start with http:// or https://, got "
                              f"{self.base_url!r}")
        if self.max_retries < 0 or self.connect_timeout_s <= 0 or self.read_timeout_s <= 0:
            raise ConfigError("max_retries must be >= 0 and timeouts > 0")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None,
                 **overrides: Any) -> OpenAISettings:
        env = os.environ if env is None else env
        values: dict[str, Any] = {
            "base_url": env.get(BASE_URL_ENV) or DEFAULT_BASE_URL,
            "model": env.get(MODEL_ENV) or "",
            "api_key": env.get(API_KEY_ENV) or None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def endpoint(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"


def build_session(settings: OpenAISettings) -> requests.Session:
    retry = Retry(
        total=settings.max_retries,
        connect=settings.max_retries,
        read=settings.max_retries,
        status=settings.max_retries,
        other=0,
        backoff_factor=settings.backoff_factor,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"POST"}),  # not retried by default; a generation is safe
        respect_retry_after_header=True,
        raise_on_status=False,  # hand back the last answer: its status goes into our error
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class OpenAIChatGenerator:
    name = "openai"

    def __init__(self, settings: OpenAISettings, catalog: Catalog | None = None,
                 session: requests.Session | None = None) -> None:
        self.settings = settings
        self.catalog = catalog or load_catalog()
        self.session = session or build_session(settings)
        self.counters: Counter[str] = Counter()

    def close(self) -> None:
        self.session.close()

    def generate(self, category: Category, rng: random.Random,
                 roleplay_style: str) -> Conversation:
        style, persona, slots = self.catalog.scene(category, rng, roleplay_style)
        exchanges = rng.randint(*style.exchanges)
        examples = rng.sample(category.client["disclosure"], 2)
        prompt = build_prompt(category, persona.description, style.description, exchanges,
                              [fill(r, slots) for r in category.protocol.resources],
                              [fill(e, slots) for e in examples])
        body: dict[str, Any] = {
            "model": self.settings.model,
            "messages": [{"role": "system", "content": SYSTEM_PROMPT},
                         {"role": "user", "content": prompt}],
            "temperature": self.settings.temperature,
            "max_tokens": self.settings.max_tokens,
            "seed": rng.randrange(2**31),
        }
        if self.settings.json_mode:
            body["response_format"] = {"type": "json_object"}
        content = self._complete(body)
        dialogue = parse_dialogue(content)
        messages: list[Message] = [{"role": "system", "content": self.catalog.system_prompt},
                                   *dialogue]
        self.counters["conversations"] += 1
        return Conversation(messages, {"generator": {"persona": persona.id,
                                                     "model": self.settings.model,
                                                     "requested_exchanges": exchanges}})

    # -- HTTP ----------------------------------------------------------------------------------
    def _complete(self, body: dict[str, Any]) -> str:
        settings = self.settings
        headers = {"Content-Type": "application/json"}
        if settings.api_key:
            headers["Authorization"] = f"Bearer {settings.api_key}"
        self.counters["requests"] += 1
        try:
            response = self.session.post(
                settings.endpoint, data=orjson.dumps(body), headers=headers,
                timeout=(settings.connect_timeout_s, settings.read_timeout_s))
        except requests.exceptions.Timeout:
            raise TransientError(
                f"{settings.endpoint} did not answer within {settings.read_timeout_s:.0f}s "
                f"(after {settings.max_retries} retries)") from None
        except requests.exceptions.ConnectionError as exc:
            raise TransientError(
                f"cannot reach {settings.endpoint} after {settings.max_retries} retries "
                f"({type(exc).__name__})") from None
        retries = getattr(getattr(response.raw, "retries", None), "history", ())
        self.counters["http_retries"] += len(retries)
        status = response.status_code
        if status in RETRY_STATUSES:
            raise TransientError(f"{settings.endpoint} answered {status} after "
                                 f"{len(retries)} retries; try again later")
        if status in (401, 403):
            raise TerminalError(f"{settings.endpoint} refused the request ({status}): "
                                f"check {API_KEY_ENV}")
        if status != 200:
            raise TerminalError(f"{settings.endpoint} answered {status}: "
                                f"{_error_message(response)}; check --base-url and --model")
        try:
            payload = orjson.loads(response.content)
            content = payload["choices"][0]["message"]["content"]
        except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
            raise InvalidConversation("malformed_output",
                                      "the response is not a chat completion") from None
        if not isinstance(content, str):
            raise InvalidConversation("malformed_output", "choices[0].message.content is "
                                                          "not a string")
        return content


def _error_message(response: requests.Response) -> str:
    try:
        message = orjson.loads(response.content)["error"]["message"]
    except Exception:  # any shape: fall back to the reason phrase
        return response.reason or "no detail"
    return str(message)[:300]


SYSTEM_PROMPT = (
    "You write realistic training dialogues between a client and a therapist trained in crisis "
    "intervention. You answer with one JSON object and nothing else."
)


def build_prompt(category: Category, persona: str, style: str, exchanges: int,
                 resources: list[str], examples: list[str]) -> str:
    turns = 2 * exchanges
    lines = [
        f"Category id: {category.name}",
        f"Scenario: {category.label}.",
        f"Client: {persona}.",
        f"Session style: {style}.",
        "",
        f"Write exactly {turns} turns: {exchanges} client turns and {exchanges} therapist turns, "
        "alternating, starting with the client and ending with the therapist.",
        "The client speaks as a real client would: first person, hesitant, fragmented, "
        "emotional, in their own words. No narration, no stage directions, no brackets, no "
        "asterisks, no speaker labels, no names of people or places.",
        "Examples of how this client might talk (do not copy them):",
        *[f"- {e}" for e in examples],
        "The therapist follows crisis-safe practice: validates first, asks about risk directly "
        "(plan, means, timeline), makes the situation safer (means restriction, not being "
        "alone), builds a concrete safety plan, and offers resources that fit, such as:",
        *[f"- {r}" for r in resources],
        "Every therapist reply to a client turn that mentions suicide, self-harm, harming "
        "someone, abuse or an overdose must offer a resource or a safety-planning step.",
        "",
        'Answer with only this JSON: {"messages": [{"role": "user", "content": "..."}, '
        '{"role": "assistant", "content": "..."}, ...]} where "user" is the client and '
        '"assistant" the therapist.',
    ]
    return "\n".join(lines)


def parse_dialogue(content: str) -> list[Message]:
    """The client/therapist turns of a model answer, or ``InvalidConversation``."""
    fenced = _FENCE.match(content)
    text = fenced.group(1) if fenced else content.strip()
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidConversation("malformed_output", "the answer is not JSON") from None
    messages = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(messages, list) or not messages:
        raise InvalidConversation("malformed_output", "the answer has no 'messages' list")
    dialogue: list[Message] = []
    for n, item in enumerate(messages):
        if not isinstance(item, dict):
            raise InvalidConversation("malformed_output", f"messages[{n}] is not an object")
        role, text_ = item.get("role"), item.get("content")
        if role not in _ROLES:
            raise InvalidConversation("malformed_output",
                                      f"messages[{n}].role is {role!r}, not user or assistant")
        if not isinstance(text_, str) or not text_.strip():
            raise InvalidConversation("malformed_output", f"messages[{n}].content is empty")
        dialogue.append({"role": role, "content": text_.strip()})
    return dialogue

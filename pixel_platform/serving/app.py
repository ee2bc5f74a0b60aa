"""The service: an OpenAI-compatible chat API with keys, limits and the crisis layer.

``POST /v1/chat/completions`` (``messages``, ``max_tokens``, ``temperature``; no streaming),
``GET /v1/models``, ``GET /health`` (no key; counts only). Every ``/v1`` call needs
``Authorization: Bearer <key>`` (401 otherwise) and stays within its key's rate (429 with
``Retry-After``). Bad requests get 400 with the field at fault, never the text sent. CORS is
closed unless ``cors_origins`` names the origins allowed. Logs carry a request id, the key's
name, status, latency and token counts: no conversation text.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pixel_platform.serving.backends import Backend
from pixel_platform.serving.keys import KeyRing, RateLimiter
from pixel_platform.serving.safety import CrisisLayer

log = logging.getLogger("pixel_platform.serving")

ROLES = ("system", "user", "assistant")
MAX_TURNS = 64
MAX_CHARS = 32_000
MAX_TOKENS = 1024


@dataclass
class ServiceSettings:
    keys: KeyRing
    limiter: RateLimiter = field(default_factory=RateLimiter)
    cors_origins: Sequence[str] = ()
    default_max_tokens: int = 256


class BadRequest(ValueError):
    """A request the service refuses; its message names a field, never its content."""


def _error(status: int, kind: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message}}, status, headers=headers)


def parse_request(body: Any, default_max_tokens: int) -> tuple[list[dict[str, str]], int, float]:
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    if body.get("stream"):
        raise BadRequest("stream is not supported")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("messages must be a non-empty list")
    if len(messages) > MAX_TURNS:
        raise BadRequest(f"messages: at most {MAX_TURNS} turns")
    out = []
    for n, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            raise BadRequest(f"messages[{n}].role must be one of {', '.join(ROLES)}")
        if not isinstance(m.get("content"), str):
            raise BadRequest(f"messages[{n}].content must be a string")
        out.append({"role": m["role"], "content": m["content"]})
    if out[-1]["role"] != "user":
        raise BadRequest("the last message must be the user's")
    if sum(len(m["content"]) for m in out) > MAX_CHARS:
        raise BadRequest(f"messages: at most {MAX_CHARS} characters in all")
    max_tokens = body.get("max_tokens", default_max_tokens)
    if (
        not isinstance(max_tokens, int)
        or isinstance(max_tokens, bool)
        or not 1 <= max_tokens <= MAX_TOKENS
    ):
        raise BadRequest(f"max_tokens must be an integer from 1 to {MAX_TOKENS}")
    temperature = body.get("temperature", 0.0)
    if (
        not isinstance(temperature, int | float)
        or isinstance(temperature, bool)
        or not 0 <= temperature <= 2
    ):
        raise BadRequest("temperature must be a number from 0 to 2")
    return out, max_tokens, float(temperature)


def create_app(backend: Backend, settings: ServiceSettings) -> Starlette:
    crisis = CrisisLayer()
    counts: Counter[str] = Counter()

    def caller(request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        return settings.keys.name_of(key.strip()) if scheme.lower() == "bearer" else None

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "model": backend.model_name, "counts": dict(counts)})

    async def models(request: Request) -> JSONResponse:
        if caller(request) is None:
            return _error(401, "authentication_error", "a valid API key is required")
        return JSONResponse(
            {"object": "list", "data": [{"id": backend.model_name, "object": "model"}]}
        )

    async def chat(request: Request) -> JSONResponse:
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        name = caller(request)
        if name is None:
            counts["unauthorized"] += 1
            log.warning("request %s: 401 (no valid key)", request_id)
            return _error(401, "authentication_error", "a valid API key is required")
        if not settings.limiter.allow(name):
            counts["rate_limited"] += 1
            log.warning("request %s: 429 key=%s", request_id, name)
            return _error(429, "rate_limit_error", "too many requests", **{"Retry-After": "1"})
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "invalid_request_error", "the body is not JSON")
        try:
            messages, max_tokens, temperature = parse_request(body, settings.default_max_tokens)
        except BadRequest as exc:
            counts["bad_request"] += 1
            log.info("request %s: 400 key=%s (%s)", request_id, name, exc)
            return _error(400, "invalid_request_error", str(exc))
        try:
            completion = await run_in_threadpool(
                backend.complete, messages, max_tokens, temperature
            )
        except Exception as exc:  # the backend's own errors carry no request text
            counts["backend_error"] += 1
            log.error("request %s: 502 key=%s backend %s", request_id, name, type(exc).__name__)
            return _error(502, "api_error", "the model backend failed")
        screened = crisis.screen(messages, completion.text)
        if screened.fired:
            counts["crisis_layer_fired"] += 1
            log.info(
                "request %s: crisis layer risk=%s resources appended",
                request_id,
                screened.risk_level,
            )
        counts["completions"] += 1
        log.info(
            "request %s: 200 key=%s prompt_tokens=%d completion_tokens=%d risk=%s %.0f ms",
            request_id, name, completion.prompt_tokens, completion.completion_tokens,
            screened.risk_level, 1000 * (time.perf_counter() - started),
        )  # fmt: skip
        return JSONResponse(
            {
                "id": f"chatcmpl-{request_id}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": backend.model_name,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": screened.reply},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": completion.prompt_tokens,
                    "completion_tokens": completion.completion_tokens,
                    "total_tokens": completion.prompt_tokens + completion.completion_tokens,
                },
                "safety": {"risk_level": screened.risk_level, "resources_appended": screened.fired},
            }
        )

    middleware = []
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type"],
            )
        )
    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/chat/completions", chat, methods=["POST"]),
        ],
        middleware=middleware,
    )

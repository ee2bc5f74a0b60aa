"""Voice persona: a speaker's style profile from transcripts, persona conversations built from
it, and a distance that says how much a set of texts sounds like the speaker.

Public API::

    profile = build_profile(transcripts, speaker="educator")       # JSON-ready dict
    persona_distance(profile, texts) -> float                       # 0 same .. 1 nothing alike
    distance_components(profile, texts) -> {component: distance}
    persona_conversations(profile, count, seed=0) -> Iterator[Conversation]
    generate_profile(store, prefixes, target, key) / generate_conversations(profile, target, key, n)
"""

from pixel_platform.derived.persona.build import (
    DEFAULT_CONVERSATIONS_KEY,
    DEFAULT_PROFILE_KEY,
    generate_conversations,
    generate_profile,
    load_profile,
)
from pixel_platform.derived.persona.conversations import GENERATOR, persona_conversations
from pixel_platform.derived.persona.profile import (
    build_profile,
    distance_components,
    persona_distance,
    signature_phrases,
    text_features,
)

__all__ = [
    "DEFAULT_CONVERSATIONS_KEY",
    "DEFAULT_PROFILE_KEY",
    "GENERATOR",
    "build_profile",
    "distance_components",
    "generate_conversations",
    "generate_profile",
    "load_profile",
    "persona_conversations",
    "persona_distance",
    "signature_phrases",
    "text_features",
]

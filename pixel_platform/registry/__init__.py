"""Dataset registry: which families exist, where their raw data lives and how to read it."""

from pixel_platform.registry.model import (
    STAGES,
    FamilySpec,
    FieldMapping,
    LicenseSpec,
    Registry,
    SourceSpec,
    load_registry,
)

__all__ = [
    "STAGES",
    "FamilySpec",
    "FieldMapping",
    "LicenseSpec",
    "Registry",
    "SourceSpec",
    "load_registry",
]

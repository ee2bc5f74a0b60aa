"""Dataset registry: which families exist, where their raw data lives and how to read it."""

from pixel_platform.registry.model import (
    STAGES,
    UNKNOWN_LICENSE,
    FamilySpec,
    FieldMapping,
    LicenseSpec,
    NotIngestedSpec,
    Registry,
    SourceSpec,
    load_registry,
)

__all__ = [
    "STAGES",
    "UNKNOWN_LICENSE",
    "FamilySpec",
    "FieldMapping",
    "LicenseSpec",
    "NotIngestedSpec",
    "Registry",
    "SourceSpec",
    "load_registry",
]

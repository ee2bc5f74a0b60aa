"""Routing: does a deduplicated record go into the release, and if not, why (deny by default).

One reason per record, the first that applies, in this order:

1. ``provenance_incomplete`` - no provenance or no ``family`` in it;
2. ``family_unknown`` - the family is not in the registry;
3. ``license_missing`` - no licence, or one the registry does not define;
4. ``license_noncommercial`` - a non-commercial licence in a commercial build;
5. ``provenance_incomplete`` - any other required provenance field missing;
6. ``pii_status_missing`` / ``pii_requires_review`` - never scanned, or flagged for a person
   (a preference pair's rejected reply too: ``metadata.preference.pii_status``);
7. ``crisis_response_unsafe`` - a reply that fails a person in crisis. It is kept out of every
   phase (SFT above all); the release quarantine keeps its uid and content_hash so the planned
   preference-pair feature can pair it with a safe reply for phase C.
"""

from __future__ import annotations

from typing import Any

from pixel_platform.core.reasons import Reason
from pixel_platform.registry.model import Registry

# Every released record's provenance has all of these keys; all but line/index must be non-null
# and at least one of line/index must be set (JSON arrays have an index but no line).
PROVENANCE_FIELDS = (
    "family",
    "source_key",
    "source_etag",
    "line",
    "index",
    "license",
    "pipeline_version",
    "ingested_at",
    "detected_format",
)
NON_NULL_PROVENANCE = tuple(f for f in PROVENANCE_FIELDS if f not in ("line", "index"))
RELEASABLE_PII = frozenset({"clean", "redacted"})
UNKNOWN_FAMILY = "<unknown>"  # where exclusions without a readable family are counted


def record_uid(record: dict[str, Any], input_key: str, input_line: int) -> str:
    """A stable id that names where a record came from: ``<source_key>#<index>`` (or ``@L<line>``),
    falling back to the input partition file and line when provenance does not say."""
    prov = _provenance(record)
    source = prov.get("source_key")
    if isinstance(source, str) and source:
        if prov.get("index") is not None:
            return f"{source}#{prov['index']}"
        if prov.get("line") is not None:
            return f"{source}@L{prov['line']}"
    return f"{input_key}@L{input_line}"


def record_family(record: dict[str, Any]) -> str | None:
    family = _provenance(record).get("family")
    return family if isinstance(family, str) and family else None


def provenance_problems(prov: Any) -> list[str]:
    """Names of missing provenance fields (``missing:<field>``), empty when complete."""
    if not isinstance(prov, dict):
        return ["missing:provenance"]
    problems = [f"missing:{f}" for f in PROVENANCE_FIELDS if f not in prov]
    problems += [f"null:{f}" for f in NON_NULL_PROVENANCE if f in prov and prov[f] in (None, "")]
    if "line" in prov and "index" in prov and prov["line"] is None and prov["index"] is None:
        problems.append("null:line_and_index")
    return problems


def license_problem(license_id: Any, registry: Registry, commercial: bool) -> Reason | None:
    if not isinstance(license_id, str) or license_id not in registry.licenses:
        return Reason.LICENSE_MISSING
    if commercial and not registry.licenses[license_id].commercial:
        return Reason.LICENSE_NONCOMMERCIAL
    return None


def exclusion_reason(record: dict[str, Any], registry: Registry, commercial: bool) -> Reason | None:
    """Why ``record`` stays out of the release, or ``None`` when it ships."""
    metadata = record.get("metadata")
    if not isinstance(metadata, dict):
        return Reason.PROVENANCE_INCOMPLETE
    prov = _provenance(record)
    family = record_family(record)
    if family is None:
        return Reason.PROVENANCE_INCOMPLETE
    if family not in registry.families:
        return Reason.FAMILY_UNKNOWN
    problem = license_problem(prov.get("license"), registry, commercial)
    if problem is not None:
        return problem
    if provenance_problems(prov):
        return Reason.PROVENANCE_INCOMPLETE
    pii_status = metadata.get("pii_status")
    preference = metadata.get("preference")
    if pii_status == "requires_review" or (
        isinstance(preference, dict) and preference.get("pii_status") == "requires_review"
    ):
        return Reason.PII_REQUIRES_REVIEW
    if pii_status not in RELEASABLE_PII:
        return Reason.PII_STATUS_MISSING
    crisis = metadata.get("crisis")
    if isinstance(crisis, dict) and crisis.get("crisis_response_unsafe"):
        return Reason.CRISIS_RESPONSE_UNSAFE
    return None


def _provenance(record: dict[str, Any]) -> dict[str, Any]:
    metadata = record.get("metadata")
    prov = metadata.get("provenance") if isinstance(metadata, dict) else None
    return prov if isinstance(prov, dict) else {}

"""A record that already carries a licence (a curated record a generator copied into
``derived/``) keeps the stricter of that licence and its source's: a copy never ships under a
licence more permissive than its original's."""

from __future__ import annotations

import orjson
import pytest

from pixel_platform.core.record import Conversation
from pixel_platform.ingest.clean import FinalizeStep
from pixel_platform_tests.ingest.helpers import ingest, registry

TURNS = [
    {"role": "user", "content": "I can't stop replaying the argument."},
    {"role": "assistant", "content": "That sounds draining. What part keeps coming back?"},
]


def _copied(license_id: object) -> bytes:
    """A curated record as the long-running extraction writes it: its metadata kept."""
    metadata = {"provenance": {"family": "x", "license": license_id}, "derived_from": {}}
    return orjson.dumps({"messages": TURNS, "metadata": metadata}) + b"\n"


@pytest.mark.parametrize(
    ("inherited", "stamped"),
    [
        ("unknown", "unknown"),  # an unknown original stays unknown (denied)
        (None, None),  # so does one without a licence
        ("GPL-3.0", "GPL-3.0"),  # a licence the registry does not define: denied as well
        ("MIT", "MIT"),  # as permissive as the family's: the original's licence names the text
        ("internal-owned", "internal-owned"),
    ],
)
def test_a_copied_record_keeps_the_stricter_licence(inherited: object, stamped: object) -> None:
    result = ingest(_copied(inherited), "raw/chats/derived_copy.jsonl")  # family: internal-owned
    (record,) = result.out
    provenance = record.metadata["provenance"]
    assert provenance["license"] == stamped
    assert provenance["inherited_license"] == inherited
    assert "inherited_license" not in record.metadata


def test_stricter_license_ranks_denied_then_noncommercial_then_commercial() -> None:
    reg = registry().model_copy(
        update={
            "licenses": {
                **registry().licenses,
                "NC": registry().licenses["MIT"].model_copy(update={"commercial": False}),
            }
        }
    )
    assert reg.stricter_license("NC", "MIT") == "NC"
    assert reg.stricter_license("MIT", "NC") == "NC"
    assert reg.stricter_license("unknown", "NC") == "unknown"
    assert reg.stricter_license("NC", None) is None
    assert reg.stricter_license("MIT", "internal-owned") == "MIT"  # a tie keeps the first


def test_a_record_without_its_own_licence_gets_the_source_licence() -> None:
    step = FinalizeStep("chats", "MIT", "2026-01-01T00:00:00+00:00")
    record = step.apply(Conversation(list(TURNS), {"provenance": {"source_key": "a"}}))
    assert record.metadata["provenance"]["license"] == "MIT"
    assert "inherited_license" not in record.metadata["provenance"]

"""The release gate's structured-only rescan (``engine.scan_structured``) finds exactly what the
full scan finds for those entities, on real text and on planted identifiers."""

from __future__ import annotations

import csv

from pixel_platform.curation.pii import PiiConfig, scan_texts
from pixel_platform.curation.pii.engine import get_engine
from pixel_platform.release.options import STRUCTURED_PII
from pixel_platform_tests.curation.pii.test_lexicon import COUNSEL_CHAT_CSV

PLANTED = [
    "Email me at jo.smith@example.org or call 555-201-3344 after 5.",
    "Call 988 or text HOME to 741741; Poison Control is 1-800-222-1222.",
    "See https://988lifeline.org and my blog at https://jos-notes.example.com/about",
    "My SSN is 078-05-1120 and my card 4111 1111 1111 1111; server 192.168.10.4",
    "Go to the nearest emergency room.",
]


def test_structured_scan_equals_the_full_scan_for_structured_entities() -> None:
    texts = list(PLANTED)
    with COUNSEL_CHAT_CSV.open(encoding="utf-8", errors="replace") as fh:
        for n, row in enumerate(csv.DictReader(fh)):
            texts += [str(row.get("questionText") or ""), str(row.get("answerText") or "")]
            if n >= 300:
                break
    config = PiiConfig(model=None, entities=STRUCTURED_PII)
    engine = get_engine(None, config.allowlist_path)
    full = engine.scan(
        texts, entities=frozenset(STRUCTURED_PII), score_threshold=config.score_threshold
    )
    fast = scan_texts(texts, config)  # no name entity: scan_structured
    assert fast == [scan.spans for scan in full]
    found = {span.type for spans in fast[: len(PLANTED)] for span in spans}
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER", "URL", "US_SSN", "CREDIT_CARD", "IP_ADDRESS"} <= found
    resources = fast[1] + fast[4]  # crisis lines and the emergency-room advice survive
    assert resources == []

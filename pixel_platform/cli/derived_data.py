"""``pixel-platform cptsd | persona | preferences | pretraining``: the derived-data generators.

Every input and output is a local path or an ``s3://bucket/key`` URI (S3 credentials and endpoint
from the environment, as for every S3 command). Each command prints what it wrote and what it did
not use, by reason; ``--json FILE`` writes the full report.

    pixel-platform cptsd --input-dir DIR|s3://… [--input-dir …] --output FILE|s3://…
    pixel-platform persona profile --input-dir … --output profile.json
    pixel-platform persona conversations --profile profile.json --count N --output …
    pixel-platform preferences --counsel-chat CSV --output … [--crisis-input DIR --crisis-output …]
                               [--trl FILE] [--kto FILE]
    pixel-platform pretraining --input-dir … --output …
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import orjson

from pixel_platform.core.errors import ConfigError
from pixel_platform.derived.cptsd import CptsdOptions, generate_cptsd
from pixel_platform.derived.cptsd.build import DEFAULT_INPUT_PREFIXES
from pixel_platform.derived.output import GeneratorReport
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.storage.locations import open_location, parse_location

SAMPLE_BUCKET = Path(__file__).resolve().parents[1] / "sample_data" / "bucket"


def open_inputs(locations: list[str] | None) -> tuple[ObjectStore, list[str]]:
    """One store and the prefixes to read: ``s3://`` locations in one bucket, or local
    directories (read through a store at their common parent). Default: the bundled sample's
    teaching transcripts."""
    if not locations:
        return LocalObjectStore(SAMPLE_BUCKET), list(DEFAULT_INPUT_PREFIXES)
    parsed = [parse_location(loc) for loc in locations]
    remote = [loc for loc in parsed if loc.is_remote]
    if remote and len(remote) != len(locations):
        raise ConfigError("give input locations either all on s3:// or all local")
    if remote:
        buckets = {(loc.scheme, loc.bucket) for loc in remote}
        if len(buckets) > 1:
            names = sorted(bucket for _, bucket in buckets)
            raise ConfigError(f"input locations span several buckets: {names}")
        return remote[0].bucket_store(), [loc.prefix for loc in remote]
    paths = [Path(loc).resolve() for loc in locations]
    for loc, path in zip(locations, paths, strict=True):
        if not path.is_dir():
            raise ConfigError(f"{loc} is not a directory")
    root = Path(os.path.commonpath(paths))
    prefixes = [p.relative_to(root).as_posix() for p in paths]
    return LocalObjectStore(root), [f"{p}/" if p != "." else "" for p in prefixes]


def _require_inputs(report: GeneratorReport, source: ObjectStore) -> None:
    """A command given input locations that hold nothing fails: a mistyped path must not pass
    as 0 records. (The pipeline's assets record the same outcome as a skip instead.)"""
    if report.skipped is not None:
        raise ConfigError(report.skipped.describe(source))


def _print(report: GeneratorReport) -> None:
    data = report.as_dict()
    print(f"{report.name}: {report.records} records from {report.inputs} inputs -> {report.output}")
    if report.dropped:
        print("  not used: " + ", ".join(f"{k}={v}" for k, v in sorted(report.dropped.items())))
    for section, counts in sorted(data["counts"].items()):
        print(f"  {section}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    for problem in report.problems[:5]:
        print(f"  problem: {problem['key']}: {problem['reason']} {problem.get('detail', '')}")


def _write_json(json_out: str | None, reports: list[GeneratorReport]) -> None:
    if not json_out:
        return
    data: Any = reports[0].as_dict() if len(reports) == 1 else [r.as_dict() for r in reports]
    payload = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    if json_out == "-":
        sys.stdout.write(payload.decode())
    else:
        Path(json_out).write_bytes(payload)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", metavar="FILE", help="write the full report as JSON ('-': stdout)")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = sub.add_parser("cptsd", help="CPTSD teaching exchanges from video transcripts")
    c.add_argument(
        "--input-dir",
        action="append",
        metavar="DIR|s3://…",
        help="transcripts (.txt/.md/.json); repeatable; default: the bundled sample",
    )
    c.add_argument("--output", required=True, metavar="FILE|s3://…", help="where to write")
    c.add_argument("--min-words", type=int, default=120, help="shortest session (default 120)")
    c.add_argument("--max-words", type=int, default=350, help="longest session (default 350)")
    c.add_argument("--seed", type=int, default=0, help="same seed, same output (default 0)")
    c.add_argument("--lexicon", help="theme lexicon YAML (default: derived/cptsd/themes.yaml)")
    _common(c)
    c.set_defaults(func=run_cptsd)

    p = sub.add_parser("persona", help="voice profile and persona conversations")
    psub = p.add_subparsers(dest="persona_command", required=True)
    prof = psub.add_parser("profile", help="a speaker's voice profile from transcripts (JSON)")
    prof.add_argument(
        "--input-dir", action="append", metavar="DIR|s3://…", help="transcripts (repeatable)"
    )
    prof.add_argument("--output", required=True, metavar="FILE|s3://…", help="the profile")
    prof.add_argument("--speaker", help="a name for the profile (metadata only)")
    prof.add_argument("--top-k", type=int, default=30, help="signature phrases kept")
    _common(prof)
    prof.set_defaults(func=run_persona_profile)
    conv = psub.add_parser("conversations", help="persona conversations from a voice profile")
    conv.add_argument("--profile", required=True, metavar="FILE|s3://…", help="from `profile`")
    conv.add_argument("--count", type=int, required=True, help="conversations to generate")
    conv.add_argument("--output", required=True, metavar="FILE|s3://…", help="where to write")
    conv.add_argument("--seed", type=int, default=0, help="same seed, same output (default 0)")
    _common(conv)
    conv.set_defaults(func=run_persona_conversations)

    pref = sub.add_parser("preferences", help="phase C preference pairs (DPO/ORPO/KTO)")
    pref.add_argument("--counsel-chat", metavar="CSV|s3://…", help="counsel-chat CSV")
    pref.add_argument("--output", metavar="FILE|s3://…", help="counsel-chat pairs (JSONL)")
    pref.add_argument("--min-margin", type=float, default=1.0, help="minimum upvote difference")
    pref.add_argument(
        "--pairing",
        choices=("adjacent", "max_margin", "all"),
        default="adjacent",
        help="which answers of a question pair up (default adjacent)",
    )
    pref.add_argument(
        "--crisis-input",
        action="append",
        metavar="DIR|s3://…",
        help="ChatML JSONL to mine for unsafe crisis replies (e.g. curated partitions)",
    )
    pref.add_argument("--crisis-output", metavar="FILE|s3://…", help="crisis-safety pairs")
    pref.add_argument("--seed", type=int, default=0, help="same seed, same output (default 0)")
    pref.add_argument(
        "--pii-model",
        help="spaCy model for redacting rejected replies ('none': patterns only; default: as"
        " curation)",
    )
    pref.add_argument(
        "--no-redact",
        action="store_true",
        help="do not redact rejected replies (the release PII gate still checks them)",
    )
    pref.add_argument("--trl", metavar="FILE", help="also write TRL prompt/chosen/rejected JSONL")
    pref.add_argument("--kto", metavar="FILE", help="also write KTO prompt/completion/label JSONL")
    _common(pref)
    pref.set_defaults(func=run_preferences)

    t = sub.add_parser("pretraining", help="phase A text records from transcripts and documents")
    t.add_argument(
        "--input-dir", action="append", metavar="DIR|s3://…", help="text sources (repeatable)"
    )
    t.add_argument("--output", required=True, metavar="FILE|s3://…", help="where to write")
    t.add_argument("--max-chars", type=int, default=6000, help="longest text kept (default 6000)")
    _common(t)
    t.set_defaults(func=run_pretraining)


# -- commands -------------------------------------------------------------------------------------
def run_cptsd(args: argparse.Namespace) -> int:
    source, prefixes = open_inputs(args.input_dir)
    target, key = open_location(args.output)
    options = CptsdOptions(
        min_words=args.min_words,
        max_words=args.max_words,
        seed=args.seed,
        lexicon_path=args.lexicon,
    )
    report = generate_cptsd(source, prefixes, target, key, options)
    _require_inputs(report, source)
    _print(report)
    _write_json(args.json, [report])
    return 0


def run_persona_profile(args: argparse.Namespace) -> int:
    from pixel_platform.derived.persona import generate_profile

    source, prefixes = open_inputs(args.input_dir)
    target, key = open_location(args.output)
    profile, report = generate_profile(
        source, prefixes, target, key, speaker=args.speaker, top_k=args.top_k
    )
    _require_inputs(report, source)
    assert profile is not None  # a profile is built whenever there were inputs
    _print(report)
    _write_json(args.json, [report])
    words = profile["sentence_words"]
    pronouns = profile["pronouns_per_100_words"]
    print(
        f"  sentence words mean {words['mean']} median {words['median']}; per 100 words:"
        f" I {pronouns['i']} you {pronouns['you']} we {pronouns['we']};"
        f" questions {profile['question_rate']:.1%}; analogies {profile['analogy_rate']:.1%};"
        f" hedges {profile['hedge_rate_per_100_words']}"
    )
    print("  signature phrases: " + "; ".join(report.extra["signature_phrases"]))
    return 0


def run_persona_conversations(args: argparse.Namespace) -> int:
    from pixel_platform.derived.persona import (
        generate_conversations,
        load_profile,
        persona_distance,
    )

    store, key = open_location(args.profile)
    profile = load_profile(store, key)
    target, out_key = open_location(args.output)
    report = generate_conversations(profile, target, out_key, count=args.count, seed=args.seed)
    with target.open_read(out_key) as fh:
        replies = [
            m["content"]
            for line in fh
            if line.strip()
            for m in orjson.loads(line)["messages"]
            if m["role"] == "assistant"
        ]
    if replies:
        report.extra["persona_distance"] = persona_distance(profile, replies)
    _print(report)
    _write_json(args.json, [report])
    print(
        f"  requested {args.count}, generated {report.extra.get('generated', 0)};"
        f" persona distance of the replies: {report.extra.get('persona_distance')}"
    )
    return 0


def _preference_io(
    report: GeneratorReport, args: argparse.Namespace, key: str, store: ObjectStore
) -> None:
    from pixel_platform.derived.preferences import write_kto, write_trl

    if not (args.trl or args.kto):
        return
    with store.open_read(key) as fh:
        records = [orjson.loads(line) for line in fh if line.strip()]
    for path, writer, name in ((args.trl, write_trl, "trl"), (args.kto, write_kto, "kto")):
        if path:
            out_store, out_key = open_location(path)
            with out_store.open_write(out_key) as out:
                report.extra[f"{name}_rows"] = writer(records, out)


def _pii_config(args: argparse.Namespace) -> Any:
    from pixel_platform.curation.pii import PiiConfig

    if args.pii_model is None:
        return PiiConfig()
    model = None if args.pii_model.lower() in ("none", "patterns-only") else args.pii_model
    return PiiConfig(model=model)


def run_preferences(args: argparse.Namespace) -> int:
    from pixel_platform.derived.preferences import (
        generate_counsel_chat_pairs,
        generate_crisis_pairs,
    )

    if not args.counsel_chat and not args.crisis_input:
        raise ConfigError("give --counsel-chat CSV and/or --crisis-input DIR")
    if args.counsel_chat and not args.output:
        raise ConfigError("--counsel-chat needs --output")
    if args.crisis_input and not args.crisis_output:
        raise ConfigError("--crisis-input needs --crisis-output")
    pii = None if args.no_redact else _pii_config(args)
    reports: list[GeneratorReport] = []
    if args.counsel_chat:
        source, csv_key = open_location(args.counsel_chat)
        target, key = open_location(args.output)
        report = generate_counsel_chat_pairs(
            source,
            csv_key,
            target,
            key,
            min_margin=args.min_margin,
            pairing=args.pairing,
            pii=pii,
            redact=not args.no_redact,
        )
        _require_inputs(report, source)
        _preference_io(report, args, key, target)
        _print(report)
        reports.append(report)
        dist = report.extra["margin_distribution"]
        if dist.get("pairs"):
            print(
                f"  pairs {dist['pairs']}; margin min {dist['min']:g} median {dist['median']:g}"
                f" max {dist['max']:g} mean {dist['mean']:g}; histogram "
                + ", ".join(f"{k}: {v}" for k, v in dist["histogram"].items())
            )
        else:
            print("  no pair reached the minimum margin")
    if args.crisis_input:
        source, prefixes = open_inputs(args.crisis_input)
        target, key = open_location(args.crisis_output)
        report = generate_crisis_pairs(
            source, prefixes, target, key, seed=args.seed, pii=pii, redact=not args.no_redact
        )
        _require_inputs(report, source)
        _print(report)
        reports.append(report)
    _write_json(args.json, reports)
    return 0


def run_pretraining(args: argparse.Namespace) -> int:
    from pixel_platform.derived.pretraining import PretrainingOptions, generate_pretraining_text

    source, prefixes = open_inputs(args.input_dir)
    target, key = open_location(args.output)
    options = PretrainingOptions(max_chars=args.max_chars)
    report = generate_pretraining_text(source, prefixes, target, key, options)
    _require_inputs(report, source)
    _print(report)
    _write_json(args.json, [report])
    return 0

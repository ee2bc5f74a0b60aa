"""Check the bundled sample against the registry and its manifest.

``python -m pixel_platform.sample_data.check_sample`` exits non-zero on any problem: a registry
family with no file in any of its sources, a file that does not parse as its manifest says
(planted broken lines aside), unit counts that drifted, or a missing input format.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
import zlib
from pathlib import Path
from typing import Any

import orjson

from pixel_platform.registry.model import load_registry

HERE = Path(__file__).parent
BUCKET = HERE / "bucket"
BROKEN = {"truncated_json", "truncated_json_last_line_no_newline", "garbage_line"}
MOJIBAKE = re.compile("â€|Ã[\u00a0-\u00bf]|Ã©")


def read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            return gzip.decompress(data)
        except EOFError:
            return zlib.decompressobj(wbits=31).decompress(data)
    return data


def check_jsonl(text: str, entry: dict[str, Any], problems: list[str]) -> None:
    lines = text.split("\n") if text else []
    if lines and lines[-1] == "" and text.endswith("\n"):
        lines.pop()
    planted = {w.split(" (")[0] for k, ws in entry["defects"].items() if k in BROKEN for w in ws}
    bad = set()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue  # blank lines are skipped, not units
        try:
            obj = orjson.loads(line)
            if not isinstance(obj, dict):
                bad.add(f"line {n}")
        except orjson.JSONDecodeError:
            bad.add(f"line {n}")
    if "truncated_gzip" not in entry["defects"]:
        if sum(1 for line in lines if line.strip()) != entry["units"]:
            problems.append(f"{entry['key']}: {len(lines)} lines, manifest says {entry['units']}")
        if bad != planted:
            problems.append(f"{entry['key']}: bad {sorted(bad)} != planted {sorted(planted)}")


def check_json(text: str, entry: dict[str, Any], problems: list[str]) -> None:
    obj = orjson.loads(text)
    if isinstance(obj, dict):
        keys = [k for k, v in obj.items() if isinstance(v, list)]
        if len(keys) != 1:
            problems.append(f"{entry['key']}: JSON object without exactly one record list")
            return
        obj = obj[keys[0]]
    if not isinstance(obj, list) or len(obj) != entry["units"]:
        problems.append(f"{entry['key']}: {len(obj)} items, manifest says {entry['units']}")


def check_csv(text: str, entry: dict[str, Any], problems: list[str]) -> None:
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    if len(rows) != entry["units"]:
        problems.append(f"{entry['key']}: {len(rows)} rows, manifest says {entry['units']}")
    if "edge_cases/raw/reddit" in entry["key"]:
        wanted = {"title", "selftext", "top_comment", "subreddit", "score"}
    elif "reddit_mental_health" in entry["key"]:
        wanted = {"title", "selftext", "subreddit"}  # unpaired posts: phase A text
    elif "crisis_eval" in entry["key"]:
        wanted = {"text", "class"}  # unpaired posts: the crisis evaluation set
    else:
        wanted = {"questionID", "questionTitle", "questionText", "answerText", "upvotes"}
    if rows and not wanted <= set(rows[0]):
        problems.append(f"{entry['key']}: missing columns {wanted - set(rows[0])}")


def main() -> int:
    manifest = orjson.loads((HERE / "sample_manifest.json").read_bytes())
    entries = {e["key"]: e for e in manifest["files"]}
    files = sorted(
        key
        for key in (p.relative_to(BUCKET).as_posix() for p in BUCKET.rglob("*") if p.is_file())
        if not key.startswith("voice/transcripts_raw/")  # hand-written, not in the manifest
    )
    problems: list[str] = []
    if set(files) != set(entries):
        problems.append(f"bucket and manifest disagree: {sorted(set(files) ^ set(entries))}")

    registry = load_registry()
    formats: set[str] = set()
    covered: set[str] = set()
    for name, family in registry.families.items():
        family_hits = 0
        for source in family.sources:
            if source.produced_by:  # written by a derived generator at run time, not shipped
                continue
            loc = source.location
            hits = [f for f in files if (f == loc if source.key else f.startswith(loc))]
            family_hits += len(hits)
            covered.update(hits)
            if hits:
                formats.add(family.source_format(source))
            # The registry maps the whole seed layout; the sample holds a file for each family,
            # not for each of its sources.
            print(f"{name:32} {source.location:72} {len(hits):3} file(s)")
        if not family_hits and not all(s.produced_by for s in family.sources):
            problems.append(f"{name}: no file in any of its sources")
    # Not sources: monologues (generated) and transcripts_raw (hand-written) feed derived assets;
    # the registry lists them under not_ingested.
    not_sources = tuple(e.location for e in registry.not_ingested)
    outside = sorted(set(files) - covered)
    if any(not f.startswith(not_sources) for f in outside):
        problems.append(f"files outside every source: {outside}")
    for fmt in ("qa", "alpaca", "transcript", "auto"):
        if fmt not in formats:
            problems.append(f"no source with format {fmt}")

    shapes: set[str] = set()
    for key in files:
        entry, path = entries[key], BUCKET / key
        raw = read_bytes(path)
        if entry["encoding"] == "cp1252":
            try:
                raw.decode("utf-8")
                problems.append(f"{key}: meant to be cp1252 but is valid UTF-8")
            except UnicodeDecodeError:
                pass
            text = raw.decode("cp1252")
        else:
            if raw.startswith(b"\xef\xbb\xbf") != ("BOM" in entry["encoding"]):
                problems.append(f"{key}: BOM presence does not match the manifest")
            text = raw.decode("utf-8-sig")
        plain = orjson.dumps(orjson.loads(text)).decode() if key.endswith(".json") else text
        planted = str(entry["defects"].get("mojibake", ""))
        if planted and "Chinese" not in planted and not MOJIBAKE.search(plain):
            problems.append(f"{key}: manifest lists mojibake but none found")
        stem = key.removesuffix(".gz")
        if stem.endswith(".jsonl"):
            check_jsonl(text, entry, problems)
            shapes.add("jsonl.gz" if key.endswith(".gz") else "jsonl")
        elif stem.endswith(".json"):
            check_json(text, entry, problems)
            shapes.add("json")
        elif stem.endswith(".csv"):
            check_csv(text, entry, problems)
            shapes.add("csv")
        elif stem.endswith(".txt"):
            labelled = re.search(r"^(\[[\d:]+\] )?\w+: ", text, re.M)
            if not key.startswith("voice/monologues/") and not labelled:
                problems.append(f"{key}: no speaker labels found")
            shapes.add("txt")
    for shape in ("jsonl", "jsonl.gz", "json", "csv", "txt"):
        if shape not in shapes:
            problems.append(f"no {shape} file")

    total = sum((BUCKET / f).stat().st_size for f in files)
    units = sum(entries[f]["units"] for f in files)
    print(f"\n{len(files)} files, {units:,} units, {total / 1e6:.2f} MB")
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

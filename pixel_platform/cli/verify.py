"""``pixel-platform verify RELEASE``: run the ten release gates on a published release.

RELEASE is a local release directory or ``s3://bucket/exports/releases/<version>`` (credentials
and endpoint from the environment, as for every S3 command). The gates run with the options the
release was built with (its manifest's ``options``) and the given or default registry. Prints a
per-gate report; ``--json OUT`` writes the results as JSON (``-`` for stdout). Exit code 1 when
any gate fails, 2 when the release cannot be read at all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from pixel_platform.registry.model import load_registry
from pixel_platform.release.curriculum import load_curriculum
from pixel_platform.release.gates import GATES, run_gates_on
from pixel_platform.release.options import GateContext
from pixel_platform.release.results import GateResult
from pixel_platform.release.view import ReleaseView
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.storage.settings import StorageSettings, open_store

EXAMPLES_SHOWN = 3


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("verify", help="run the release gates on a published release")
    p.add_argument(
        "release", help="a local release directory or s3://BUCKET/exports/releases/VERSION"
    )
    p.add_argument(
        "--report", action="store_true", help="show every example and each gate's details"
    )
    p.add_argument("--json", metavar="OUT", help="write the results as JSON to OUT ('-': stdout)")
    p.add_argument("--registry", help="registry YAML (default: $PIXEL_REGISTRY or the bundled one)")
    p.add_argument("--curriculum", help="curriculum YAML (default: the bundled one)")
    p.add_argument(
        "--gate", action="append", choices=list(GATES), help="run only this gate (repeatable)"
    )
    p.set_defaults(func=run)


def open_release(location: str) -> tuple[ObjectStore, str]:
    """The store and key prefix of a release given as a local path or an ``s3://`` URI."""
    if location.startswith("s3://"):
        bucket, _, key = location[len("s3://") :].partition("/")
        store = open_store(StorageSettings.from_env(backend="s3", bucket=bucket))
        key = key.strip("/")
        return store, f"{key}/" if key else ""
    path = Path(location)
    if not path.is_dir():
        raise FileNotFoundError(location)
    return LocalObjectStore(path), ""


def _print_result(result: GateResult, detailed: bool) -> None:
    print(result.summary())
    if result.passed and not detailed:
        return
    examples = result.examples if detailed else result.examples[:EXAMPLES_SHOWN]
    for example in examples:
        print(f"    example: {orjson.dumps(example).decode()}")
    if len(examples) < len(result.examples):
        print(f"    ... {len(result.examples) - len(examples)} more examples (--report)")
    if detailed:
        for key, value in sorted(result.metadata.items()):
            print(f"    {key}: {orjson.dumps(value, default=str).decode()}")


def run(args: argparse.Namespace) -> int:
    try:
        store, prefix = open_release(args.release)
    except FileNotFoundError:
        print(f"error: {args.release} is not a release directory", file=sys.stderr)
        return 2
    registry = load_registry(getattr(args, "registry", None))
    curriculum = load_curriculum(getattr(args, "curriculum", None))
    view = ReleaseView(store, prefix)
    manifest = view.manifest
    if not view.objects:
        print(f"error: nothing at {view.uri()}", file=sys.stderr)
        return 2
    version = (manifest or {}).get("version", "<no manifest>")
    print(f"Release {version} at {view.uri()}")
    if manifest is None:
        print("  no readable manifest.json: this is not a published release")
    elif (manifest.get("registry") or {}).get("hash") != registry.source_hash:
        print("  note: the registry differs from the one the release was built with")
    ctx = GateContext.from_manifest(registry, manifest, curriculum)
    results = run_gates_on(view, ctx, getattr(args, "gate", None))
    detailed = bool(getattr(args, "report", False))
    for result in results:
        _print_result(result, detailed)
    failed = [r.name for r in results if not r.passed]
    tail = f" ({', '.join(failed)})" if failed else ""
    print(f"{len(results)} gates: {len(results) - len(failed)} passed, {len(failed)} failed{tail}")
    out = getattr(args, "json", None)
    if out:
        document: dict[str, Any] = {
            "release": view.uri(),
            "version": version,
            "passed": not failed,
            "failed": failed,
            "gates": [r.to_dict() for r in results],
        }
        data = orjson.dumps(document, option=orjson.OPT_INDENT_2, default=str) + b"\n"
        if out == "-":
            sys.stdout.write(data.decode())
        else:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_bytes(data)
    return 1 if failed else 0

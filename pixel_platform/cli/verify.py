"""``pixel-platform verify RELEASE``: is this the release the build published, and do its gates
pass?

RELEASE is ``latest``, a version, a local release directory, a path in the configured bucket
(``exports/releases/<version>``) or ``s3://bucket/exports/releases/<version>`` (credentials and
endpoint from the environment, as for every S3 command).

First the manifest's authenticity (``release.authenticity``): its ``version`` must be the one its
folder names, and its exact bytes must match what is kept outside the bucket, if given: a digest
(``--manifest-digest sha256:...``, from the run's log or the materialization's metadata), the
digest the Dagster instance recorded for that version (``--dagster-instance``), the signature
``manifest.json.sig`` checked with ``--public-key``. Without any of them it says the manifest's
authenticity was not checked. Then the gates, with the options the release was built with (its
manifest's ``options``) and the given or default registry; the Hash gate also rejects any file
the manifest does not list (a local store's hidden ``.tmp-*`` files too).

Prints a per-gate report; ``--json OUT`` writes the results as JSON (``-`` for stdout). Exit code
1 when the authenticity check or any gate fails, 2 when the release cannot be read at all.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import orjson
from tqdm import tqdm

from pixel_platform.cli.common import PROJECT_ROOT, ensure_dagster_home, storage_settings
from pixel_platform.core.errors import ConfigError
from pixel_platform.registry.model import load_registry
from pixel_platform.release.authenticity import (
    check_authenticity,
    normalize_digest,
    version_in_path,
)
from pixel_platform.release.curriculum import load_curriculum
from pixel_platform.release.gates import GATES, run_gate
from pixel_platform.release.layout import RELEASES_PREFIX, VERSION
from pixel_platform.release.options import GateContext
from pixel_platform.release.publish import read_latest
from pixel_platform.release.recorded import built_with_registry
from pixel_platform.release.results import GateResult
from pixel_platform.release.signing import load_public_key
from pixel_platform.release.view import ReleaseView
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.factory import open_store
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.storage.locations import is_remote, open_location

EXAMPLES_SHOWN = 3


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("verify", help="run the release gates on a published release")
    p.add_argument(
        "release",
        help="latest, a version (v2026-11-22), a release directory, a path in the bucket"
        " (exports/releases/VERSION) or s3://BUCKET/exports/releases/VERSION",
    )
    p.add_argument(
        "--storage-root",
        help="the local bucket that holds latest / a version / a bucket path (default: the"
        " storage settings, ./data/bucket)",
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
    p.add_argument(
        "--manifest-digest",
        metavar="SHA256",
        type=_digest_arg,
        help="the manifest's digest as published (sha256:<hex>, from the build's log or the"
        " dataset_release materialization's manifest_sha256)",
    )
    p.add_argument(
        "--public-key",
        metavar="PEM",
        help="Ed25519 public key (PEM) to check manifest.json.sig with",
    )
    p.add_argument(
        "--dagster-instance",
        action="store_true",
        help="compare with the manifest digest the Dagster instance ($DAGSTER_HOME, else the"
        " checkout's .dagster/) recorded for this version",
    )
    p.set_defaults(func=run)


def _digest_arg(text: str) -> str:
    try:
        return normalize_digest(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _instance_digest(
    version: str | None, storage_root: str | None = None
) -> tuple[str, str | None]:
    """(source name, digest the Dagster instance recorded for ``version``, or ``None``). The
    instance is the one ``run`` used for that bucket (``ensure_dagster_home``)."""
    beside = Path(storage_root).resolve().parent / ".dagster" if storage_root else None
    default = beside if beside is not None else PROJECT_ROOT / ".dagster"
    if not os.environ.get("DAGSTER_HOME") and not default.is_dir():
        raise ConfigError("--dagster-instance: no Dagster instance (set DAGSTER_HOME)")
    import dagster as dg  # slow import: only when asked for

    from pixel_platform.defs.release.records import recorded_manifest_digest

    home = ensure_dagster_home(storage_root)
    source = f"dagster instance {home}"
    if version is None:
        return source, None
    with dg.DagsterInstance.get() as instance:
        return source, recorded_manifest_digest(instance, version)


def open_release(location: str, storage_root: str | None = None) -> tuple[ObjectStore, str, str]:
    """The store, key prefix and full location of a release given as

    * ``latest`` or a version (``v2026-11-22``): that release in the configured bucket
      (``--storage-root``, else the environment's storage: ``./data/bucket`` by default);
    * ``s3://BUCKET/exports/releases/VERSION``;
    * a local directory, or a path inside the configured bucket (``exports/releases/VERSION``,
      as the README writes it, from any working directory).
    """
    if is_remote(location):
        store, prefix = open_location(location, directory=True)
        return store, prefix, location
    path = Path(location)
    if storage_root is None and path.is_dir():
        return LocalObjectStore(path), "", str(path.resolve())
    bucket_store = open_store(storage_settings(storage_root))
    if location == "latest":
        latest = read_latest(bucket_store)
        if latest is None:
            raise FileNotFoundError(f"no release is marked LATEST in {bucket_store.uri()}")
        location = latest
    if VERSION.match(location):
        prefix = f"{RELEASES_PREFIX}{location}/"
    else:
        prefix = location.strip("/") + "/"
    if not any(True for _ in bucket_store.list(prefix)):
        raise FileNotFoundError(f"{location} is not a release directory, nor a release in"
                                f" {bucket_store.uri()}")  # fmt: skip
    if isinstance(bucket_store, LocalObjectStore):
        return LocalObjectStore(bucket_store.root / prefix), "", str(bucket_store.root / prefix)
    return bucket_store, prefix, bucket_store.uri(prefix)


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


def _print_authenticity(result: GateResult) -> None:
    print(f"  manifest {result.metadata.get('manifest_digest', '<none>')}")
    unchecked = not result.metadata.get("anchors")
    if result.passed and unchecked:
        print("NOT CHECKED authenticity: no --manifest-digest, --public-key or --dagster-instance")
    else:
        print(result.summary())
    for example in result.examples:
        print(f"    example: {orjson.dumps(example).decode()}")
    if result.metadata.get("path_version") is None:
        print("  note: the path names no release version; the manifest's was not compared to it")
    if unchecked:
        print(
            "  NOTE: the manifest's authenticity was NOT checked: the gates show the files agree"
            " with this manifest, not that it is the one the build published"
        )


def _verdict(result: GateResult) -> str:
    """The last line's word on the manifest's authenticity."""
    if not result.passed:
        return f"manifest authenticity: FAILED ({', '.join(sorted(result.violations))})"
    if not result.metadata.get("anchors"):
        return "manifest authenticity: NOT CHECKED (no digest, public key or Dagster instance)"
    return f"manifest authenticity: verified ({', '.join(result.metadata['anchors'])})"


def _authenticity(args: argparse.Namespace, view: ReleaseView, location: str) -> GateResult:
    path_version = version_in_path(location)
    expected: dict[str, str | None] = {}
    if getattr(args, "manifest_digest", None):
        expected["--manifest-digest"] = args.manifest_digest
    if getattr(args, "dagster_instance", False):
        claimed = (view.manifest or {}).get("version")
        source, digest = _instance_digest(
            path_version or (str(claimed) if claimed else None),
            getattr(args, "storage_root", None),
        )
        expected[source] = digest
    key_path = getattr(args, "public_key", None)
    public_key = load_public_key(key_path) if key_path else None
    return check_authenticity(view, path_version, expected, public_key)


def run(args: argparse.Namespace) -> int:
    try:
        store, prefix, location = open_release(args.release, getattr(args, "storage_root", None))
    except FileNotFoundError as exc:
        detail = str(exc) if str(exc) != args.release else f"{args.release} is not a release"
        print(f"error: {detail}", file=sys.stderr)
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
    elif not built_with_registry(manifest, registry.source_hash):
        print("  note: the registry differs from the one the release was built with")
    authenticity = _authenticity(args, view, location)
    _print_authenticity(authenticity)
    ctx = GateContext.from_manifest(registry, manifest, curriculum)
    names = getattr(args, "gate", None) or list(GATES)
    progress = tqdm(names, desc="gates", unit=" gate", file=sys.stderr, disable=None, leave=False)
    results = []
    for name in progress:  # one gate at a time: the bar names the one running
        progress.set_postfix_str(name)
        results.append(run_gate(name, view, ctx))
    detailed = bool(getattr(args, "report", False))
    for result in results:
        _print_result(result, detailed)
    failed = [r.name for r in results if not r.passed]
    tail = f" ({', '.join(failed)})" if failed else ""
    print(f"{len(results)} gates: {len(results) - len(failed)} passed, {len(failed)} failed{tail}")
    print(_verdict(authenticity))
    out = getattr(args, "json", None)
    if out:
        document: dict[str, Any] = {
            "release": view.uri(),
            "version": version,
            "passed": not failed and authenticity.passed,
            "failed": failed,
            "authenticated": bool(authenticity.metadata.get("authenticated")),
            "authenticity": authenticity.to_dict(),
            "gates": [r.to_dict() for r in results],
        }
        data = orjson.dumps(document, option=orjson.OPT_INDENT_2, default=str) + b"\n"
        if out == "-":
            sys.stdout.write(data.decode())
        else:
            Path(out).parent.mkdir(parents=True, exist_ok=True)
            Path(out).write_bytes(data)
    return 1 if failed or not authenticity.passed else 0

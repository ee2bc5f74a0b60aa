"""Where a command reads and writes: a local path or a bucket URI (``s3://bucket/key``).

Locations are parsed and opened by ``pixel_platform.storage.locations`` (``open_location``,
re-exported here); this module adds what only the commands need: the help text, input files
checked up front, and source manifests.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from pixel_platform.core.errors import ConfigError, ObjectNotFoundError
from pixel_platform.ingest.context import Unit
from pixel_platform.ingest.readers import read_stream
from pixel_platform.storage.base import ObjectStore
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.storage.locations import (
    BucketStores,
    is_remote,
    open_location,
    parse_location,
)

__all__ = [
    "S3_HELP",
    "InputFile",
    "open_input_files",
    "open_location",
    "read_source_manifest",
    "read_units",
]

S3_HELP = (
    "An s3://BUCKET/KEY location uses the endpoint, region and credentials of the environment"
    " (OVH_S3_ENDPOINT, OVH_S3_REGION, OVH_S3_ACCESS_KEY, OVH_S3_SECRET_KEY, OVH_S3_CA_BUNDLE,"
    " or their AWS_* fallbacks); objects read from S3 are cached in $PIXEL_CACHE_DIR (default:"
    " data/cache)."
)

@dataclass(frozen=True)
class InputFile:
    """One input object; ``label`` is the location as the user gave it (reports and the
    quarantine name it, and the reader takes the format from its extension)."""

    store: ObjectStore
    key: str
    label: str


def open_input_files(locations: Sequence[str]) -> list[InputFile]:
    """Every location as an ``InputFile``, after checking that each exists: a missing input
    fails the command before anything is written (``ObjectNotFoundError`` names them all)."""
    if not locations:
        raise ConfigError("no input given")
    buckets = BucketStores()
    inputs: list[InputFile] = []
    missing: list[str] = []
    for location in locations:
        parsed = parse_location(location)
        if parsed.is_remote:
            key = parsed.object_key
            if key is None:
                raise ConfigError(f"{location!r} is a bucket or prefix; give an object key")
            store: ObjectStore = buckets.of(parsed)
            if store.head(key) is None:  # a missing bucket too: HEAD cannot tell them apart
                missing.append(location)
        else:
            path = Path(location).expanduser()
            if not path.is_file():
                missing.append(location)
                continue
            store, key = LocalObjectStore(path.parent), path.name
        inputs.append(InputFile(store, key, location))
    if missing:
        raise ObjectNotFoundError(f"cannot read input file(s): {', '.join(missing)}")
    return inputs


def read_units(inputs: Sequence[InputFile], **read_kwargs: Any) -> Iterator[Unit]:
    """Every unit of every input, file by file (``read_stream``: a record or a failure each)."""
    for item in inputs:
        with item.store.open_read(item.key) as fh:
            yield from read_stream(fh, item.label, **read_kwargs)


def read_source_manifest(path: str | Path) -> list[str]:
    """The sources a manifest file lists: ``s3://bucket/key`` URIs or local paths.

    The file is JSON: ``{"sources": ["s3://bucket/a.jsonl", "data/b.jsonl", ...]}`` or just the
    list. A relative local path is relative to the manifest's directory. An empty list, an entry
    that is not a non-empty string, and an entry listed twice are errors.
    """
    path = Path(path).expanduser()
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise ConfigError(f"--manifest {path}: no such file") from None
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"--manifest {path}: not valid JSON ({exc})") from None
    sources = data.get("sources") if isinstance(data, dict) else data
    if not isinstance(sources, list) or not sources:
        raise ConfigError(
            f"--manifest {path}: expected a non-empty list of sources, as"
            ' {"sources": ["s3://bucket/key.jsonl", "local/file.jsonl"]} or the bare list'
        )
    resolved: list[str] = []
    for n, entry in enumerate(sources):
        if not isinstance(entry, str) or not entry.strip():
            raise ConfigError(f"--manifest {path}: sources[{n}] is not a non-empty string")
        if not is_remote(entry):
            entry = str((path.parent / Path(entry).expanduser()).resolve())
        if entry in resolved:
            raise ConfigError(f"--manifest {path}: sources[{n}] ({entry}) is listed twice")
        resolved.append(entry)
    return resolved

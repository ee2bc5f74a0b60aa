"""Is a published manifest the one the build wrote, under the name it was built for?

The gates prove that a release's files agree with its manifest. Someone who can write to the
bucket can rewrite both so they agree again (a reply changed, its content hash, the file sha256s
and the compiled file recomputed), and every gate passes. What they cannot rewrite is kept out of
the bucket: the manifest's digest recorded at publish time (the release asset's materialization
metadata in the Dagster instance, or a digest given by hand) and an Ed25519 signature whose
private key is never in the bucket (``release.signing``). ``check_authenticity`` compares the
manifest's exact bytes with whichever of those it is given. It also checks what needs no outside
record: the manifest's ``version`` is a version, and the one of the folder it was published in.

With no digest and no public key it says so (``authenticated`` false in its metadata) and passes
on the rest: the files can still be consistent, but nothing shows they are the build's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from pixel_platform.release.layout import MANIFEST, SIGNATURE, VERSION
from pixel_platform.release.results import GateResult, Violations
from pixel_platform.release.signing import key_id, manifest_digest, signature_problem
from pixel_platform.release.view import ReleaseView

NAME = "authenticity"
DIGEST = re.compile(r"^(?:sha256:)?([0-9a-fA-F]{64})$")
SHOWN_CHARS = 40  # of a manifest's version when it is not a version


def normalize_digest(text: str) -> str:
    """``sha256:<hex>`` from ``sha256:<hex>`` or a bare 64-digit hex digest; ``ValueError``
    otherwise."""
    match = DIGEST.match(text.strip())
    if match is None:
        raise ValueError(f"not a sha256 digest: expected sha256:<64 hex digits>, got {text[:80]!r}")
    return "sha256:" + match.group(1).lower()


def version_in_path(location: str) -> str | None:
    """The release version a path or URI names by its last segment, if it names one."""
    name = PurePosixPath(location.rstrip("/").replace("\\", "/")).name
    return name if VERSION.match(name) else None


def check_authenticity(
    release: ReleaseView,
    path_version: str | None,
    expected_digests: Mapping[str, str | None] | None = None,
    public_key: Ed25519PublicKey | None = None,
) -> GateResult:
    """The manifest against its folder's version (``path_version``; ``None`` when the path names
    none), against each ``expected_digests`` entry (source -> ``sha256:<hex>``; ``None`` where
    the source holds no digest for this version, which fails) and, with ``public_key``, against
    its signature. Violations and examples carry versions, digests and key ids only."""
    v = Violations(NAME)
    expected_digests = expected_digests or {}
    anchors = [*expected_digests, *(["signature"] if public_key is not None else [])]
    data = release.manifest_bytes
    if data is None:
        v.add("manifest_missing", {"file": MANIFEST})
        return v.result(path_version=path_version, anchors=anchors, authenticated=False)
    digest = manifest_digest(data)
    version = (release.manifest or {}).get("version")
    shown = version[:SHOWN_CHARS] if isinstance(version, str) else None
    if not isinstance(version, str) or not VERSION.match(version):
        v.add("manifest_version_invalid", {"file": MANIFEST, "version": shown})
    if path_version is not None and version != path_version:
        v.add("manifest_version_differs_from_path", {"manifest": shown, "path": path_version})
    for source, expected in expected_digests.items():
        if expected is None:
            v.add("digest_not_recorded", {"source": source, "version": path_version or shown})
        elif normalize_digest(expected) != digest:
            v.add(
                "manifest_digest_mismatch",
                {"source": source, "expected": normalize_digest(expected), "actual": digest},
            )
    if public_key is not None:
        signature = (
            release.store.read_bytes(release.key(SIGNATURE))
            if SIGNATURE in release.objects
            else None
        )
        problem = signature_problem(data, signature, public_key)
        if problem is not None:
            v.add(problem, {"file": SIGNATURE, "key_id": key_id(public_key)})
    return v.result(
        manifest_digest=digest,
        path_version=path_version,
        anchors=anchors,
        authenticated=bool(anchors) and not v,
    )

"""Ed25519 signatures of release manifests, with a key that is never in the bucket.

A build given a private key (``ReleaseOptions.signing_key_path``; the Dagster asset takes it from
``$PIXEL_RELEASE_SIGNING_KEY``) writes ``manifest.json.sig`` next to the manifest: a small JSON
document with the signature of the manifest's exact bytes and the id of the key. Whoever holds
the public key (``pixel-platform verify RELEASE --public-key KEY.pub``) can tell the manifest is
the one the build wrote, even against someone who can rewrite every file in the bucket.

``pixel-platform release keygen --out DIR`` makes a key pair (PEM; the private key mode 0600).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

import orjson
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pixel_platform.core.errors import ConfigError

SIGNING_KEY_ENV = "PIXEL_RELEASE_SIGNING_KEY"  # path of the PEM private key, outside the bucket
SIGNATURE_SCHEMA = "pixel-release-signature/1"
ALGORITHM = "ed25519"
PRIVATE_KEY_FILE = "release-signing.key"
PUBLIC_KEY_FILE = "release-signing.pub"


def manifest_digest(data: bytes) -> str:
    """``sha256:<hex>`` of a manifest's exact bytes as published."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short, stable name of a public key (the sha256 of its raw bytes, first 16 hex digits)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return f"{ALGORITHM}:{hashlib.sha256(raw).hexdigest()[:16]}"


def signing_key_path_from_env() -> str | None:
    return os.environ.get(SIGNING_KEY_ENV) or None


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file ``path`` (unencrypted PKCS#8, as keygen writes)."""
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except OSError as exc:
        raise ConfigError(f"cannot read the release signing key {path}: {exc.strerror}") from None
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ConfigError(
            f"{path} is not an unencrypted PEM private key; make one with"
            " `pixel-platform release keygen --out DIR`"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"the release signing key {path} is not an Ed25519 key")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """The Ed25519 public key in the PEM file ``path``."""
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read the public key {path}: {exc.strerror}") from None
    except (ValueError, UnsupportedAlgorithm):
        raise ConfigError(f"{path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"the public key {path} is not an Ed25519 key")
    return key


def sign_manifest(manifest: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """The signature file's bytes for the manifest bytes ``manifest``."""
    document = {
        "schema": SIGNATURE_SCHEMA,
        "algorithm": ALGORITHM,
        "key_id": key_id(private_key.public_key()),
        "manifest_sha256": manifest_digest(manifest),
        "signature": base64.b64encode(private_key.sign(manifest)).decode("ascii"),
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def signature_problem(
    manifest: bytes, signature_file: bytes | None, public_key: Ed25519PublicKey
) -> str | None:
    """``None`` when ``signature_file`` is a valid signature of ``manifest`` by ``public_key``,
    else the violation kind: ``signature_missing``, ``signature_malformed``,
    ``signature_key_mismatch`` (signed by another key) or ``signature_invalid``."""
    if signature_file is None:
        return "signature_missing"
    try:
        document = orjson.loads(signature_file)
        signature = base64.b64decode(document["signature"], validate=True)
        algorithm, signer = document["algorithm"], document["key_id"]
    except (orjson.JSONDecodeError, binascii.Error, KeyError, TypeError, ValueError):
        return "signature_malformed"
    if algorithm != ALGORITHM:
        return "signature_malformed"
    if signer != key_id(public_key):
        return "signature_key_mismatch"
    try:
        public_key.verify(signature, manifest)
    except InvalidSignature:
        return "signature_invalid"
    return None


def generate_key_pair(out: Path) -> tuple[Path, Path]:
    """A new key pair as ``out/release-signing.key`` (PKCS#8 PEM, mode 0600) and
    ``out/release-signing.pub``; existing files are never overwritten."""
    private_path, public_path = out / PRIVATE_KEY_FILE, out / PUBLIC_KEY_FILE
    for path in (private_path, public_path):
        if path.exists():
            raise ConfigError(f"{path} exists; keys are never overwritten (choose another --out)")
    out.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # Created 0600 from the start: the private key is never readable by others, not even briefly.
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private_pem)
    public_path.write_bytes(public_pem)
    return private_path, public_path

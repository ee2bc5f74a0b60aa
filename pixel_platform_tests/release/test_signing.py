"""Ed25519 manifest signatures: what passes, what each forgery is reported as, key files."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pixel_platform.core.errors import ConfigError
from pixel_platform.release.signing import (
    generate_key_pair,
    key_id,
    load_private_key,
    load_public_key,
    manifest_digest,
    sign_manifest,
    signature_problem,
)

MANIFEST = b'{\n  "version": "v2025-12-29"\n}'


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return generate_key_pair(tmp_path_factory.mktemp("keys"))


def test_a_signature_of_the_manifest_bytes_verifies(keys: tuple[Path, Path]) -> None:
    private, public = load_private_key(keys[0]), load_public_key(keys[1])
    signature = sign_manifest(MANIFEST, private)
    assert signature_problem(MANIFEST, signature, public) is None
    document = orjson.loads(signature)
    assert document["key_id"] == key_id(public) and key_id(public).startswith("ed25519:")
    assert document["manifest_sha256"] == manifest_digest(MANIFEST)


def test_each_forgery_has_its_own_kind(keys: tuple[Path, Path]) -> None:
    private, public = load_private_key(keys[0]), load_public_key(keys[1])
    changed = MANIFEST.replace(b"v2025-12-29", b"vEVIL")
    assert signature_problem(changed, sign_manifest(MANIFEST, private), public) == (
        "signature_invalid"
    )
    attacker = Ed25519PrivateKey.generate()
    assert signature_problem(changed, sign_manifest(changed, attacker), public) == (
        "signature_key_mismatch"
    )
    # The attacker's signature under the genuine key's id still does not verify.
    forged = orjson.loads(sign_manifest(changed, attacker))
    forged["key_id"] = key_id(public)
    assert signature_problem(changed, orjson.dumps(forged), public) == "signature_invalid"
    forged["signature"] = base64.b64encode(b"\0" * 64).decode()
    assert signature_problem(changed, orjson.dumps(forged), public) == "signature_invalid"
    assert signature_problem(MANIFEST, None, public) == "signature_missing"
    assert signature_problem(MANIFEST, b"not json", public) == "signature_malformed"
    assert signature_problem(MANIFEST, b'{"algorithm": "ed25519"}', public) == (
        "signature_malformed"
    )


def test_keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites(
    tmp_path: Path,
) -> None:
    private, public = generate_key_pair(tmp_path / "keys")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert key_id(load_private_key(private).public_key()) == key_id(load_public_key(public))
    before = private.read_bytes()
    with pytest.raises(ConfigError, match="never overwritten"):
        generate_key_pair(tmp_path / "keys")
    assert private.read_bytes() == before


def test_unusable_keys_fail_with_the_path_and_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the release signing key"):
        load_private_key(tmp_path / "missing.key")
    garbage = tmp_path / "garbage.key"
    garbage.write_bytes(b"not a key")
    with pytest.raises(ConfigError, match="keygen"):
        load_private_key(garbage)
    ec_key = generate_private_key(SECP256R1())
    ec_path = tmp_path / "ec.key"
    ec_path.write_bytes(
        ec_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ConfigError, match="not an Ed25519 key"):
        load_private_key(ec_path)
    with pytest.raises(ConfigError, match="not a PEM public key"):
        load_public_key(garbage)

"""``pixel-platform release keygen --out DIR``: an Ed25519 key pair to sign release manifests.

The private key (``DIR/release-signing.key``, mode 0600) stays with whoever runs the builds,
outside the bucket: ``PIXEL_RELEASE_SIGNING_KEY`` points the ``dataset_release`` asset at it.
The public key (``DIR/release-signing.pub``) goes to whoever checks releases:
``pixel-platform verify RELEASE --public-key DIR/release-signing.pub``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pixel_platform.release.signing import (
    SIGNING_KEY_ENV,
    generate_key_pair,
    key_id,
    load_public_key,
)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("release", help="release signing keys")
    rsub = p.add_subparsers(dest="release_command", required=True)
    k = rsub.add_parser("keygen", help="make an Ed25519 key pair for signing release manifests")
    k.add_argument("--out", required=True, type=Path, help="directory for the two PEM files")
    k.set_defaults(func=keygen)


def keygen(args: argparse.Namespace) -> int:
    private_path, public_path = generate_key_pair(args.out.resolve())
    print(f"key {key_id(load_public_key(public_path))}")
    print(f"  private: {private_path} (mode 0600; never in the bucket)")
    print(f"           builds sign with it when {SIGNING_KEY_ENV}={private_path}")
    print(f"  public:  {public_path}")
    print(f"           pixel-platform verify RELEASE --public-key {public_path}")
    return 0

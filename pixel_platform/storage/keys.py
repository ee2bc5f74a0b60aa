"""Object keys: forward-slash paths relative to the bucket root, never escaping it."""

from __future__ import annotations

from pixel_platform.core.errors import InvalidKeyError


def validate_key(key: str, *, allow_prefix: bool = False) -> str:
    """Return ``key`` if it is safe, else raise ``InvalidKeyError``.

    Rejected: empty keys (unless a prefix is allowed), absolute paths, backslashes, NUL bytes and
    any ``..`` or ``.`` segment. A prefix may be empty (the bucket root) and may end with ``/``.
    """
    if not isinstance(key, str):
        raise InvalidKeyError(f"object key must be a string, got {type(key).__name__}")
    if key == "":
        if allow_prefix:
            return key
        raise InvalidKeyError("object key is empty")
    if key.startswith("/") or (len(key) > 1 and key[1] == ":"):
        raise InvalidKeyError(f"object key {key!r} is absolute; keys are relative to the bucket")
    if "\\" in key or "\x00" in key:
        raise InvalidKeyError(f"object key {key!r} contains a backslash or NUL byte")
    segments = key.split("/")
    body = segments[:-1] if (allow_prefix and key.endswith("/")) else segments
    for segment in body:
        if segment in ("", ".", ".."):
            raise InvalidKeyError(
                f"object key {key!r} has an empty, '.' or '..' segment;"
                " keys may not leave the bucket"
            )
    return key


def join_key(*parts: str) -> str:
    """Join key parts with single slashes (``join_key("a/", "/b")`` -> ``"a/b"``)."""
    cleaned = [p.strip("/") for p in parts if p and p.strip("/")]
    return validate_key("/".join(cleaned))

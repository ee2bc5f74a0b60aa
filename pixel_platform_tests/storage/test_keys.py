"""Object keys: what ``validate_key`` lets through and what it stops."""

from __future__ import annotations

import pytest

from pixel_platform.core.errors import InvalidKeyError, StorageError
from pixel_platform.storage.keys import join_key, validate_key


@pytest.mark.parametrize(
    "key",
    ["a", "raw/counsel_chat/part-0000.jsonl", "releases/v1.2.0/manifest.json", "a..b/c", ".hidden"],
)
def test_valid_keys_pass_through_unchanged(key: str) -> None:
    assert validate_key(key) == key


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("", "empty"),
        ("/etc/passwd", "absolute"),
        ("C:/data/x", "absolute"),
        ("../outside", "'..'"),
        ("a/../../b", "'..'"),
        ("a/./b", "'.'"),
        ("a//b", "empty"),
        ("a/", "empty"),
        ("a\\b", "backslash"),
        ("a\x00b", "NUL"),
    ],
)
def test_unsafe_keys_are_rejected(key: str, reason: str) -> None:
    with pytest.raises(InvalidKeyError, match=reason):
        validate_key(key)


def test_invalid_key_error_is_a_storage_error() -> None:
    # Callers that catch StorageError also catch bad keys.
    assert issubclass(InvalidKeyError, StorageError)


def test_non_string_keys_are_rejected() -> None:
    with pytest.raises(InvalidKeyError, match="string"):
        validate_key(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("prefix", ["", "raw/", "raw/counsel", "raw/counsel_chat/"])
def test_prefixes_may_be_empty_or_end_with_a_slash(prefix: str) -> None:
    assert validate_key(prefix, allow_prefix=True) == prefix


@pytest.mark.parametrize("prefix", ["../", "/raw/", "raw//", "raw/../"])
def test_unsafe_prefixes_are_rejected(prefix: str) -> None:
    with pytest.raises(InvalidKeyError):
        validate_key(prefix, allow_prefix=True)


def test_join_key_normalises_slashes() -> None:
    assert join_key("raw/", "/counsel_chat/", "part-0.jsonl") == "raw/counsel_chat/part-0.jsonl"
    assert join_key("", "a", "") == "a"


def test_join_key_still_validates() -> None:
    with pytest.raises(InvalidKeyError):
        join_key("raw", "..", "secrets")

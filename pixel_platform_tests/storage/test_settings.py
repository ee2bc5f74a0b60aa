"""``StorageSettings``: environment precedence, validation, and secrets kept out of repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixel_platform.core.errors import ConfigError
from pixel_platform.storage.factory import open_store
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform.storage.s3 import S3ObjectStore
from pixel_platform.storage.settings import StorageSettings, env_source

OVH_ENV = {
    "DATASET_STORAGE_BACKEND": "s3",
    "OVH_S3_BUCKET": "ovh-bucket",
    "OVH_S3_REGION": "gra",
    "OVH_S3_ENDPOINT": "https://s3.gra.io.cloud.ovh.net",
    "OVH_S3_ACCESS_KEY": "OVHACCESSKEY123",
    "OVH_S3_SECRET_KEY": "ovh-secret-value-456",
}
AWS_ENV = {
    "AWS_S3_BUCKET": "aws-bucket",
    "AWS_REGION": "eu-west-1",
    "AWS_ENDPOINT_URL": "https://s3.example.com",
    "AWS_ACCESS_KEY_ID": "AKIAAWSKEY789",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-value-000",
}


def test_defaults_to_the_local_backend() -> None:
    settings = StorageSettings.from_env({})
    assert settings.backend == "local"
    assert settings.local_path == Path("data/bucket")
    assert settings.verify_tls is True


@pytest.mark.parametrize(("env", "expected"), [
    pytest.param(
        {**AWS_ENV, **OVH_ENV},
        ("ovh-bucket", "gra", "https://s3.gra.io.cloud.ovh.net", "OVHACCESSKEY123",
         "ovh-secret-value-456"),
        id="ovh_variables_win_over_aws_ones",
    ),
    pytest.param(
        {"DATASET_STORAGE_BACKEND": "s3", **AWS_ENV},
        ("aws-bucket", "eu-west-1", "https://s3.example.com", "AKIAAWSKEY789",
         "aws-secret-value-000"),
        id="aws_variables_are_the_fallback",
    ),
])  # fmt: skip
def test_s3_settings_read_ovh_variables_then_aws_ones(
    env: dict[str, str], expected: tuple[str, str, str, str, str]
) -> None:
    settings = StorageSettings.from_env(env)
    assert (
        settings.bucket,
        settings.region,
        settings.endpoint_url,
        settings.access_key,
        settings.secret_key,
    ) == expected


def test_env_source_names_the_variable_from_env_reads() -> None:
    both = {**AWS_ENV, **OVH_ENV, "OVH_S3_SECRET_KEY": ""}  # empty counts as unset
    assert env_source("access_key", both) == "OVH_S3_ACCESS_KEY"
    assert env_source("secret_key", both) == "AWS_SECRET_ACCESS_KEY"
    assert StorageSettings.from_env(both).secret_key == both["AWS_SECRET_ACCESS_KEY"]
    assert env_source("region", {"AWS_DEFAULT_REGION": "x"}) == "AWS_DEFAULT_REGION"
    assert env_source("endpoint_url", {}) is None


def test_aws_default_region_is_the_last_region_fallback() -> None:
    env = {"AWS_DEFAULT_REGION": "us-west-2"}
    assert StorageSettings.from_env(env).region == "us-west-2"
    assert StorageSettings.from_env({**env, "AWS_REGION": "eu-west-3"}).region == "eu-west-3"


def test_secrets_never_appear_in_repr() -> None:
    settings = StorageSettings.from_env({**AWS_ENV, **OVH_ENV})
    text = repr(settings) + str(settings)
    for secret in ("OVHACCESSKEY123", "ovh-secret-value-456"):
        assert secret not in text
    assert "ovh-bucket" in text  # the rest is still there to debug with


def test_backend_name_is_normalised() -> None:
    assert StorageSettings.from_env({"DATASET_STORAGE_BACKEND": " Local "}).backend == "local"


def test_unknown_backend_is_a_config_error_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match="DATASET_STORAGE_BACKEND='azure'"):
        StorageSettings.from_env({"DATASET_STORAGE_BACKEND": "azure"})


def test_s3_without_a_bucket_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="OVH_S3_BUCKET"):
        StorageSettings.from_env({"DATASET_STORAGE_BACKEND": "s3"})


def test_max_attempts_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="max_attempts"):
        StorageSettings(max_attempts=0)


def test_ca_bundle_and_cache_dir_come_from_the_environment() -> None:
    env = {"OVH_S3_CA_BUNDLE": "/etc/ssl/private-ca.pem", "PIXEL_CACHE_DIR": "/var/cache/pixel"}
    settings = StorageSettings.from_env(env)
    assert settings.verify_tls == "/etc/ssl/private-ca.pem"
    assert settings.cache_dir == Path("/var/cache/pixel")


def test_overrides_beat_the_environment() -> None:
    settings = StorageSettings.from_env(OVH_ENV, bucket="override", max_attempts=2)
    assert settings.bucket == "override"
    assert settings.max_attempts == 2


def test_open_store_builds_the_configured_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    local = open_store(StorageSettings(local_path=tmp_path / "b"))
    assert isinstance(local, LocalObjectStore)
    assert local.uri() == str((tmp_path / "b").resolve())

    s3 = open_store(StorageSettings.from_env(OVH_ENV, cache_dir=tmp_path / "cache"))
    assert isinstance(s3, S3ObjectStore)  # building a client does not connect
    assert s3.uri("a/b.jsonl") == "s3://ovh-bucket/a/b.jsonl"
    assert "ovh-secret-value-456" not in repr(s3)
    assert "OVHACCESSKEY123" not in repr(s3)

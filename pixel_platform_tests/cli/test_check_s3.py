"""``pixel-platform check-s3`` against SeaweedFS: settings shown (never a secret), keys listed, and
a clear error and exit 2 for wrong credentials, a missing bucket and an unreachable endpoint."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from pixel_platform.cli.main import main

S3_VARS = (
    "DATASET_STORAGE_BACKEND",
    "OVH_S3_BUCKET",
    "OVH_S3_ENDPOINT",
    "OVH_S3_REGION",
    "OVH_S3_ACCESS_KEY",
    "OVH_S3_SECRET_KEY",
    "OVH_ACCESS_KEY",
    "OVH_SECRET_KEY",
    "AWS_S3_BUCKET",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in S3_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def use(env: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        env.setenv(name, value)


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["check-s3", "--max-attempts", "1", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_lists_a_few_keys_and_names_the_variables(
    s3_server: Any, s3_bucket: str, s3_store: Any, env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use(env, s3_server.env(s3_bucket))
    code, out, _ = check(capsys)
    assert code == 0
    assert f"endpoint: {s3_server.endpoint_url} (OVH_S3_ENDPOINT)" in out
    assert f"bucket: {s3_bucket} (OVH_S3_BUCKET)" in out
    assert (
        "credentials: access key from OVH_S3_ACCESS_KEY, secret key from OVH_S3_SECRET_KEY" in out
    )
    assert f"ok: listed s3://{s3_bucket}/: the bucket is empty" in out

    for n in range(7):
        s3_store.write_bytes(f"gdrive/raw/f{n}.jsonl", b"{}\n")
    code, out, _ = check(capsys, "--max-keys", "3")
    assert code == 0 and f"ok: listed s3://{s3_bucket}/: the first 3 keys" in out
    assert len([line for line in out.splitlines() if line.startswith("  gdrive/raw/")]) == 3
    code, out, _ = check(capsys, "--prefix", "gdrive/raw/f6")
    assert code == 0 and "all 1 keys" in out and "  gdrive/raw/f6.jsonl" in out
    code, out, _ = check(capsys, "--prefix", "nothing/")
    assert code == 0 and "no object under the prefix" in out
    assert s3_server.secret_key not in out and s3_server.access_key not in out


def test_wrong_secret_and_missing_bucket_fail_with_what_to_fix(
    s3_server: Any, s3_bucket: str, env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "x" * 40
    use(env, {**s3_server.env(s3_bucket), "OVH_S3_SECRET_KEY": wrong})
    code, out, err = check(capsys)
    assert code == 2
    assert "rejected the credentials" in err and "OVH_S3_SECRET_KEY" in err
    assert wrong not in out + err and s3_server.access_key not in out + err
    assert f"bucket: {s3_bucket}" in out  # what was tried is shown before the error

    use(env, s3_server.env(s3_bucket))
    code, _, err = check(capsys, "--bucket", "no-such-bucket-here")
    assert code == 2 and "bucket 'no-such-bucket-here' does not exist" in err


def test_unreachable_endpoint_half_credentials_and_no_bucket(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    use(
        env,
        {
            "OVH_S3_BUCKET": "b",
            "OVH_S3_ENDPOINT": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "s3cr3t-value",
        },
    )
    code, out, err = check(capsys, "--timeout", "2")
    assert code == 2 and "could not list s3://b" in err and "EndpointConnectionError" in err
    assert "access key from AWS_ACCESS_KEY_ID, secret key from AWS_SECRET_ACCESS_KEY" in out
    assert "s3cr3t-value" not in out + err

    env.delenv("AWS_SECRET_ACCESS_KEY")
    code, _, err = check(capsys)
    assert code == 2 and "only half of the S3 credentials is set (AWS_ACCESS_KEY_ID)" in err
    env.delenv("OVH_S3_BUCKET")
    code, _, err = check(capsys)
    assert code == 2 and "no bucket to check" in err

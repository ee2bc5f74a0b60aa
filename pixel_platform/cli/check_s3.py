"""``pixel-platform check-s3``: are the S3 settings of the environment usable?

Prints the endpoint, bucket and region it will use and which variables the credentials come from
(never a credential), then lists a few keys with one LIST request. A failure exits 2 with the
store's own message: credentials rejected, bucket missing, endpoint unreachable, TLS.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from pixel_platform.core.errors import ConfigError
from pixel_platform.storage.s3 import CREDENTIAL_VARS, S3ObjectStore
from pixel_platform.storage.settings import ENV_NAMES, StorageSettings, env_source

DEFAULT_MAX_KEYS = 5


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "check-s3",
        help="check that S3 credentials are loaded and the bucket can be listed",
        description="Reads the S3 settings as every S3 command does, whatever"
        " DATASET_STORAGE_BACKEND says: OVH_S3_ENDPOINT, OVH_S3_BUCKET, OVH_S3_REGION,"
        " OVH_S3_ACCESS_KEY, OVH_S3_SECRET_KEY, OVH_S3_CA_BUNDLE (or their AWS_* fallbacks)."
        " Exit status 0 when the bucket could be listed, 2 otherwise.",
    )
    p.add_argument(
        "--bucket", help="bucket to check (default: $OVH_S3_BUCKET, else $AWS_S3_BUCKET)"
    )
    p.add_argument("--prefix", default="", help="list only keys under this prefix (default: all)")
    p.add_argument(
        "--max-keys",
        type=int,
        default=DEFAULT_MAX_KEYS,
        metavar="N",
        help="keys to show (default: %(default)s)",
    )
    p.add_argument(
        "--max-attempts",
        type=int,
        metavar="N",
        help="tries per request, the first included (default: the storage settings' 5)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="connect and read timeout per try (default: the storage settings' 10 s connect,"
        " 60 s read)",
    )
    p.set_defaults(func=run)


def _source(setting: str) -> str:
    name = env_source(setting)
    return name or "not set: " + " / ".join(ENV_NAMES[setting])


def credentials_line() -> str:
    """Where the credentials come from, by variable name; a half-set pair is an error."""
    access, secret = env_source("access_key"), env_source("secret_key")
    if access and secret:
        return f"access key from {access}, secret key from {secret}"
    if access or secret:
        raise ConfigError(
            f"only half of the S3 credentials is set ({access or secret}); set {CREDENTIAL_VARS}"
        )
    return (
        f"not in the environment ({CREDENTIAL_VARS}); boto3's own chain (AWS_PROFILE,"
        " ~/.aws/credentials, instance roles) is tried"
    )


def run(args: argparse.Namespace) -> int:
    if args.max_keys < 1:
        raise ConfigError(f"--max-keys must be at least 1, got {args.max_keys}")
    if not args.bucket and not env_source("bucket"):
        raise ConfigError("no bucket to check: set OVH_S3_BUCKET (or AWS_S3_BUCKET), or --bucket")
    credentials = credentials_line()
    settings = StorageSettings.from_env(
        backend="s3",
        bucket=args.bucket,
        max_attempts=args.max_attempts,
        connect_timeout_s=args.timeout,
        read_timeout_s=args.timeout,
    )
    store = S3ObjectStore.from_settings(replace(settings, cache_dir=None))  # nothing is read
    endpoint_from = env_source("endpoint_url") or "the client's default for the region"
    print(f"endpoint: {store.endpoint} ({endpoint_from})")
    print(f"bucket: {store.bucket} ({'--bucket' if args.bucket else env_source('bucket')})")
    print(f"region: {settings.region or '-'} ({_source('region')})")
    print(f"credentials: {credentials}")
    keys, more = store.sample(args.prefix, args.max_keys)
    where = store.uri(args.prefix)
    if not keys:
        empty = "no object under the prefix" if args.prefix else "the bucket is empty"
        print(f"ok: listed {where}: {empty}")
        return 0
    shown = f"the first {len(keys)} keys" if more else f"all {len(keys)} keys"
    print(f"ok: listed {where}: {shown}")
    for key in keys:
        print(f"  {key}")
    return 0

"""The error messages every bucket store (S3, GCS) gives for the same failure, worded once.

They name the endpoint, the action, the object and the variables to check; never a credential,
never conversation text."""

from __future__ import annotations

from pixel_platform.core.errors import StorageError, TransientStorageError


def credentials_rejected(
    endpoint: str, label: str, action: str, where: str, variables: str, bucket: str
) -> StorageError:
    return StorageError(
        f"{endpoint} rejected the credentials ({label}) trying to {action} {where}; check "
        f"{variables}, and that they may access bucket {bucket!r}"
    )


def still_failing(action: str, where: str, label: str, endpoint: str) -> TransientStorageError:
    return TransientStorageError(
        f"could not {action} {where}: {label} from {endpoint}, "
        "still failing after the client's retries"
    )


def bucket_missing(bucket: str, endpoint: str, variable: str) -> StorageError:
    return StorageError(
        f"bucket {bucket!r} does not exist at {endpoint}; create it, or set {variable} "
        "to an existing bucket"
    )

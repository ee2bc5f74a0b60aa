"""Exception hierarchy.

Borrowed from dlt: every error is either *terminal* (retrying cannot help; the message says what to
fix) or *transient* (a bounded retry with backoff may succeed). Callers decide retries by type,
never by parsing messages. Messages never contain credentials or conversation text.
"""

from __future__ import annotations


class PixelError(Exception):
    """Base class for every error pixel_platform raises on purpose."""


class TerminalError(PixelError):
    """Retrying will not help: bad configuration, bad credentials, a missing bucket."""


class TransientError(PixelError):
    """May succeed on retry: throttling, 5xx, a dropped connection."""


class ConfigError(TerminalError):
    """A configuration file or environment variable is invalid; the message names the bad key."""


class StorageError(TerminalError):
    """An object-store operation failed for a reason retrying will not fix."""


class TransientStorageError(TransientError):
    """An object-store operation failed after the client's own bounded retries."""


class InvalidKeyError(StorageError):
    """An object key is absolute, contains ``..`` or is otherwise unsafe."""


class ObjectNotFoundError(StorageError):
    """The requested object does not exist."""


class StageInputMissing(TerminalError):
    """A stage was asked to run before the stage it reads from has finished (no processed
    partition to curate, nothing curated to deduplicate, no dedup output to release); the message
    names what to materialize first."""


class IngestError(TerminalError):
    """Ingestion failed on one input unit; the message names the object key and record index
    (and the exception's type and place, never its message: that may quote the record)."""


class MissingDependencyError(TerminalError):
    """An optional dependency is not installed; the message carries the install command."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"{package} is not installed. Install it with: pip install 'pixel-platform[{extra}]'"
        )

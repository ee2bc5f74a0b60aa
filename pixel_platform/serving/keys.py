"""API keys and per-key rate limits.

Keys are configured as ``name:sha256hex`` pairs (``PIXEL_SERVE_API_KEYS``, comma-separated): the
service never holds a key itself, only its digest, and names the caller by ``name`` in logs and
limits. ``pixel-platform serve keygen NAME`` prints a new key and its entry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from pixel_platform.core.errors import ConfigError

KEYS_ENV = "PIXEL_SERVE_API_KEYS"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key(name: str) -> tuple[str, str]:
    """A new key and its configuration entry ``name:sha256``."""
    key = "pp-" + secrets.token_urlsafe(32)
    return key, f"{name}:{digest(key)}"


@dataclass(frozen=True)
class KeyRing:
    entries: dict[str, str]  # sha256 hex -> name

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        entries: dict[str, str] = {}
        for n, item in enumerate(p.strip() for p in spec.split(",") if p.strip()):
            name, _, hexdigest = item.partition(":")
            if (
                not name
                or len(hexdigest) != 64
                or any(c not in "0123456789abcdef" for c in hexdigest)
            ):
                raise ConfigError(f"{KEYS_ENV}: entry {n + 1} is not name:sha256hex")
            entries[hexdigest] = name
        if not entries:
            raise ConfigError(f"{KEYS_ENV} is empty: the service answers no one without a key")
        return cls(entries)

    def name_of(self, key: str) -> str | None:
        """The key's name, or None; compares digests in constant time."""
        candidate = digest(key)
        found = None
        for known, name in self.entries.items():
            if hmac.compare_digest(known, candidate):
                found = name
        return found


@dataclass
class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute, bursts up to ``burst``."""

    per_minute: float = 60.0
    burst: int = 10
    clock: object = field(default=time.monotonic, repr=False)
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def allow(self, name: str) -> bool:
        now = self.clock()  # type: ignore[operator]
        with self._lock:
            tokens, last = self._buckets.get(name, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.per_minute / 60.0)
            if tokens < 1.0:
                self._buckets[name] = (tokens, now)
                return False
            self._buckets[name] = (tokens - 1.0, now)
            return True

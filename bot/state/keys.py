"""Names for phone numbers in shared stores: a keyed hash, so that reading Redis tells nobody who texted."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

#: Used only where no secret is configured, which `rdvbot serve` allows on a loopback address alone.
UNCONFIGURED_SECRET = "rdvbot-unconfigured"


class NumberKeys:
    """A number's name in Redis keys: HMAC-SHA256 under the deployment's secret, 24 hex digits (96 bits)."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()
        self.of = lru_cache(maxsize=4096)(self._hash)

    def _hash(self, number: str) -> str:
        return hmac.new(self._secret, number.encode(), hashlib.sha256).hexdigest()[:24]

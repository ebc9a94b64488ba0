"""Request-rate quotas: a token bucket per account, region and quota bucket, in this process.

A node with several workers divides each rate among them (connections spread evenly across workers), so the
node as a whole honours the configured rate. Nodes do not share buckets: in a cluster of N nodes the account's
effective quota is N times the configured rate unless each node is configured with its share.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from strongroom.domain.context import RequestContext
from strongroom.domain.quotas import bucket_of, rates
from strongroom.errors import ThrottledError

THROTTLED_MESSAGE = "Rate exceeded"


class _Bucket:
    __slots__ = ("rate", "tokens", "updated")

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.tokens = max(rate, 1.0)  # a burst of one second's worth
        self.updated = now


class Quotas:
    def __init__(self, overrides: Mapping[str, float] | None = None, *, share: int = 1, enabled: bool = True) -> None:
        self.enabled = enabled
        self._rates = {name: rate / share for name, rate in rates(overrides).items()}
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}

    def charge(self, ctx: RequestContext, operation: str) -> None:
        """Take one request from the caller's bucket for ``operation``, or raise ``ThrottledError``."""
        if not self.enabled:
            return
        name = bucket_of(operation)
        if name is None:
            return
        now = time.monotonic()
        key = (ctx.caller.account_id, ctx.region, name)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self._rates[name], now)
        capacity = max(bucket.rate, 1.0)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * bucket.rate)
        bucket.updated = now
        if bucket.tokens < 1.0:
            raise ThrottledError(THROTTLED_MESSAGE)
        bucket.tokens -= 1.0

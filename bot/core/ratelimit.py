"""Per-user rate limiting: a flood from one person never slows everyone else."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

MAX_TRACKED = 50_000


@dataclass
class _Bucket:
    tokens: float
    updated: datetime
    warned: bool = False


class RateLimiter:
    """A token bucket per key: ``burst`` at once, then ``per_minute`` refill.

    ``check`` answers "allow", "warn" (the first refusal of a flood, so the
    person gets one polite notice) or "drop" (further refusals, answered with
    silence so the flood is not echoed back).
    """

    def __init__(self, per_minute: int, burst: int) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()

    def check(self, key: tuple[str, str], now: datetime) -> str:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(self._burst, now)
            self._buckets[key] = bucket
            if len(self._buckets) > MAX_TRACKED:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            elapsed = max((now - bucket.updated).total_seconds(), 0.0)
            bucket.tokens = min(self._burst, bucket.tokens + elapsed * self._rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.warned = False
            return "allow"
        if bucket.warned:
            return "drop"
        bucket.warned = True
        return "warn"

"""Growing delays after failures: the shared rate limit for sign-ins and case look-ups.

Each key (an account, a client address, a case number) counts its failures within a
window (forgotten that long after the last failure). The first ``free`` failures cost
nothing; after that every further try must wait ``base * 2 ** (failures - free)`` seconds
after the last failure, up to ``max_delay``. A guesser is
slowed to a crawl while a person who mistyped twice never notices. Counters live in Redis
(one hash per key); when Redis is down they fall back to this process, never to no limit.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

import redis

from hotline.broker import get_redis

log = logging.getLogger(__name__)
_local: dict[str, tuple[int, float, float]] = {}  # key -> (failures, last, expires)


@dataclass(frozen=True)
class Rule:
    """How one kind of key is throttled."""

    free: int
    base: int
    max_delay: int
    window: int

    @property
    def keep(self) -> int:
        """How long a key's failures are remembered after the last one."""
        return self.window + self.max_delay


def delay_for(failures: int, rule: Rule) -> int:
    """Seconds a key must wait after its last failure before the next try."""
    if failures < rule.free:
        return 0
    return min(rule.max_delay, rule.base * 2 ** min(failures - rule.free, 30))


def wait_seconds(key: str, rule: Rule, now: float | None = None) -> int:
    """Seconds left before ``key`` may try again (0: it may try now)."""
    now = time.time() if now is None else now
    failures, last = _read(key)
    if failures == 0:
        return 0
    return max(0, math.ceil(last + delay_for(failures, rule) - now))


def failures(key: str) -> int:
    """Failures counted for ``key`` within its window."""
    return _read(key)[0]


def count_failure(keys: Iterable[str], keep: int, now: float | None = None) -> None:
    """Count one failure against each key; a key is forgotten ``keep`` seconds after its
    last failure (``Rule.keep``)."""
    now = time.time() if now is None else now
    keys = list(keys)
    try:
        pipe = get_redis().pipeline()
        for key in keys:
            pipe.hincrby(key, "n", 1)
            pipe.hset(key, "last", repr(now))
            pipe.expire(key, keep)
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("throttle falls back to this process: %s", exc)
        for key in keys:
            count, _, expires = _local.get(key, (0, now, now))
            _local[key] = (count + 1 if expires >= now else 1, now, now + keep)


def clear(*keys: str) -> None:
    """Forget the failures of these keys (after a success)."""
    for key in keys:
        _local.pop(key, None)
    try:
        get_redis().delete(*keys)
    except redis.RedisError as exc:
        log.warning("could not clear throttle keys: %s", exc)


def _read(key: str) -> tuple[int, float]:
    try:
        row = get_redis().hgetall(key)
    except redis.RedisError:
        count, last, expires = _local.get(key, (0, 0.0, 0.0))
        return (count, last) if expires >= time.time() else (0, 0.0)
    values = {(k.decode() if isinstance(k, bytes) else k): v for k, v in row.items()}
    return int(values.get("n", 0)), float(values.get("last", 0) or 0)

"""Counters at the door: refused gateway calls (wrong signature or secret) per channel and
day, public submissions per client address, and challenge tokens already used.

All of it lives in Redis: a flood of forged requests must cost one ``INCR``, not a database
write. When Redis is down the counters are skipped (logged), never the checks themselves.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import redis
from flask import current_app

from hotline.broker import get_redis
from hotline.errors import TooManyAttempts
from hotline.models import utcnow

log = logging.getLogger(__name__)
REJECTED_KEY = "hotline:intake:rejected:{day}"
KEEP_DAYS = 35


def _day(now: datetime) -> str:
    return now.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime("%Y%m%d")


def count_rejection(channel: str, now: datetime | None = None) -> None:
    """Count one refused call on ``channel`` (shown on the review page)."""
    key = REJECTED_KEY.format(day=_day(now or utcnow()))
    try:
        pipe = get_redis().pipeline()
        pipe.hincrby(key, channel, 1)
        pipe.expire(key, KEEP_DAYS * 86400)
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("could not count a refused %s call: %s", channel, exc)
    log.warning("refused %s call: authentication failed", channel)


def rejection_counts(days: int = 7, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """Refused calls per channel: ``{"today": {...}, "week": {...}}`` over the last days."""
    now = now or utcnow()
    keys = [REJECTED_KEY.format(day=_day(now - timedelta(days=i))) for i in range(days)]
    try:
        pipe = get_redis().pipeline()
        for key in keys:
            pipe.hgetall(key)
        rows = pipe.execute()
    except redis.RedisError:
        return {"today": {}, "week": {}}
    today: dict[str, int] = {}
    week: dict[str, int] = {}
    for index, row in enumerate(rows):
        for channel, count in row.items():
            name = channel.decode() if isinstance(channel, bytes) else channel
            week[name] = week.get(name, 0) + int(count)
            if index == 0:
                today[name] = int(count)
    return {"today": today, "week": week}


def throttle_public(kind: str, client: str) -> None:
    """Refuse (429) the ``PUBLIC_SUBMIT_PER_HOUR``+1-th submission of a kind from a client."""
    limit = current_app.config["PUBLIC_SUBMIT_PER_HOUR"]
    key = f"hotline:public:{kind}:{client}"
    try:
        pipe = get_redis().pipeline()
        pipe.set(key, 0, ex=3600, nx=True)
        pipe.incr(key)
        count = pipe.execute()[1]
    except redis.RedisError as exc:
        log.warning("public submission throttle unavailable: %s", exc)
        return
    if count > limit:
        raise TooManyAttempts("提交过于频繁，请稍后再试", retry_after=3600)


def use_token_once(token_id: str, ttl: int) -> bool:
    """Remember a challenge token as used; False when it was used before (a replay)."""
    try:
        return bool(get_redis().set(f"hotline:challenge:used:{token_id}", 1, nx=True, ex=ttl))
    except redis.RedisError as exc:
        log.warning("challenge replay check unavailable: %s", exc)
        return True


def token_used(token_id: str) -> bool:
    """True when a challenge token has been answered before."""
    try:
        return bool(get_redis().exists(f"hotline:challenge:used:{token_id}"))
    except redis.RedisError:
        return False


def first_use_of_nonce(channel: str, nonce: str, fingerprint: str, ttl: int) -> bool:
    """Remember a signed request's nonce for its replay window; False when the nonce was
    seen before with another body (a captured signature replayed). The same body again is the
    platform's own retry and passes: the message id then keeps it from being stored twice."""
    key = f"hotline:nonce:{channel}:{nonce}"
    try:
        client = get_redis()
        if client.set(key, fingerprint, nx=True, ex=ttl):
            return True
        seen = client.get(key)
    except redis.RedisError as exc:
        log.warning("%s nonce memory unavailable: %s", channel, exc)
        return True
    seen = seen.decode() if isinstance(seen, bytes) else seen
    return seen == fingerprint


CHAT_LINES_PER_WINDOW = 10
CHAT_LINE_WINDOW_SECONDS = 10


def throttle_chat_line(conversation: str) -> None:
    """Refuse (429 with Retry-After) a citizen's line beyond ``CHAT_LINES_PER_WINDOW`` in
    ``CHAT_LINE_WINDOW_SECONDS`` on one conversation: a person types slower than that."""
    key = f"hotline:chat:lines:{conversation}"
    try:
        pipe = get_redis().pipeline()
        pipe.set(key, 0, ex=CHAT_LINE_WINDOW_SECONDS, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
        _, count, ttl = pipe.execute()
    except redis.RedisError as exc:
        log.warning("chat line throttle unavailable: %s", exc)
        return
    if count > CHAT_LINES_PER_WINDOW:
        raise TooManyAttempts("发送过于频繁，请稍后再试",
                              retry_after=max(int(ttl), 1) if ttl and ttl > 0 else 1)

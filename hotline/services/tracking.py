"""The citizen's view of a case: found by number and query code, rated, never over-shared.

A wrong code answers exactly as an unknown number does, and repeated wrong guesses from
one client (or against one number) are refused for a while, so codes cannot be brute-forced.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections import defaultdict

import redis
from flask import current_app
from sqlalchemy import select

from hotline.broker import get_redis
from hotline.errors import InvalidInput, NotFound, TooManyAttempts
from hotline.extensions import db
from hotline.models import Case, CaseEvent, Satisfaction
from hotline.services import cases
from hotline.services.validation import choice, optional_text

log = logging.getLogger(__name__)
CITIZEN_CHOICES = ("satisfied", "basically_satisfied", "dissatisfied")
PER_NUMBER_FACTOR = 4  # a number tolerates more failures: many clients may share it
_local_failures: dict[str, list[float]] = defaultdict(list)


def find(number: str, code: str, client: str) -> Case:
    """The case if the code matches; otherwise NotFound, counted against the client."""
    number, code = str(number or "").strip(), str(code or "").strip()
    _check_not_throttled(client, number)
    case = db.session.scalars(select(Case).where(Case.number == number)).first()
    if case is None or not hmac.compare_digest(case.query_code, code):
        _count_failure(client, number)
        raise NotFound("工单号或查询码不正确")
    return case


def public_timeline(case: Case) -> list[CaseEvent]:
    """The events the citizen may see, oldest first."""
    return cases.timeline(case, public_only=True)


def give_feedback(number: str, code: str, satisfaction: str, comment: str | None,
                  client: str) -> Case:
    """The citizen rates the reply: dissatisfied reopens the case (重办)."""
    case = find(number, code, client)
    value = choice(satisfaction, Satisfaction, "satisfaction")
    if value == Satisfaction.NOT_RATED:  # recorded by the follow-up job, never chosen
        raise InvalidInput("「{field}」的值「{value}」无效，可选：{choices}", field="satisfaction",
                           value=satisfaction, choices=", ".join(CITIZEN_CHOICES))
    return cases.rate(case, value, optional_text(comment, "comment", max_chars=500))


def _keys(client: str, number: str) -> tuple[str, str]:
    return f"hotline:track:client:{client}", f"hotline:track:number:{number}"


def _limits() -> tuple[int, int]:
    config = current_app.config
    return config["TRACK_MAX_FAILURES"], config["TRACK_WINDOW_SECONDS"]


def _check_not_throttled(client: str, number: str) -> None:
    limit, window = _limits()
    client_key, number_key = _keys(client, number)
    counts = _read_counts(client_key, number_key, window)
    if counts[0] >= limit or counts[1] >= limit * PER_NUMBER_FACTOR:
        raise TooManyAttempts("查询失败次数过多，请 {minutes} 分钟后再试",
                              minutes=max(1, window // 60), retry_after=window)


def _read_counts(client_key: str, number_key: str, window: int) -> tuple[int, int]:
    try:
        values = get_redis().mget(client_key, number_key)
        return tuple(int(v or 0) for v in values)  # type: ignore[return-value]
    except redis.RedisError:
        log.warning("redis unavailable: tracking throttle falls back to this process")
        now = time.monotonic()
        return tuple(  # type: ignore[return-value]
            sum(1 for t in _local_failures[key] if now - t < window)
            for key in (client_key, number_key))


def _count_failure(client: str, number: str) -> None:
    _, window = _limits()
    keys = _keys(client, number)
    try:
        pipe = get_redis().pipeline()
        for key in keys:
            # the window starts at the first failure (SET NX works on every Redis version)
            pipe.set(key, 0, ex=window, nx=True)
            pipe.incr(key)
        pipe.execute()
    except redis.RedisError:
        for key in keys:
            _local_failures[key].append(time.monotonic())

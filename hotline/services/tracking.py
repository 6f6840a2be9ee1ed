"""The citizen's view of a case: found by number and query code, rated, never over-shared.

A wrong code answers exactly as an unknown number does. A client that keeps guessing waits
longer and longer (``services.throttle``); a number that many clients guess at gives each
client only two tries, so distributed guessing stops while the citizen with the right code
still gets in.
"""

from __future__ import annotations

import hmac
import logging
import math

from flask import current_app
from sqlalchemy import select

from hotline.errors import InvalidInput, NotFound, TooManyAttempts
from hotline.extensions import db
from hotline.models import Case, CaseEvent, Satisfaction
from hotline.services import cases, throttle
from hotline.services.validation import choice, optional_text

log = logging.getLogger(__name__)
CITIZEN_CHOICES = ("satisfied", "basically_satisfied", "dissatisfied")
PER_CLIENT_TRIES_UNDER_ATTACK = 2


def find(number: str, code: str, client: str) -> Case:
    """The case if the code matches; otherwise NotFound, counted against the client."""
    number, code = str(number or "").strip(), normalise_code(code)
    _check_not_throttled(client, number)
    case = db.session.scalars(select(Case).where(Case.number == number)).first()
    if case is None or not hmac.compare_digest(case.query_code.encode(), code.encode()):
        _count_failure(client, number)
        raise NotFound("工单号或查询码不正确")
    return case


def normalise_code(code: object) -> str:
    """A query code as typed: spaces and dashes dropped, letters upper-cased (old six-digit
    codes are unchanged by this)."""
    return "".join(str(code or "").split()).replace("-", "").upper()


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


def _keys(client: str, number: str) -> tuple[str, str, str]:
    return (f"hotline:track:client:{client}", f"hotline:track:number:{number}",
            f"hotline:track:pair:{client}:{number}")


def _rule() -> throttle.Rule:
    """Per client: ``TRACK_MAX_FAILURES`` free, then a wait of one window, doubling on each
    further failure up to eight windows."""
    config = current_app.config
    window = config["TRACK_WINDOW_SECONDS"]
    return throttle.Rule(config["TRACK_MAX_FAILURES"], window, window * 8, window)


def _check_not_throttled(client: str, number: str) -> None:
    """Slow the guessing client down; a number under attack (many wrong codes from many
    clients) gives each client two tries on it, so the rightful citizen still gets in."""
    rule = _rule()
    client_key, number_key, pair_key = _keys(client, number)
    wait = throttle.wait_seconds(client_key, rule)
    if not wait and throttle.failures(number_key) >= int(
            current_app.config["TRACK_NUMBER_MAX_FAILURES"]):
        if throttle.failures(pair_key) >= PER_CLIENT_TRIES_UNDER_ATTACK:
            wait = rule.window
    if wait:
        raise TooManyAttempts("查询失败次数过多，请 {minutes} 分钟后再试",
                              minutes=max(1, math.ceil(wait / 60)), retry_after=wait)


def _count_failure(client: str, number: str) -> None:
    throttle.count_failure(_keys(client, number), _rule().keep)

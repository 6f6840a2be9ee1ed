""""My cases" (我的工单): a citizen proves a mobile number with a one-time SMS code and sees
every case made with it, numbers and query codes included, so a lost code is recovered.

A code is six digits, valid for ``OTP_TTL_SECONDS`` (5 minutes), used once, and dies after
:data:`MAX_TRIES` wrong tries; only keyed hashes of the number and the code are stored.
Asking for codes is throttled per number and per client (``services.throttle``), and so are
wrong codes. The answer to a request never says whether the number has cases.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from hotline import phones
from hotline.errors import InvalidInput, TooManyAttempts
from hotline.extensions import db
from hotline.i18n import known_language
from hotline.models import Case, CaseStatus, Citizen, TrackCode, utcnow
from hotline.services import links, outbox, throttle

MAX_TRIES = 5
#: one code a minute per number, the wait doubling with each further request (up to an
#: hour); a client may ask for five numbers' codes before it waits
SEND_PER_NUMBER = throttle.Rule(free=1, base=60, max_delay=3600, window=3600)
SEND_PER_CLIENT = throttle.Rule(free=5, base=60, max_delay=3600, window=3600)
#: wrong codes: five per number and ten per client free within 15 minutes
WRONG_PER_NUMBER = throttle.Rule(free=5, base=300, max_delay=3600, window=900)
WRONG_PER_CLIENT = throttle.Rule(free=10, base=60, max_delay=3600, window=900)

#: cases past their last notice: a language chosen now changes nothing for them
FINISHED = (CaseStatus.CLOSED, CaseStatus.MERGED)


@dataclass(frozen=True)
class MyCase:
    """One of the citizen's cases as the list shows it."""

    number: str
    query_code: str
    status: str
    title: str
    channel: str
    created_at: datetime
    department: str | None
    link: str

    def as_dict(self) -> dict:
        return {"number": self.number, "query_code": self.query_code, "status": self.status,
                "title": self.title, "channel": self.channel,
                "created_at": self.created_at.isoformat(), "department": self.department,
                "link": self.link}


def request_code(phone: object, client: str, *, now: datetime | None = None,
                 language: str | None = None) -> None:
    """Send a one-time code to the mobile number, in the caller's transaction (the outbox
    delivers it after commit, at once, quiet hours or not); throttled per number and per
    client. ``language``: the page's (or the API client's ``Accept-Language``)."""
    now = now or utcnow()
    mobile = _mobile(phone)
    number_key, client_key = f"hotline:otp:send:{_digest('n', mobile)}", \
        f"hotline:otp:send-client:{client}"
    _refuse_if_waiting((number_key, SEND_PER_NUMBER), (client_key, SEND_PER_CLIENT))
    code = f"{secrets.randbelow(10**6):06d}"
    ttl = int(current_app.config["OTP_TTL_SECONDS"])
    row = TrackCode(phone_hash=_digest("n", mobile), code_hash=_digest("c", mobile, code),
                    created_at=now, expires_at=now + timedelta(seconds=ttl))
    db.session.add(row)
    db.session.flush()
    minutes = max(1, ttl // 60)
    text = (f"[12345 Hotline] Your code to list your cases is {code}. It is valid for "
            f"{minutes} minutes and works once. If you did not ask for it, ignore this message."
            if known_language(language) == "en" else
            f"【12345热线】您查询工单的验证码为 {code}，{minutes} 分钟内有效，"
            "仅可使用一次。如非本人操作，请忽略本短信。")
    outbox.enqueue("sms", mobile, text,
                   template="otp", data={"purpose": "my_cases"},
                   idempotency_key=f"otp:{row.id}", reply_now=True)
    throttle.count_failure([number_key], SEND_PER_NUMBER.keep)
    throttle.count_failure([client_key], SEND_PER_CLIENT.keep)


def verify(phone: object, otp: object, client: str, *, now: datetime | None = None,
           language: str | None = None) -> list[MyCase]:
    """The number's cases when the code is right, unexpired and unused (it is used up
    now); otherwise InvalidInput on ``otp``, counted against the number and the client.
    The citizen proved the number is theirs: their open cases' notices follow ``language``
    (the page's) from now on."""
    now = now or utcnow()
    mobile = _mobile(phone)
    typed = "".join(str(otp or "").split())
    if not typed:
        raise InvalidInput("「{field}」不能为空", field="otp")
    keys = (f"hotline:otp:wrong:{_digest('n', mobile)}", f"hotline:otp:wrong-client:{client}")
    _refuse_if_waiting((keys[0], WRONG_PER_NUMBER), (keys[1], WRONG_PER_CLIENT))
    row = db.session.scalars(
        select(TrackCode).where(TrackCode.phone_hash == _digest("n", mobile),
                                TrackCode.used_at.is_(None), TrackCode.expires_at > now,
                                TrackCode.failures < MAX_TRIES)
        .order_by(TrackCode.id.desc()).limit(1)).first()
    if row is None or not hmac.compare_digest(row.code_hash, _digest("c", mobile, typed)):
        if row is not None:
            row.failures += 1
        throttle.count_failure(keys, WRONG_PER_NUMBER.keep)
        raise InvalidInput("验证码不正确或已失效，请重新获取", field="otp")
    used = db.session.execute(
        update(TrackCode).where(TrackCode.id == row.id, TrackCode.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    if used.rowcount != 1:  # another request used it a moment ago
        raise InvalidInput("验证码不正确或已失效，请重新获取", field="otp")
    throttle.clear(keys[0])
    _remember_language(mobile, known_language(language))
    return cases_of(mobile)


def _remember_language(mobile: str, language: str | None) -> None:
    if language is None:
        return
    owned = select(Case.id).join(Citizen, Case.citizen_id == Citizen.id).where(
        Citizen.phone == mobile).scalar_subquery()
    db.session.execute(
        update(Case).where(Case.id.in_(owned), Case.status.not_in(FINISHED),
                           or_(Case.language.is_(None), Case.language != language))
        .values(language=language).execution_options(synchronize_session=False))


def cases_of(mobile: str) -> list[MyCase]:
    """Every case made with this mobile number, newest first."""
    rows = db.session.scalars(
        select(Case).join(Citizen, Case.citizen_id == Citizen.id)
        .where(Citizen.phone == mobile).order_by(Case.id.desc()).limit(200))
    return [MyCase(c.number, c.query_code, c.status.value, c.title, c.channel.value,
                   c.created_at, c.department.name if c.department else None,
                   links.tracking_url(c)) for c in rows]


def _mobile(phone: object) -> str:
    text = str(phone or "").strip() if isinstance(phone, str | int) else ""
    if not text:
        raise InvalidInput("「{field}」不能为空", field="phone")
    mobile = phones.mobile(text[:40])
    if mobile is None:
        raise InvalidInput("「{field}」须为手机号码", field="phone")
    return mobile


def _refuse_if_waiting(*checks: tuple[str, throttle.Rule]) -> None:
    wait = max(throttle.wait_seconds(key, rule) for key, rule in checks)
    if wait:
        raise TooManyAttempts("操作过于频繁，请 {minutes} 分钟后再试",
                              minutes=max(1, math.ceil(wait / 60)), retry_after=wait)


def _digest(*parts: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, "\x1f".join(("my_cases", *parts)).encode(), hashlib.sha256).hexdigest()

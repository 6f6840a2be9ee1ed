"""Idempotency keys of the integration API, kept in the database (a Redis restart must not
make a retried registration a second case).

The edge reserves a key before the work and stores the answer after it, each in its own unit
of work; these functions only read and write rows and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from hotline.errors import Conflict, InvalidInput
from hotline.extensions import db
from hotline.models import Case, IdempotentRequest, utcnow

KEEP = timedelta(hours=24)
# A reservation without an answer this old belongs to a process that died mid-request: the
# key may be used again (a request is never that slow; the web timeout is far shorter).
ABANDONED = timedelta(minutes=5)
KEY_MAX = 200


class KeyReused(InvalidInput):
    """The key was first used for a different request."""

    code = "idempotency_key_reused"


class KeyInUse(Conflict):
    """The first request with this key is still running."""

    code = "idempotency_key_in_use"


@dataclass(frozen=True)
class Answer:
    """What the first request with a key answered."""

    status: int
    body: str


def check_key(key: str) -> str:
    """A usable key: 1 to 200 visible ASCII characters."""
    key = key.strip()
    if not key or len(key) > KEY_MAX or not key.isascii() or not key.isprintable():
        raise InvalidInput("Idempotency-Key 须为 1 到 {limit} 个可见 ASCII 字符",
                           field="Idempotency-Key", limit=KEY_MAX)
    return key


def reserve(scope: str, key: str, fingerprint: str, *,
            now: datetime | None = None) -> Answer | None:
    """Claim ``key`` for a request; or the first answer when the same request came before.

    Raises :class:`KeyReused` for a different request under a used key and :class:`KeyInUse`
    while the first request still runs. A key older than 24 hours is claimed afresh."""
    now = now or utcnow()
    row = _row(scope, key)
    if row is not None and _expired(row, now):
        db.session.delete(row)
        db.session.flush()
        row = None
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(IdempotentRequest(scope=scope, key=key,
                                                 fingerprint=fingerprint, created_at=now))
            return None
        except IntegrityError:  # a concurrent request claimed it first
            row = _row(scope, key)
            if row is None:
                raise
    if row.fingerprint != fingerprint:
        raise KeyReused("该 Idempotency-Key 已用于另一个请求")
    if row.status is None:
        raise KeyInUse("使用该 Idempotency-Key 的请求仍在处理，请稍后重试")
    return Answer(row.status, row.body or "")


def record(scope: str, key: str, status: int, body: str) -> None:
    """Keep the answer of the request that holds ``key``."""
    row = _row(scope, key)
    if row is not None:
        row.status, row.body = status, body


def release(scope: str, key: str) -> None:
    """Give the key up: the request failed and wrote nothing, so a retry may run again."""
    db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.scope == scope,
                                                       IdempotentRequest.key == key))


def purge(now: datetime | None = None) -> int:
    """Forget keys older than 24 hours (the sweep calls this); returns how many."""
    cutoff = (now or utcnow()) - KEEP
    result = db.session.execute(delete(IdempotentRequest)
                                .where(IdempotentRequest.created_at < cutoff))
    return result.rowcount or 0


def registered_case(channel: str, external_ref: str | None) -> Case | None:
    """The case a channel already registered under ``external_ref``, if any."""
    if not external_ref:
        return None
    return db.session.scalar(select(Case).where(Case.channel == channel,
                                                Case.external_ref == external_ref.strip()))


def _row(scope: str, key: str) -> IdempotentRequest | None:
    return db.session.scalar(select(IdempotentRequest).where(
        IdempotentRequest.scope == scope, IdempotentRequest.key == key)
        .execution_options(populate_existing=True))


def _expired(row: IdempotentRequest, now: datetime) -> bool:
    if now - row.created_at >= KEEP:
        return True
    return row.status is None and now - row.created_at >= ABANDONED

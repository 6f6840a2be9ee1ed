"""Personal data on the staff side: who may see what, and the record of every full read.

A case page and the API show a citizen's phone number masked; the full number is given only
on an explicit reveal, and each reveal is recorded (who, when, which case, from where) in the
caller's transaction. Department staff never see a case's query code: with it they could
rate their own work as the citizen.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from hotline.errors import NotFound
from hotline.extensions import db
from hotline.models import PersonalDataRead, Role, utcnow
from hotline.services import cases
from hotline.services.actors import Actor

MAX_READS_PAGE = 500


def sees_query_code(actor: Actor) -> bool:
    """Whether the actor may see a case's query code: the centre yes, departments never."""
    return actor.kind == "system" or actor.role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


def reveal_phone(actor: Actor, number: str, *, via: str, client: str | None,
                 now: datetime | None = None) -> str:
    """The citizen's full phone number on a case the actor may see, recorded as read."""
    case = cases.get_case(actor, number)
    phone = case.citizen.phone if case.citizen else None
    if not phone:
        raise NotFound("该工单没有市民电话")
    db.session.add(PersonalDataRead(
        at=now or utcnow(), user_id=actor.user_id, actor_label=actor.label, case_id=case.id,
        what="phone", via=via, client=(client or "")[:64] or None))
    return phone


def reads(*, limit: int = 100, before_id: int | None = None) -> list[PersonalDataRead]:
    """The latest reads first, ``limit`` at a time, older than ``before_id`` when given."""
    query = select(PersonalDataRead).order_by(PersonalDataRead.id.desc())
    if before_id is not None:
        query = query.where(PersonalDataRead.id < before_id)
    return list(db.session.scalars(query.limit(min(max(limit, 1), MAX_READS_PAGE))))

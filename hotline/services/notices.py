"""Notices for staff: deadline warnings, overdue marks and escalations waiting to be read."""

from __future__ import annotations

from sqlalchemy import func, select, update

from hotline.extensions import db
from hotline.models import Notification, Role, utcnow
from hotline.services.actors import Actor


def _visible(actor: Actor):
    query = select(Notification).where(Notification.read_at.is_(None))
    if actor.role == Role.DEPARTMENT:
        return query.where(Notification.department_id == actor.department_id)
    return query.where(Notification.role == (actor.role.value if actor.role else None))


def unread(actor: Actor, limit: int = 20) -> list[Notification]:
    """The newest unread notices for the actor's department (staff) or role (supervisors)."""
    return list(db.session.scalars(_visible(actor).order_by(Notification.id.desc())
                                   .limit(limit)))


def latest(actor: Actor) -> tuple[int, int]:
    """(how many unread, the newest unread id): what a page's poll compares to know whether
    its notices changed."""
    visible = _visible(actor).subquery()
    row = db.session.execute(select(func.count(visible.c.id), func.max(visible.c.id))).one()
    return int(row[0] or 0), int(row[1] or 0)


def mark_read(actor: Actor) -> int:
    """Mark everything the actor can see as read, in the caller's transaction; returns how
    many."""
    ids = [n.id for n in db.session.scalars(_visible(actor))]
    if ids:
        db.session.execute(update(Notification).where(Notification.id.in_(ids))
                           .values(read_at=utcnow()))
    return len(ids)

"""Leaders' mailboxes (领导信箱): the mayor's, the party secretary's, officials' and department
heads' mailboxes, kept by admins.

A letter keeps the mailbox it was written to and goes first to that mailbox's office (a
department): the office answers it, or forwards it to the handling department as an agent
dispatches. Statistics break volume and satisfaction down by mailbox, and each mailbox's
public page shows its recent answered letters whose writers agreed to publication
(公开答复), with personal data removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import case as sql_case
from sqlalchemy import func, select

from hotline import phones
from hotline.errors import Conflict, Forbidden, InvalidInput, NotFound
from hotline.extensions import db
from hotline.models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    LeaderMailbox,
    MailboxKind,
    Satisfaction,
    utcnow,
)
from hotline.services import cases, directory
from hotline.services.actors import Actor
from hotline.services.validation import choice, optional_text, required_text, whole_number

CODE_RE = re.compile(r"[A-Za-z0-9_\-]{1,40}")
ANSWERED = (CaseStatus.REPLIED, CaseStatus.CLOSED)
A = CaseAction


# ---------------------------------------------------------------- the list admins keep

def list_mailboxes(*, active_only: bool = False) -> list[LeaderMailbox]:
    """The mailboxes in the order the form and the public pages list them."""
    query = select(LeaderMailbox).order_by(LeaderMailbox.position, LeaderMailbox.id)
    if active_only:
        query = query.where(LeaderMailbox.active.is_(True))
    return list(db.session.scalars(query))


def search_mailboxes(text: object = None, *, page: int = 1,
                     size: int = 50) -> tuple[list[LeaderMailbox], int]:
    """One page of the mailboxes whose code, name or holder contains ``text`` (all when
    empty), in list order, and how many match: a city keeps thousands."""
    query = select(LeaderMailbox)
    needle = str(text or "").strip()[:100]
    if needle:
        like = f"%{needle.replace('%', '').replace('_', '')}%"
        query = query.where(LeaderMailbox.code.ilike(like) | LeaderMailbox.name.ilike(like)
                            | LeaderMailbox.holder.ilike(like))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(LeaderMailbox.position, LeaderMailbox.id)
                              .offset((max(page, 1) - 1) * size).limit(size))
    return list(rows), int(total)


def find(code: object) -> LeaderMailbox | None:
    """An active mailbox by its code, or None."""
    return db.session.scalars(select(LeaderMailbox).where(
        LeaderMailbox.code == str(code or "").strip()[:40],
        LeaderMailbox.active.is_(True))).first()


def mailbox_by_code(code: object, *, field: str = "mailbox") -> LeaderMailbox:
    """An active mailbox by its code, or InvalidInput on ``field``."""
    mailbox = find(code)
    if mailbox is None:
        raise InvalidInput("「{field}」的值「{value}」无效", field=field, value=str(code)[:40])
    return mailbox


@dataclass(frozen=True)
class MailboxFields:
    """A mailbox's fields, checked: what :func:`save_mailbox` and the import write."""

    code: str
    name: str
    holder: str | None
    kind: MailboxKind
    office_id: int
    intro: str | None
    position: int
    active: bool


def check_mailbox(code: object, *, name: object, holder: object, kind: object,
                  office: object, intro: object = None, position: object = 0,
                  active: bool = True) -> MailboxFields:
    """The fields of one mailbox, checked (InvalidInput names the field that is wrong)."""
    code = required_text(code, "code", max_chars=40)
    if not CODE_RE.fullmatch(code):
        raise InvalidInput("「{field}」只能包含字母、数字、下划线和连字符", field="code")
    if not office:
        raise InvalidInput("「{field}」不能为空", field="office")
    office_department = directory.department_by_code(office, active_only=True, field="office")
    return MailboxFields(
        code=code, name=required_text(name, "name", max_chars=100),
        holder=optional_text(holder, "holder", max_chars=100),
        kind=choice(kind or None, MailboxKind, "kind", MailboxKind.OFFICIAL),
        office_id=office_department.id,
        intro=optional_text(intro, "intro", max_chars=1000),
        position=whole_number(position or 0, "position", minimum=0, maximum=100000),
        active=bool(active))


def save_mailbox(code: object, *, name: object, holder: object, kind: object,
                 office: object, intro: object = None, position: object = 0,
                 active: bool = True) -> LeaderMailbox:
    """Add a mailbox, or change the one with this code, in the caller's transaction."""
    fields = check_mailbox(code, name=name, holder=holder, kind=kind, office=office,
                           intro=intro, position=position, active=active)
    mailbox = db.session.scalars(select(LeaderMailbox).where(
        LeaderMailbox.code == fields.code)).first()
    write_mailbox(mailbox, fields)
    db.session.flush()
    return db.session.scalars(select(LeaderMailbox).where(
        LeaderMailbox.code == fields.code)).one()


def write_mailbox(mailbox: LeaderMailbox | None, fields: MailboxFields) -> bool:
    """Give ``mailbox`` (a new one when None) these fields; False when it had them all."""
    if mailbox is None:
        mailbox = LeaderMailbox(code=fields.code)
        db.session.add(mailbox)
    elif all(getattr(mailbox, name) == getattr(fields, name) for name in _WRITTEN):
        return False
    for name in _WRITTEN:
        setattr(mailbox, name, getattr(fields, name))
    return True


_WRITTEN = ("name", "holder", "kind", "office_id", "intro", "position", "active")


# ---------------------------------------------------------------- letters

def address_letter(case: Case, mailbox: LeaderMailbox, *, publish: bool, actor: Actor,
                   now: datetime | None = None) -> None:
    """Keep the addressee and the writer's consent on a new case, and send it to the
    mailbox's office first (in the caller's transaction)."""
    now = now or utcnow()
    case.mailbox = mailbox
    case.mailbox_id = mailbox.id
    case.publish_consent = bool(publish)
    if case.status == CaseStatus.REGISTERED and case.department_id is None:
        cases.dispatch_to(case, actor, mailbox.office, now=now,
                          note=f"来信寄给{mailbox.name}，先由{mailbox.office.name}阅处")
        cases.announce(case, CaseAction.DISPATCH)


def may_forward(actor: Actor, case: Case) -> bool:
    """Whether the actor is the office of the mailbox the letter was written to, holding it."""
    return (case.mailbox is not None and actor.department_id is not None
            and case.department_id == case.mailbox.office_id == actor.department_id
            and case.status in (CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS))


def forward(actor: Actor, number: str, department: object, note: object = None, *,
            now: datetime | None = None) -> Case:
    """The mailbox's office passes the letter to the handling department (like an agent's
    dispatch, with its event), in the caller's transaction."""
    now = now or utcnow()
    case = cases.get_case(actor, number)
    if case.mailbox is None:
        raise Conflict("该工单不是领导信箱来信")
    if not may_forward(actor, case):
        raise Forbidden("只有信箱的阅处单位可以转办该来信")
    if not department:
        raise InvalidInput("「{field}」不能为空", field="department")
    target = directory.routable_department(department)
    if target.id == case.department_id:
        raise InvalidInput("工单已在该单位办理", field="department")
    cases.dispatch_to(case, actor, target, now=now,
                      note=optional_text(note, "note", max_chars=cases.NOTE_MAX))
    case.updated_at = now
    cases.announce(case, CaseAction.DISPATCH)
    return case


# ---------------------------------------------------------------- statistics

@dataclass(frozen=True)
class MailboxStats:
    """Volume and satisfaction of one mailbox over a period: letters written to it, those
    answered, and its rated letters by their worst rating (as the dashboard counts)."""

    code: str
    name: str
    letters: int
    answered: int
    rated: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    office: str = ""
    weight: float = 1.0  # how much a 基本满意 counts (HOTLINE_BASICALLY_SATISFIED_WEIGHT)

    @property
    def satisfaction_rate(self) -> float | None:
        """(satisfied + weight × basically satisfied) / rated, or None with no rating."""
        if not self.rated:
            return None
        return round((self.satisfied + self.weight * self.basically_satisfied) / self.rated, 4)

    def as_dict(self) -> dict:
        return {"mailbox": self.code, "name": self.name, "office": self.office,
                "letters": self.letters, "answered": self.answered, "rated": self.rated,
                "satisfied": self.satisfied,
                "basically_satisfied": self.basically_satisfied,
                "dissatisfied": self.dissatisfied,
                "satisfaction_rate": self.satisfaction_rate}


#: a case rated more than once counts with its worst rating (as the satisfaction rate does)
_WORST_FIRST = (Satisfaction.DISSATISFIED.value, Satisfaction.BASICALLY_SATISFIED.value,
                Satisfaction.SATISFIED.value)


def stats(start: datetime | None = None, end: datetime | None = None, *,
          office_id: int | None = None) -> list[MailboxStats]:
    """Letters written to each mailbox (registered in [start, end)), how many were answered,
    and how their writers rated them: each rated letter once, with its worst rating (a
    dissatisfied one reopens the case, so ratings are read from the feedback events). Every
    mailbox is listed, idle ones with zeros; ``office_id``: only the mailboxes that office
    reads."""
    def period(query):
        if start is not None:
            query = query.where(Case.created_at >= start)
        return query if end is None else query.where(Case.created_at < end)
    volume = period(select(Case.mailbox_id, func.count(Case.id),
                           func.sum(sql_case((Case.answer.is_not(None), 1), else_=0)))
                    .where(Case.mailbox_id.is_not(None)).group_by(Case.mailbox_id))
    rating = CaseEvent.data["satisfaction"].as_string()
    ratings = period(select(Case.mailbox_id, Case.id, rating)
                     .join(CaseEvent, CaseEvent.case_id == Case.id)
                     .where(Case.mailbox_id.is_not(None), CaseEvent.action == A.FEEDBACK)
                     .distinct())
    letters = {row[0]: (int(row[1]), int(row[2] or 0)) for row in db.session.execute(volume)}
    worst: dict[tuple[int, int], str] = {}
    for mailbox_id, case_id, value in db.session.execute(ratings):
        if value not in _WORST_FIRST:
            continue
        key = (mailbox_id, case_id)
        if key not in worst or _WORST_FIRST.index(value) < _WORST_FIRST.index(worst[key]):
            worst[key] = value
    rated: dict[int, dict[str, int]] = {}
    for (mailbox_id, _case_id), value in worst.items():
        counts = rated.setdefault(mailbox_id, {})
        counts[value] = counts.get(value, 0) + 1
    weight = float(current_app.config.get("BASICALLY_SATISFIED_WEIGHT", 1.0))
    rows = []
    for m in list_mailboxes():
        if office_id is not None and m.office_id != office_id:
            continue
        given = rated.get(m.id, {})
        counts = [given.get(value, 0) for value in reversed(_WORST_FIRST)]
        rows.append(MailboxStats(m.code, m.name, *letters.get(m.id, (0, 0)), sum(counts),
                                 *counts, office=m.office.name, weight=weight))
    return rows


# ---------------------------------------------------------------- public answers

@dataclass(frozen=True)
class PublicLetter:
    """An answered letter as the public page shows it: no name, phone or address."""

    number: str
    title: str
    content: str
    answer: str
    department: str | None
    written_at: datetime
    answered_at: datetime | None


def public_page(code: str) -> LeaderMailbox:
    """An active mailbox for its public page, or NotFound."""
    mailbox = find(code)
    if mailbox is None:
        raise NotFound("信箱 {code} 不存在", code=str(code)[:40])
    return mailbox


def published_letters(mailbox: LeaderMailbox, *, limit: int = 10) -> list[PublicLetter]:
    """The mailbox's latest answered letters whose writers agreed to publish them."""
    rows = db.session.scalars(
        select(Case).where(Case.mailbox_id == mailbox.id, Case.publish_consent.is_(True),
                           Case.status.in_(ANSWERED), Case.answer.is_not(None))
        .order_by(Case.replied_at.desc(), Case.id.desc()).limit(limit))
    return [_public(case) for case in rows]


def _public(case: Case) -> PublicLetter:
    return PublicLetter(case.number, redact(case.title, case), redact(case.content, case),
                        redact(case.answer or "", case),
                        case.department.name if case.department else None,
                        case.created_at, case.replied_at)


def redact(text: str, case: Case) -> str:
    """A text with the writer's personal data removed: phone numbers masked, their name,
    phone, contact and address replaced, e-mail addresses and ID numbers hidden."""
    text = text or ""
    citizen = case.citizen
    for value in (citizen.name if citizen else None, citizen.phone if citizen else None,
                  citizen.contact if citizen else None, case.address):
        if value and len(value.strip()) >= 2:
            text = text.replace(value.strip(), "＊＊")
    text = phones.mask_in_text(text)
    text = re.sub(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", "＊＊", text)
    return re.sub(r"\b\d{17}[\dXx]\b", "＊＊", text)

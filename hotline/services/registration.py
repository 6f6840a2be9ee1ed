"""Registration: a request from any channel becomes a numbered case.

:func:`register_case` checks the request, gives it a number and query code, dispatches it at
once when a department is named, and records a routing correction when the agent or system
chose other than the suggestion it saw, so every path (console, API, channels) keeps it. All
in the caller's transaction; the actions that follow live in :mod:`hotline.services.cases`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from hotline.errors import Conflict, Forbidden, InvalidInput
from hotline.extensions import db
from hotline.i18n import known_language
from hotline.models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    Channel,
    Citizen,
    CorrectionSource,
    RequestType,
    Urgency,
    utcnow,
)
from hotline.services import case_rows, cases, corrections, directory, involvement, places, routing
from hotline.services.actors import Actor
from hotline.services.numbering import new_query_code, next_case_number
from hotline.services.validation import choice, optional_text, phone_number, required_text

TITLE_MAX = 200
CODE_MAX = 40  # a category or department code


@dataclass
class NewCase:
    """A request as it arrives from any channel, before it is checked."""

    content: Any
    channel: Any = Channel.PHONE.value
    title: Any = None
    citizen_name: Any = None
    citizen_phone: Any = None
    citizen_contact: Any = None
    address: Any = None
    request_type: Any = None
    urgency: Any = None
    category: Any = None
    department: Any = None
    #: codes of the assisting departments (协办); the named ``department`` leads
    assist: Any = None
    external_ref: Any = None
    recording_ref: Any = None
    #: a device's position (latitude, longitude), e.g. a WeChat location or Open311 lat/long:
    #: the case lands on the map there, exactly
    position: Any = None
    #: the routing the person (or system) was shown before choosing; when the chosen
    #: category or department differs, the registration records a correction
    suggested_category: Any = None
    suggested_department: Any = None
    #: where the correction came from: ``intake`` for a person registering a request
    correction_source: CorrectionSource = CorrectionSource.INTAKE
    #: the citizen's language (``zh_CN`` or ``en``: the page, chat or message they wrote
    #: in); their notices are written in it. Anything else: the deployment's language
    language: Any = None


def register_case(actor: Actor, new: NewCase, *, now: datetime | None = None) -> Case:
    """Check a new request, give it a number and query code, dispatch it if a department is
    named, and record a routing correction when the choice differs from the suggestion the
    caller saw; all in the caller's transaction."""
    if not (actor.kind == "system" or actor.has_role(*cases.CENTRE)):
        raise Forbidden("只有话务员、督办员或管理员可以登记工单")
    now = now or utcnow()
    fields = _checked_new_case(new)
    _refuse_second_registration(fields["channel"], fields["external_ref"])
    department = directory.routable_department(new.department) if new.department else None
    assist = involvement.checked_assist(new.assist, department)
    # Nothing is written until the case is complete: one INSERT, flushed at the end, carries
    # the case as it ends up (registered, or dispatched at once) instead of an INSERT then
    # an UPDATE, and gives the caller its id. The number is taken last, so a failure in the
    # routing or deadline work above does not use one up.
    with db.session.no_autoflush:
        case, registered = _insert_case(actor, fields, now)
        events = [registered]
        if department is not None:
            events.append(cases.dispatch_to(case, actor, department, note=None, now=now,
                                            assist=assist))
        case.number = next_case_number(db.session, now, current_app.config["TIMEZONE"])
    # the rows as they stand, one INSERT a table (the ORM's flush for any other shape)
    case_rows.write_registration(db.session(), case, events)
    _record_intake_correction(case, actor, fields, new.correction_source)
    cases.remember_registration(case, events)
    cases.announce(case, CaseAction.REGISTER)
    return case


def _record_intake_correction(case: Case, actor: Actor, fields: dict[str, Any],
                              source: CorrectionSource) -> None:
    """The registration went elsewhere than the suggestion shown: keep it for training."""
    suggested = {"suggested_category": fields["suggested_category"],
                 "suggested_department": fields["suggested_department"]}
    if not any(suggested.values()):
        return
    corrections.record_correction(
        case.id, chosen_category=case.category.code if case.category else None,
        chosen_department=case.department.code if case.department else None,
        source=source, actor_id=actor.user_id, **suggested)


def _refuse_second_registration(channel: Channel, external_ref: str | None) -> None:
    """A channel's reference (a call id) registers one case (a unique index holds it)."""
    if external_ref and db.session.scalar(select(Case.number).where(
            Case.channel == channel, Case.external_ref == external_ref)) is not None:
        raise Conflict("该来源编号已登记过工单", field="external_ref")


def _checked_new_case(new: NewCase) -> dict[str, Any]:
    max_chars = current_app.config["CONTENT_MAX_CHARS"]
    content = required_text(new.content, "content", max_chars=max_chars)
    title = optional_text(new.title, "title", max_chars=TITLE_MAX) or _title_from(content)
    category = directory.routable_category(new.category) if new.category else None
    return {
        "content": content,
        "title": title,
        "channel": choice(new.channel, Channel, "channel", Channel.PHONE),
        "request_type": choice(new.request_type, RequestType, "type", RequestType.CONSULTATION),
        "urgency": choice(new.urgency, Urgency, "urgency", Urgency.NORMAL),
        "address": optional_text(new.address, "address", max_chars=300),
        "category": category,
        "citizen_name": optional_text(new.citizen_name, "name", max_chars=100),
        "citizen_phone": phone_number(new.citizen_phone),
        "citizen_contact": optional_text(new.citizen_contact, "contact", max_chars=200),
        "external_ref": optional_text(new.external_ref, "external_ref", max_chars=120),
        "recording_ref": optional_text(new.recording_ref, "recording_ref", max_chars=200),
        "position": _position(new.position),
        "suggested_category": optional_text(new.suggested_category, "suggested_category",
                                            max_chars=CODE_MAX),
        "suggested_department": optional_text(new.suggested_department,
                                              "suggested_department", max_chars=CODE_MAX),
        "language": known_language(new.language),
    }


def _title_from(content: str) -> str:
    first_line = content.splitlines()[0]
    return first_line[:30] + ("…" if len(first_line) > 30 else "")


def _insert_case(actor: Actor, fields: dict[str, Any],
                 now: datetime) -> tuple[Case, CaseEvent]:
    citizen = _citizen_for(fields)
    place = routing.locate(fields["address"], fields["content"])
    fix = _fix(fields, place)
    if fix is not None and fix.district and (place is None or fields["position"]):
        place = routing.Place(district=fix.district, street=fix.street)
    case = Case(
        query_code=new_query_code(),
        channel=fields["channel"],
        title=fields["title"],
        content=fields["content"],
        address=fields["address"],
        district=place.district if place else None,
        street=place.street if place else None,
        request_type=fields["request_type"],
        urgency=fields["urgency"],
        status=CaseStatus.REGISTERED,
        category=fields["category"],
        citizen=citizen,
        created_by_id=actor.user_id,
        external_ref=fields["external_ref"],
        recording_ref=fields["recording_ref"],
        created_at=now,
        updated_at=now,
        language=fields["language"],
    )
    places.place_case(case, fix)
    db.session.add(case)
    # no flush: the event points at the case object and gets its id when both are written
    return case, cases.record(case, actor, CaseAction.REGISTER, from_status=None, now=now)


def _position(value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise InvalidInput("「{field}」必须是数字", field="lat")
    return places.checked_position(*value)


def _fix(fields: dict[str, Any], place: routing.Place | None):
    """The case's point: a device's position exactly, else from the address and text (in
    the district and street routing found, when it found them)."""
    if fields["position"] is not None:
        return places.at(*fields["position"])
    return places.fix_for(fields["address"], fields["content"],
                          district=place.district if place else None,
                          street=place.street if place else None)


def _citizen_for(fields: dict[str, Any]) -> Citizen | None:
    name, phone = fields["citizen_name"], fields["citizen_phone"]
    contact = fields["citizen_contact"]
    if not (name or phone or contact):
        return None
    citizen = Citizen(name=name, phone=phone, contact=contact)
    db.session.add(citizen)
    return citizen

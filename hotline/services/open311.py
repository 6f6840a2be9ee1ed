"""Open311 GeoReport v2 over the hotline: public services, new requests, public look-ups.

Services are the active leaf categories; a service request is a case, its id the case
number. What GeoReport shows is public: never the citizen, the phone or internal notes.
States map onto GeoReport's two: the open group is ``open``; replied, closed and merged are
``closed`` (the department has answered).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from hotline.errors import InvalidInput, NotFound
from hotline.extensions import db
from hotline.models import Case, Category, utcnow
from hotline.models.enums import OPEN_STATUSES, Channel, GeoAccuracy
from hotline.services import directory, registration
from hotline.services.actors import Actor

DEFAULT_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000


def status_of(case: Case) -> str:
    """GeoReport's status of a case: open or closed."""
    return "open" if case.status in OPEN_STATUSES else "closed"


def public_services() -> list[Category]:
    """The categories a request may name: active leaves."""
    return directory.list_categories(leaves_only=True, active_only=True)


def service(code: str) -> Category:
    """One public service by its code, or 404."""
    for category in public_services():
        if category.code == code:
            return category
    raise NotFound("服务类型不存在：{code}", code=code)


@dataclass(frozen=True)
class RequestFilter:
    """The filters of ``GET requests``; all optional, as plain strings from the query."""

    service_request_id: str | None = None
    service_code: str | None = None
    status: str | None = None
    start_date: str | None = None
    end_date: str | None = None


def find_requests(flt: RequestFilter, *, now: datetime | None = None) -> list[Case]:
    """Cases matching GeoReport's filters, newest first: by ids (which overrides the rest),
    else by service codes, statuses and a window of at most 90 days (the last 90 by default)."""
    query = select(Case).options(joinedload(Case.category), joinedload(Case.department))
    if flt.service_request_id:
        numbers = _listed(flt.service_request_id)
        query = query.where(Case.number.in_(numbers))
    else:
        query = _filtered(query, flt, now or utcnow())
    return list(db.session.scalars(query.order_by(Case.id.desc()).limit(MAX_RESULTS)))


def _filtered(query, flt: RequestFilter, now: datetime):
    if flt.service_code:
        query = query.join(Category, Case.category_id == Category.id).where(
            Category.code.in_(_listed(flt.service_code)))
    if flt.status:
        wanted = set(_listed(flt.status))
        if not wanted <= {"open", "closed"}:
            raise InvalidInput("「{field}」的值「{value}」无效，可选：{choices}", field="status",
                               value=flt.status, choices="open, closed")
        if wanted == {"open"}:
            query = query.where(Case.status.in_(OPEN_STATUSES))
        elif wanted == {"closed"}:
            query = query.where(Case.status.not_in(OPEN_STATUSES))
    end = _moment(flt.end_date, "end_date") or now
    start = _moment(flt.start_date, "start_date") or end - DEFAULT_WINDOW
    if end < start:
        raise InvalidInput("「{field}」不能早于开始日期", field="end_date")
    return query.where(Case.created_at >= start, Case.created_at <= end)


def find_request(number: str) -> Case:
    """One case by its number, or 404."""
    found = db.session.scalars(select(Case).where(Case.number == number)).first()
    if found is None:
        raise NotFound("工单不存在：{number}", number=number)
    return found


@dataclass(frozen=True)
class NewRequest:
    """A GeoReport ``POST requests`` as received (plain strings)."""

    service_code: str | None
    description: str | None
    lat: str | None = None
    long: str | None = None
    address_string: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    email: str | None = None


def register(actor: Actor, new: NewRequest) -> Case:
    """Register the request as a case in the caller's transaction (the token's account must
    be allowed to register cases); the category comes from ``service_code``."""
    if not new.service_code:
        raise InvalidInput("「{field}」不能为空", field="service_code")
    category = service(new.service_code)
    name = " ".join(p for p in (new.first_name, new.last_name) if p) or None
    address = _address(new)
    position = None
    if new.lat and new.long:
        position = (_coordinate(new.lat, "lat", 90), _coordinate(new.long, "long", 180))
    return registration.register_case(actor, registration.NewCase(
        content=new.description, channel=Channel.API.value, address=address,
        category=category.code, citizen_name=name, citizen_phone=new.phone,
        citizen_contact=new.email, external_ref="open311", position=position))


def _address(new: NewRequest) -> str | None:
    if new.address_string:
        return new.address_string
    if new.lat and new.long:
        lat, long = _coordinate(new.lat, "lat", 90), _coordinate(new.long, "long", 180)
        return f"{lat:.6f},{long:.6f}"
    raise InvalidInput("需要位置：请给出 lat/long 或 address_string", field="address_string")


def _coordinate(value: str, field: str, limit: int) -> float:
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput("「{field}」必须是数字", field=field) from None
    if not -limit <= number <= limit:
        raise InvalidInput("「{field}」必须在 {min} 到 {max} 之间", field=field,
                           min=-limit, max=limit)
    return number


def coordinates(case: Case) -> tuple[float, float] | None:
    """The case's exact point on the map (a position a request gave, or a named place),
    else the position an older request's address held."""
    if case.lat is not None and case.geo_accuracy == GeoAccuracy.EXACT:
        return (case.lat, case.lon)
    lat, sep, long = (case.address or "").partition(",")
    try:
        return (float(lat), float(long)) if sep else None
    except ValueError:
        return None


def _listed(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _moment(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("「{field}」必须是 W3C 日期时间，例如 2010-01-01T00:00:00Z",
                           field=field) from None
    if moment.tzinfo is None:
        raise InvalidInput("「{field}」必须是 W3C 日期时间，例如 2010-01-01T00:00:00Z",
                           field=field)
    return moment


def public_fields(case: Case) -> dict[str, Any]:
    """The parts of a case anyone may read, before GeoReport's naming."""
    return {"number": case.number, "status": status_of(case), "title": case.title,
            "category": case.category, "department": case.department,
            "district": case.district, "street": case.street, "answer": case.answer,
            "created_at": case.created_at, "updated_at": case.updated_at,
            "deadline": case.handle_deadline, "position": coordinates(case)}

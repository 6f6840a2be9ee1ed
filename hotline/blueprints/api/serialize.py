"""The JSON shape of cases and events in the API; the phone number is always masked (the full
number only from the recorded reveal), the query code only for the centre."""

from __future__ import annotations

from typing import Any

from hotline import phones
from hotline.models import Case, CaseEvent, CaseStatus


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def case_summary(case: Case) -> dict[str, Any]:
    """The fields of a case that lists need."""
    return {
        "number": case.number,
        "status": case.status.value,
        "channel": case.channel.value,
        "title": case.title,
        "type": case.request_type.value,
        "urgency": case.urgency.value,
        "category": case.category.code if case.category else None,
        "department": case.department.code if case.department else None,
        "assisting": [d.code for d in case.assisting],
        "via_department": case.via_department.code if case.via_department else None,
        "district": case.district,
        "created_at": _iso(case.created_at),
        "sign_deadline": _iso(case.sign_deadline),
        "handle_deadline": _iso(case.handle_deadline),
        "supervised": case.supervised,
        "overdue": case.overdue,
        "version": case.version,
    }


def case_detail(case: Case, events: list[CaseEvent], *, full_phone: bool = False,
                show_code: bool = True) -> dict[str, Any]:
    """Everything staff see on the case page, with its events; the query code only when
    ``show_code`` (never for department staff)."""
    citizen = case.citizen
    phone = citizen.phone if citizen else None
    return {
        **case_summary(case),
        "query_code": case.query_code if show_code else None,
        "content": case.content,
        "address": case.address,
        "street": case.street,
        "answer": case.answer,
        "citizen": {
            "name": citizen.name if citizen else None,
            "phone": phone if full_phone else phones.mask(phone) or None,
        },
        "reopen_count": case.reopen_count,
        "return_count": case.return_count,
        "extension_days": case.extension_days,
        "pending_extension": ({"days": case.pending_extension_days,
                               "reason": case.pending_extension_reason}
                              if case.pending_extension_days else None),
        "satisfaction": case.satisfaction.value if case.satisfaction else None,
        "merged_into": case.merged_into.number if case.merged_into else None,
        "external_ref": case.external_ref,
        "dispatched_at": _iso(case.dispatched_at),
        "accepted_at": _iso(case.accepted_at),
        "replied_at": _iso(case.replied_at),
        "closed_at": _iso(case.closed_at),
        "events": [event_json(e) for e in events],
    }


def event_json(event: CaseEvent, *, public: bool = False) -> dict[str, Any]:
    """One timeline entry; the citizen's version leaves out who inside the centre acted."""
    body: dict[str, Any] = {
        "action": event.action,
        "at": _iso(event.at),
        "note": event.note,
        "from_status": event.from_status.value if event.from_status else None,
        "to_status": event.to_status.value if event.to_status else None,
    }
    if event.department is not None:
        body["department"] = event.department.name
    if not public:
        body["actor"] = event.actor_label
        body["public"] = event.public
        body["data"] = event.data
    return body


def public_case(case: Case, events: list[CaseEvent]) -> dict[str, Any]:
    """What a citizen sees with the query code: never the phone or internal notes."""
    return {
        "number": case.number,
        "status": case.status.value,
        "title": case.title,
        "content": case.content,
        "created_at": _iso(case.created_at),
        "department": case.department.name if case.department else None,
        "assisting": [d.name for d in case.assisting],
        "answer": case.answer,
        "satisfaction": case.satisfaction.value if case.satisfaction else None,
        "can_rate": case.status in (CaseStatus.REPLIED, CaseStatus.CLOSED)
        and case.satisfaction is None and case.answer is not None,
        "merged_into": case.merged_into.number if case.merged_into else None,
        "events": [event_json(e, public=True) for e in events],
    }

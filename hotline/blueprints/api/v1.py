"""Endpoints of the integration API v1; see the README's "Integration API" section."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request

from hotline.apispec import checked_body, checked_query, operation
from hotline.apispec.components import ref
from hotline.blueprints.api import schemas
from hotline.blueprints.api.base import bp, json_body, token_required
from hotline.blueprints.api.serialize import case_detail, case_summary, public_case
from hotline.extensions import db
from hotline.models import utcnow
from hotline.services import cases, queries, suggestions, tracking
from hotline.services.validation import optional_text, required_text
from hotline.unit_of_work import unit_of_work
from hotline.webutil import client_key


def _detail(case) -> dict[str, Any]:
    # Staff who may see the case may call the citizen back: the detail carries the number.
    return case_detail(case, cases.timeline(case, public_only=False), full_phone=True)


@bp.post("/cases")
@operation("登记工单 / register a case", "cases", answer=ref("CaseDetail"), status=201,
           body=schemas.NEW_CASE, example=schemas.NEW_CASE_EXAMPLE, errors=(403,))
@token_required
def create_case():
    """Register a case in one transaction and answer with it as written (no read-back);
    ``suggested_category``/``suggested_department`` let the registration keep a correction."""
    data = checked_body(json_body())
    citizen = data.get("citizen") or {}
    new = cases.NewCase(
        content=data.get("content"), channel=data.get("channel") or "api",
        title=data.get("title"), citizen_name=citizen.get("name"),
        citizen_phone=citizen.get("phone"), citizen_contact=citizen.get("contact"),
        address=data.get("address"), request_type=data.get("type"),
        urgency=data.get("urgency"), category=data.get("category"),
        department=data.get("department"), external_ref=data.get("external_ref"),
        recording_ref=data.get("recording_ref"),
        suggested_category=data.get("suggested_category"),
        suggested_department=data.get("suggested_department"))
    # keep_loaded: the answer is the case just written, not read back
    with unit_of_work(keep_loaded=True):
        case = cases.register_case(g.actor, new)
    body = _detail(case)
    if case.status.value == "registered":  # not routed by the caller: say where it could go
        body["suggestion"] = suggestions.suggest(case.content, case.address).as_dict()
    return body, 201


@bp.post("/suggest")
@operation("分类与承办单位建议 / routing suggestions", "cases", body=schemas.SUGGEST)
@token_required
def suggest():
    """Routing suggestions for a text (and address) without creating a case."""
    data = checked_body(json_body())
    text = required_text(data.get("text"), "text",
                         max_chars=current_app.config["CONTENT_MAX_CHARS"])
    address = optional_text(data.get("address"), "address", max_chars=300)
    return suggestions.suggest(text, address).as_dict()


@bp.get("/cases")
@operation("工单列表 / list cases", "cases", answer=ref("CasePage"), query=schemas.CASE_QUERY)
@token_required
def list_cases():
    """One page of the cases the caller may see, newest first, filtered by the query."""
    checked_query()
    args = request.args
    flt = queries.CaseFilter(status=args.get("status"), department=args.get("department"),
                             channel=args.get("channel"), date_from=args.get("from"),
                             date_to=args.get("to"), overdue=args.get("overdue") == "1",
                             text=args.get("q"))
    page = queries.search(g.actor, flt, limit=args.get("limit"), cursor=args.get("cursor"))
    return {"items": [case_summary(c) for c in page.items], "next_cursor": page.next_cursor}


@bp.get("/cases/<number>")
@operation("工单详情 / one case", "cases", answer=ref("CaseDetail"), errors=(404,))
@token_required
def get_case(number: str):
    """A case with its events, if the caller may see it."""
    return _detail(cases.get_case(g.actor, number))


@bp.post("/cases/<number>/<action>")
@operation("工单操作 / act on a case", "cases", answer=ref("CaseDetail"), body=schemas.ACTION,
           path=schemas.ACTION_PATH, errors=(403, 404, 409),
           description="dispatch {department}, accept, return {reason}, extend {days, reason}, "
                       "approve-extension, reject-extension, reply {content}, resolve "
                       "{content}, close, supervise {note}, reopen {reason}, merge {into}")
@token_required
def act(number: str, action: str):
    """Take an action on a case; ``version`` makes it refuse if someone acted first."""
    data = checked_body(json_body()) if request.get_data() else {}
    version = data.pop("version", None)  # an integer: checked against schemas.ACTION
    with unit_of_work():
        case = cases.perform(g.actor, number, action.replace("-", "_"), data,
                             expected_version=version)
    return _detail(case)


@bp.get("/track/<number>")
@operation("市民查询 / citizen tracking", "public", answer=ref("PublicCase"), auth=None,
           query=schemas.TRACK_QUERY, errors=(404, 429))
def track(number: str):
    """What the citizen sees of a case, given its query code."""
    case = tracking.find(number, request.args.get("code", ""), client_key())
    return public_case(case, tracking.public_timeline(case))


@bp.post("/track/<number>/feedback")
@operation("市民评价 / citizen rates the reply", "public", answer=ref("PublicCase"), auth=None,
           body=schemas.FEEDBACK, errors=(404, 409, 429))
def feedback(number: str):
    """The citizen rates the reply with the query code; dissatisfied reopens the case."""
    data = checked_body(json_body())
    with unit_of_work():
        case = tracking.give_feedback(number, data.get("code", ""),
                                      data.get("satisfaction"), data.get("comment"),
                                      client_key())
    return public_case(case, tracking.public_timeline(case))


@bp.get("/health")
@operation("存活检查 / liveness", "system", auth=None,
           answer={"type": "object", "properties": {"status": {"const": "ok"}}})
def health():
    """Liveness for load balancers: the database answers."""
    db.session.execute(db.select(1))
    return {"status": "ok", "time": utcnow().isoformat()}

"""Endpoints of the integration API v1; see the README's "Integration API" section."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from sqlalchemy.exc import IntegrityError

from hotline.apispec import checked_body, checked_query, operation
from hotline.apispec.components import ref
from hotline.blueprints.api import schemas
from hotline.blueprints.api.base import bp, json_body, token_required
from hotline.blueprints.api.idempotency import idempotent, keep_answer
from hotline.blueprints.api.serialize import case_detail, case_summary, public_case
from hotline.errors import Forbidden, InvalidInput, NotFound
from hotline.models import CaseStatus, Channel, Role
from hotline.presenters import case_list
from hotline.services import (
    bulk,
    case_rows,
    cases,
    idempotency,
    personal_data,
    queries,
    registration,
    replies,
    suggestions,
    tracking,
)
from hotline.services.validation import optional_text, required_text, whole_number
from hotline.unit_of_work import unit_of_work
from hotline.webutil import client_key, translate_error


def _detail(case) -> dict[str, Any]:
    # The phone is masked: the full number comes from POST /cases/<number>/phone, recorded.
    return case_detail(case, cases.timeline(case, public_only=False),
                       show_code=personal_data.sees_query_code(g.actor))


@bp.post("/cases")
@operation("登记工单 / register a case", "cases", answer=ref("CaseDetail"), status=201,
           body=schemas.NEW_CASE, example=schemas.NEW_CASE_EXAMPLE, errors=(403,),
           alternatives={200: ("该渠道编号已登记过：原工单 / this channel's external_ref was "
                               "registered before: that case", ref("CaseDetail"))})
@token_required
@idempotent
def create_case():
    """Register a case in one transaction and answer with it as written (201, no read-back);
    ``suggested_category``/``suggested_department`` let the registration keep a correction;
    a channel's ``external_ref`` seen before answers 200 with the case it registered, so a
    CTI system's retry never makes a second case."""
    data = checked_body(json_body())
    citizen = data.get("citizen") or {}
    new = registration.NewCase(
        content=data.get("content"), channel=data.get("channel") or "api",
        title=data.get("title"), citizen_name=citizen.get("name"),
        citizen_phone=citizen.get("phone"), citizen_contact=citizen.get("contact"),
        address=data.get("address"), request_type=data.get("type"),
        urgency=data.get("urgency"), category=data.get("category"),
        department=data.get("department"), assist=data.get("assist"),
        external_ref=data.get("external_ref"),
        recording_ref=data.get("recording_ref"),
        suggested_category=data.get("suggested_category"),
        suggested_department=data.get("suggested_department"))
    existing = _registered(new)
    if existing is not None:
        return _detail(existing), 200
    try:
        # keep_loaded: the answer is the case just written, not read back
        with unit_of_work(keep_loaded=True) as session:
            case = registration.register_case(g.actor, new)
            case_rows.flush(session)  # the answer shows the case as committed
            body = _detail(case)
            if case.status == CaseStatus.REGISTERED:  # not routed: say where it could go
                body["suggestion"] = suggestions.suggest(case.content, case.address).as_dict()
            keep_answer(body, 201)
    except IntegrityError:  # a concurrent request with the same reference won
        existing = _registered(new)
        if existing is None:
            raise
        return _detail(existing), 200
    return body, 201


def _registered(new: registration.NewCase):
    """The case this channel already registered under the request's ``external_ref``, when
    the caller may see it (one who may not gets the registration's own refusal)."""
    if new.channel not in set(Channel) or not isinstance(new.external_ref, str):
        return None
    case = idempotency.registered_case(new.channel, new.external_ref)
    if case is None:
        return None
    try:
        return cases.get_case(g.actor, case.number)
    except NotFound:
        return None


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
    page = queries.search(g.actor, queries.filter_from(args), limit=args.get("limit"),
                          cursor=args.get("cursor"))
    return {"items": [case_summary(c) for c in page.items], "next_cursor": page.next_cursor}


@bp.get("/cases/export")
@operation("导出工单列表 / export the filtered case list", "cases", query=schemas.EXPORT_QUERY,
           media=("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
           description="The same filters as GET /cases; format=csv (UTF-8 "
           "with BOM) or xlsx. The citizen's phone number is never in the file.")
@token_required
def export_cases():
    """The filtered list as a file, every matching case (up to the export limit)."""
    checked_query()
    fmt = request.args.get("format") or "csv"
    return case_list.download(g.actor, queries.filter_from(request.args), fmt, "cases")


@bp.post("/cases/bulk")
@operation("批量操作 / one action on many cases", "cases", body=schemas.BULK,
           example=schemas.BULK_EXAMPLE, errors=(403,),
           description="dispatch {department}, supervise {note} or close, on up to 200 cases; "
                       "answered per case: {number, ok, status} or {number, ok: false, error}")
@token_required
def bulk_cases():
    """Supervisors: one action on many cases; a refused case does not stop the others."""
    if not g.actor.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("只有督办员可以批量操作")
    data = checked_body(json_body())
    action, numbers = data.pop("action"), data.pop("numbers")
    params = {k: v for k, v in data.items() if v is not None}
    with unit_of_work():
        outcomes = bulk.perform_many(g.actor, action, numbers, params)
    return {"action": action, "done": sum(o.ok for o in outcomes), "results": [
        {"number": o.number, "ok": True, "status": o.status} if o.ok else
        {"number": o.number, "ok": False, "error": {
            "code": o.error.code, "field": o.error.field, "message": translate_error(o.error)}}
        for o in outcomes]}


@bp.get("/cases/<number>")
@operation("工单详情 / one case", "cases", answer=ref("CaseDetail"), errors=(404,))
@token_required
def get_case(number: str):
    """A case with its events, if the caller may see it."""
    return _detail(cases.get_case(g.actor, number))


@bp.post("/cases/<number>/<action>")
@operation("工单操作 / act on a case", "cases", answer=ref("CaseDetail"), body=schemas.ACTION,
           path=schemas.ACTION_PATH, errors=(403, 404, 409),
           description="dispatch {department, assist?} (a district government's staff: to "
                       "one of its street offices), accept, return {reason}, extend {days, "
                       "reason}, approve-extension, reject-extension, reply {content}, resolve "
                       "{content}, close, supervise {note}, reopen {reason}, merge {into}, "
                       "recall {reason} (the district takes back what it passed on), note "
                       "{content} (internal; the lead, the district over it or an assisting "
                       "department). reply and note also take multipart/form-data with "
                       "content and files (photos, PDF)")
@token_required
@idempotent
def act(number: str, action: str):
    """Act on a case; a reply or a note may also come as multipart/form-data with
    ``content`` and ``files`` (photos, PDF: the mailbox's checks); a reply's files are shown
    to the citizen when tracking, a note's stay internal."""
    action = action.replace("-", "_")
    if action in replies.WITH_FILES and request.mimetype == "multipart/form-data":
        return _act_with_files(number, action)
    data = checked_body(json_body()) if request.get_data() else {}
    version = data.pop("version", None)  # an integer: checked against schemas.ACTION
    cases.check_params(action, data)
    with unit_of_work() as session:
        case = cases.perform(g.actor, number, action, data,
                             expected_version=version)
        session.flush()  # the answer shows the case as committed: its new version, and
        session.expire(case)  # relationships whose keys the action changed read again
        body = _detail(case)
        keep_answer(body, 200)
    return body


def _act_with_files(number: str, action: str):
    form = request.form
    unknown = sorted(set(form) - {"content", "version"})
    if unknown:
        raise InvalidInput("未知字段：{names}", field=unknown[0], names=", ".join(unknown))
    version = form.get("version")
    expected = whole_number(version, "version", minimum=0, maximum=2**31 - 1) \
        if version else None
    files = [(f.filename or "", f.read()) for f in request.files.getlist("files")]
    kept = []
    try:
        with unit_of_work() as session:
            case, kept = replies.act_with_files(g.actor, number, action,
                                                {"content": form.get("content")}, files,
                                                expected_version=expected)
            session.flush()  # the answer shows the case as committed: its new version,
            session.expire(case)  # and relationships whose keys the action changed
            body = _detail(case)
            keep_answer(body, 200)
    except Exception:
        replies.forget_files(kept)
        raise
    return body


@bp.post("/cases/<number>/phone")
@operation("查看完整电话（留痕） / reveal the citizen's phone (recorded)", "cases",
           answer=schemas.PHONE, errors=(403, 404),
           description="the case answers carry the phone masked; every reveal is recorded "
                       "(who, when, which case) and listed for admins by GET /api/v1/audit")
@token_required
def reveal_phone(number: str):
    """The citizen's full phone number, for calling back; every call is recorded."""
    with unit_of_work():
        phone = personal_data.reveal_phone(g.actor, number, via="api", client=client_key())
    return {"number": number, "phone": phone}


@bp.get("/audit")
@operation("个人信息访问记录（管理员） / personal-data reads (admin)", "audit",
           answer=schemas.AUDIT, query=schemas.AUDIT_QUERY, errors=(403,))
@token_required
def audit():
    """Admins: the record of full phone-number reads, newest first (``before`` pages on)."""
    if g.actor.role != Role.ADMIN:
        raise Forbidden("只有管理员可以查看个人信息访问记录")
    query = checked_query()
    limit = query.get("limit", 100)
    rows = personal_data.reads(limit=limit, before_id=query.get("before"))
    return {"items": [{"id": r.id, "at": r.at.isoformat().replace("+00:00", "Z"),
                       "user_id": r.user_id, "actor": r.actor_label,
                       "case": r.case.number, "what": r.what, "via": r.via,
                       "client": r.client} for r in rows],
            "next_before": rows[-1].id if len(rows) == limit else None}


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


"""Staff pages on cases: the filtered list, the case page with its timeline, and actions."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from hotline.blueprints.guards import current_actor
from hotline.errors import ServiceError
from hotline.i18n import gettext as _
from hotline.i18n import label
from hotline.models import CaseStatus, Channel, utcnow
from hotline.services import (
    cases,
    citizen_notices,
    deadlines,
    directory,
    leader_mailboxes,
    personal_data,
    quality,
    queries,
)
from hotline.services.validation import whole_number
from hotline.unit_of_work import unit_of_work
from hotline.webutil import client_key, translate_error

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.get("")
@login_required
def index():
    args = request.args
    flt = queries.CaseFilter(
        status=args.get("status") or None, department=args.get("department") or None,
        channel=args.get("channel") or None, date_from=args.get("from") or None,
        date_to=args.get("to") or None, overdue=args.get("overdue") == "1",
        text=args.get("q") or None, category=args.get("category") or None,
        district=args.get("district") or None, request_type=args.get("type") or None,
        kpi=args.get("kpi") or None)
    page = queries.search(current_actor(), flt, cursor=args.get("cursor") or None)
    return render_template(
        "cases/list.html", page=page, args=args, statuses=list(CaseStatus),
        channels=list(Channel), departments=directory.list_departments(),
        now=utcnow(), deadline_state=deadlines.deadline_state)


@bp.get("/<number>")
@login_required
def detail(number: str):
    """The case page: facts (phone masked, query code for the centre only), timeline,
    actions."""
    return _detail_page(number)


@bp.post("/<number>/phone")
@login_required
def reveal_phone(number: str):
    """Show the citizen's full phone number on the case page (JSON for scripts); the read is
    recorded for the admins' audit page."""
    with unit_of_work():
        phone = personal_data.reveal_phone(current_actor(), number, via="page",
                                           client=client_key())
    if request.accept_mimetypes.best == "application/json":
        return {"number": number, "phone": phone}
    return _detail_page(number, revealed_phone=phone)


def _detail_page(number: str, revealed_phone: str | None = None, draft: str | None = None,
                 draft_inspection=None):
    actor = current_actor()
    case = cases.get_case(actor, number)
    return render_template(
        "cases/detail.html", case=case, events=cases.timeline(case, public_only=False),
        draft=draft, draft_inspection=draft_inspection,
        inspection=quality.reply_inspection(actor, case),
        record_findings=quality.record_findings(actor, case),
        messages=citizen_notices.messages_for(
            case, show_code=personal_data.sees_query_code(actor)),
        revealed_phone=revealed_phone, show_code=personal_data.sees_query_code(actor),
        actions=cases.allowed_actions(actor, case), now=utcnow(),
        can_forward=leader_mailboxes.may_forward(actor, case),
        deadline=deadlines.deadline_state(case, utcnow()),
        return_deadline=deadlines.return_deadline(case),
        departments=directory.list_departments(active_only=True),
        max_extension=deadlines.max_extension_days())


@bp.post("/<number>/<action>")
@login_required
def act(number: str, action: str):
    action = action.replace("-", "_")
    params = {k: request.form[k] for k in cases.ACTION_PARAMS.get(action, ())
              if k in request.form}
    version = request.form.get("version")
    if action == "reply" and request.form.get("checked") != "1":
        held = _inspected_draft(number, request.form.get("content"))
        if held is not None:
            return held
    try:
        expected = whole_number(version, "version", minimum=0,
                                maximum=2**31 - 1) if version else None
        with unit_of_work():
            cases.perform(current_actor(), number, action, params, expected_version=expected)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(translate_error(exc), "error")
    else:
        flash(_("已{action}", action=label(action)), "success")
    return redirect(url_for("cases.detail", number=number), code=303)


def _inspected_draft(number: str, content: str | None):
    """The case page again with the draft reply's inspection when it has findings (the
    department may then send it as it is, or edit it); None to send it straight away."""
    if not content or not content.strip():
        return None
    case = cases.get_case(current_actor(), number)
    inspection = quality.check_reply(case, content)
    if not inspection.findings:
        return None
    return _detail_page(number, draft=content, draft_inspection=inspection)

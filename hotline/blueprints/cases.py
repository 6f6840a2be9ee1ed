"""Staff pages on cases: the filtered list, the case page with its timeline, and actions."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import login_required

from hotline.blueprints.guards import current_actor, role_required
from hotline.errors import NotFound, ServiceError
from hotline.i18n import gettext as _
from hotline.i18n import label
from hotline.models import CaseStatus, Channel, Role, Urgency, utcnow
from hotline.presenters import case_list, casemap
from hotline.services import (
    bulk,
    cases,
    citizen_notices,
    deadlines,
    directory,
    held_files,
    involvement,
    leader_mailboxes,
    personal_data,
    quality,
    quality_store,
    queries,
    replies,
)
from hotline.services.validation import whole_number
from hotline.unit_of_work import unit_of_work
from hotline.webutil import client_key, localtime, translate_error

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.get("")
@login_required
def index():
    """The filtered list with the supervisor's queues (counts in the header), sortable
    columns, export links and bulk actions."""
    args = request.args
    actor = current_actor()
    flt = queries.filter_from(args)
    page = queries.search(actor, flt, cursor=args.get("cursor") or None)
    return render_template(
        "cases/list.html", page=page, args=args, statuses=list(CaseStatus),
        channels=list(Channel), departments=directory.list_departments(),
        categories=directory.list_categories(leaves_only=True),
        urgencies=list(Urgency), queues=queries.QUEUES,
        queue_counts=queries.queue_counts(actor), bulk_actions=bulk.BULK_ACTIONS,
        oversees=actor.has_role(Role.SUPERVISOR, Role.ADMIN),
        now=utcnow(), deadline_state=deadlines.deadline_state)


@bp.get("/export.<fmt>")
@login_required
def export_list(fmt: str):
    """The filtered list as CSV (UTF-8 with BOM) or XLSX."""
    if fmt not in case_list.FORMATS:
        raise NotFound("未知的格式：{format}", format=fmt)
    try:
        return case_list.download(current_actor(), queries.filter_from(request.args), fmt,
                                  f"cases-{localtime(utcnow(), '%Y%m%d-%H%M')}")
    except ServiceError as exc:
        flash(translate_error(exc), "error")
        return redirect(url_for("cases.index", **request.args.to_dict()), code=303)


@bp.post("/bulk")
@role_required("supervisor", "admin")
def bulk_action():
    """One action on the ticked cases; each case's outcome is said."""
    action = request.form.get("action", "")
    params = {k: request.form[k] for k in bulk.ACTION_FIELDS.get(action, ())
              if request.form.get(k)}
    try:
        with unit_of_work():
            outcomes = bulk.perform_many(current_actor(), action,
                                         request.form.getlist("numbers"), params)
    except ServiceError as exc:
        flash(translate_error(exc), "error")
    else:
        done = [o.number for o in outcomes if o.ok]
        if done:
            flash(_("已{action} {count} 个工单", action=label(action), count=len(done)),
                  "success")
        for o in outcomes:
            if not o.ok:
                flash(f"{o.number}：{translate_error(o.error)}", "error")
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/cases") else url_for("cases.index"), code=303)


@bp.get("/<number>")
@login_required
def detail(number: str):
    """The case page: facts (phone masked, query code for the centre only), timeline,
    actions."""
    return _detail_page(number)


@bp.get("/<number>/print")
@login_required
def print_sheet(number: str):
    """The printable case sheet (交办单): the case, its timeline and the reply, with a print
    stylesheet; the phone masked as on the case page."""
    case = cases.get_case(current_actor(), number)
    return render_template("cases/print.html", case=case, now=utcnow(),
                           events=cases.timeline(case, public_only=False))


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
                 draft_inspection=None, held=()):
    actor = current_actor()
    case = cases.get_case(actor, number)
    g.pop("case_intake", None)  # the files as they are now, not as an earlier render saw them
    with unit_of_work():  # a missing or stale kept inspection is made and kept now
        inspection = quality_store.reply_inspection(actor, case)
        record_findings = quality_store.record_findings(actor, case)
    return render_template(
        "cases/detail.html", case=case, events=cases.timeline(case, public_only=False),
        draft=draft, draft_inspection=draft_inspection, held=held,
        part=involvement.part(actor.department_id, case),
        inspection=inspection, record_findings=record_findings,
        messages=citizen_notices.messages_for(
            case, show_code=personal_data.sees_query_code(actor)),
        revealed_phone=revealed_phone, show_code=personal_data.sees_query_code(actor),
        actions=cases.allowed_actions(actor, case), now=utcnow(),
        can_forward=leader_mailboxes.may_forward(actor, case),
        deadline=deadlines.deadline_state(case, utcnow()),
        return_deadline=deadlines.return_deadline(case),
        return_window=deadlines.return_window(),
        departments=cases.dispatch_targets(actor),
        assist_choices=directory.list_departments(active_only=True),
        max_extension=deadlines.max_extension_days(), case_map=casemap.case_map(case))


@bp.post("/<number>/<action>")
@login_required
def act(number: str, action: str):
    action = action.replace("-", "_")
    params = {k: request.form.getlist(k) if k in cases.LIST_PARAMS else request.form[k]
              for k in cases.ACTION_PARAMS.get(action, ()) if k in request.form}
    version = request.form.get("version")
    files = [(f.filename or "", f.read()) for f in request.files.getlist("files")]
    held = request.form.getlist("held") if action == "reply" else []
    if action == "reply" and request.form.get("checked") != "1":
        page = _inspected_draft(number, request.form.get("content"), files, held)
        if page is not None:
            return page
    actor = current_actor()
    kept: list = []
    try:
        expected = whole_number(version, "version", minimum=0,
                                maximum=2**31 - 1) if version else None
        with unit_of_work():
            if action in replies.WITH_FILES:
                files = held_files.release(actor, number, held) + files
                case, kept = replies.act_with_files(actor, number, action, params, files,
                                                    expected_version=expected)
            else:
                case = cases.perform(actor, number, action, params, expected_version=expected)
            still_mine = cases.can_see(actor, case)
    except ServiceError as exc:
        replies.forget_files(kept)
        if exc.status == 404:
            raise
        flash(translate_error(exc), "error")
    else:
        held_files.discard(actor, number, held)
        if not still_mine:  # a return took the case away: back to the workbench, not a 404
            flash(_("已{action}工单 {number}，它已不在本单位的待办中",
                    action=label(action), number=number), "success")
            return redirect(url_for("workbench.index"), code=303)
        flash(_("已{action}", action=label(action)), "success")
    return redirect(url_for("cases.detail", number=number), code=303)


def _inspected_draft(number: str, content: str | None, files: list[tuple[str, bytes]],
                     held: list[str]):
    """The case page again with the draft reply's inspection when it has findings (the
    department may then send it as it is, or edit it), the chosen files kept with the
    draft; None to send it straight away."""
    if not content or not content.strip():
        return None
    actor = current_actor()
    case = cases.get_case(actor, number)
    inspection = quality.check_reply(case, content)
    if not inspection.findings:
        return None
    try:
        kept = held_files.redisplay(actor, number, held) + held_files.hold(actor, number, files)
    except ServiceError as exc:
        flash(translate_error(exc), "error")
        kept = []
    return _detail_page(number, draft=content, draft_inspection=inspection, held=kept)

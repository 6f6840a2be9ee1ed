"""Staff pages on cases: the filtered list, the case page with its timeline, and actions."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from hotline.blueprints.guards import current_actor
from hotline.errors import ServiceError
from hotline.i18n import gettext as _
from hotline.i18n import label
from hotline.models import CaseStatus, Channel, utcnow
from hotline.services import cases, deadlines, directory, queries
from hotline.unit_of_work import unit_of_work
from hotline.webutil import translate_error

bp = Blueprint("cases", __name__, url_prefix="/cases")
ACTION_FIELDS = ("department", "reason", "days", "content", "note", "into")


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
    actor = current_actor()
    case = cases.get_case(actor, number)
    return render_template(
        "cases/detail.html", case=case, events=cases.timeline(case, public_only=False),
        actions=cases.allowed_actions(actor, case), now=utcnow(),
        deadline=deadlines.deadline_state(case, utcnow()),
        return_deadline=deadlines.return_deadline(case),
        departments=directory.list_departments(active_only=True),
        max_extension=deadlines.max_extension_days())


@bp.post("/<number>/<action>")
@login_required
def act(number: str, action: str):
    action = action.replace("-", "_")
    params = {k: request.form[k] for k in ACTION_FIELDS if k in request.form}
    version = request.form.get("version")
    try:
        with unit_of_work():
            cases.perform(current_actor(), number, action, params,
                          expected_version=int(version) if version else None)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(translate_error(exc), "error")
    else:
        flash(_("已{action}", action=label(action)), "success")
    return redirect(url_for("cases.detail", number=number), code=303)

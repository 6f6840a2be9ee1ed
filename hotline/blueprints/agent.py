"""The agent console: log a call while the caller is still on the line, and dispatch it."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import and_, select

from hotline import phones
from hotline.blueprints.guards import current_actor, role_required
from hotline.errors import ServiceError
from hotline.extensions import db
from hotline.i18n import gettext as _
from hotline.i18n import label
from hotline.models import Case, Channel, Citizen, RequestType, Urgency
from hotline.services import directory, registration, suggestions
from hotline.unit_of_work import unit_of_work
from hotline.webutil import localtime, translate_error

bp = Blueprint("agent", __name__, url_prefix="/agent")
INTAKE_FIELDS = ("phone", "name", "title", "content", "address", "type", "urgency",
                 "category", "department")


def _form_context(form: dict) -> dict:
    return {
        "form": form,
        "categories": directory.list_categories(leaves_only=True, active_only=True),
        "departments": directory.list_departments(active_only=True),
        "types": list(RequestType),
        "urgencies": list(Urgency),
        "recent": db.session.scalars(
            select(Case).where(Case.created_by_id == current_user.id)
            .order_by(Case.id.desc()).limit(10)).all(),
    }


@bp.get("")
@role_required("agent", "supervisor", "admin")
def console():
    return render_template("agent/console.html", **_form_context({"phone": request.args.get(
        "phone", "")}))


@bp.post("/cases")
@role_required("agent", "supervisor", "admin")
def register():
    """Register the call as a case in one transaction; the suggestion the agent was shown
    (the form's hidden fields) goes with it, so a different choice is kept for training."""
    form = {k: request.form.get(k, "") for k in INTAKE_FIELDS}
    dispatch_now = request.form.get("dispatch") == "1"
    new = registration.NewCase(
        content=form["content"], channel=Channel.PHONE.value, title=form["title"],
        citizen_name=form["name"], citizen_phone=form["phone"], address=form["address"],
        request_type=form["type"], urgency=form["urgency"], category=form["category"] or None,
        department=form["department"] if dispatch_now and form["department"] else None,
        external_ref=request.form.get("call_id") or None,
        recording_ref=request.form.get("recording_ref") or None,
        suggested_category=request.form.get("suggested_category") or None,
        suggested_department=request.form.get("suggested_department") or None,
    )
    try:
        with unit_of_work(keep_loaded=True):
            case = registration.register_case(current_actor(), new)
    except ServiceError as exc:
        flash(translate_error(exc), "error")
        return render_template("agent/console.html", error_field=exc.field,
                               **_form_context(form)), exc.status
    flash(_("已登记工单 {number}，查询码 {code}", number=case.number, code=case.query_code),
          "success")
    return redirect(url_for("agent.console", created=case.number), code=303)


@bp.get("/lookup")
@role_required("agent", "supervisor", "admin")
def lookup():
    """Earlier cases of the caller, found by the phone number as it is typed."""
    digits = phones.lookup_prefix(request.args.get("phone"))
    if len(digits) < 7:
        return jsonify(items=[])
    rows = db.session.execute(
        select(Case.number, Case.title, Case.status, Case.created_at, Citizen.name, Citizen.phone)
        .join(Citizen, Case.citizen_id == Citizen.id)
        .where(_phone_prefix(digits))
        .order_by(Case.id.desc()).limit(10)
    ).all()
    return jsonify(items=[{
        "number": r.number, "title": r.title, "status": r.status.value,
        "status_label": label(r.status), "created_at": localtime(r.created_at),
        "name": r.name or "", "phone": phones.mask(r.phone),
        "url": url_for("cases.detail", number=r.number),
    } for r in rows])


def _phone_prefix(digits: str):
    # A range the citizen.phone index answers (a caller's history while the phone rings must
    # not scan the archive), plus the prefix itself for numbers stored with other characters.
    bound = phones.prefix_upper_bound(digits)
    condition = and_(Citizen.phone >= digits, Citizen.phone.startswith(digits, autoescape=True))
    return condition if bound is None else and_(condition, Citizen.phone < bound)


@bp.get("/suggest")
@role_required("agent", "supervisor", "admin")
def suggest():
    """Suggested categories, department and place while the agent types; the agent's own
    choice of category wins over the model's. ``prefill`` says whether the form may fill in
    the category and department by itself: only at or above the auto-dispatch threshold."""
    return jsonify(suggestions.for_form(request.args.get("content", ""),
                                        request.args.get("address"),
                                        chosen=request.args.get("category") or None,
                                        emergency_text=_emergency_text))


def _emergency_text(emergency: dict) -> str:
    return _("紧急情况：请立即将来电转接 {number}（{kind}）",
             number=emergency["transfer_to"], kind=emergency["kind"])

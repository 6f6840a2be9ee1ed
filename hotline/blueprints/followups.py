"""The agents' follow-up call list: replied phone cases whose citizen has no mobile number."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from hotline.blueprints.guards import current_actor, role_required
from hotline.errors import ServiceError
from hotline.i18n import gettext as _
from hotline.services import cases, followup
from hotline.services.validation import choice, optional_text
from hotline.unit_of_work import unit_of_work
from hotline.webutil import translate_error

bp = Blueprint("followups", __name__, url_prefix="/followups")


@bp.get("")
@role_required("agent", "supervisor", "admin")
def index():
    return render_template("followups/index.html", cases=followup.call_list())


@bp.post("/<number>")
@role_required("agent", "supervisor", "admin")
def record_rating(number: str):
    """The agent called the citizen and records the answer in their name."""
    actor = current_actor()
    try:
        with unit_of_work():
            case = cases.get_case(actor, number)
            value = choice(request.form.get("satisfaction"), cases.Satisfaction,
                           "satisfaction")
            note = optional_text(request.form.get("comment"), "comment", max_chars=500)
            cases.rate(case, value, f"电话回访：{note}" if note else "电话回访", actor=actor)
    except ServiceError as exc:
        flash(translate_error(exc), "error")
    else:
        flash(_("已记录回访结果"), "success")
    return redirect(url_for("followups.index"), code=303)

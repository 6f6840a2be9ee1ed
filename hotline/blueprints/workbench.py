"""The department workbench: its cases, the most pressing deadline first, and its notices."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from hotline.blueprints.guards import current_actor, role_required
from hotline.models import utcnow
from hotline.services import deadlines, notices, queries
from hotline.services.kb import articles as kb_articles
from hotline.unit_of_work import unit_of_work

bp = Blueprint("workbench", __name__, url_prefix="/workbench")


@bp.get("")
@role_required("department")
def index():
    department_id = current_user.department_id
    kb_today = kb_articles.today_local()  # articles due for review show here too
    return render_template(
        "workbench/index.html", cases=queries.workbench(department_id),
        assisting=queries.assisting_work(department_id),
        streets=queries.street_work(department_id),
        counts=queries.workbench_counts(department_id), now=utcnow(),
        notices=notices.unread(current_actor()), deadline_state=deadlines.deadline_state,
        due=kb_articles.due_for_upkeep(current_actor(), kb_today), kb_today=kb_today)


@bp.post("/notices/read")
@role_required("department", "supervisor", "admin")
def read_notices():
    with unit_of_work():
        notices.mark_read(current_actor())
    target = "workbench.index" if current_user.role.value == "department" else "queues.index"
    return redirect(url_for(target), code=303)

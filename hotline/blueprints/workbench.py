"""The department workbench: its cases, the most pressing deadline first."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from hotline.blueprints.guards import role_required
from hotline.models import utcnow
from hotline.services import deadlines, queries

bp = Blueprint("workbench", __name__, url_prefix="/workbench")


@bp.get("")
@role_required("department")
def index():
    department_id = current_user.department_id
    return render_template(
        "workbench/index.html", cases=queries.workbench(department_id),
        counts=queries.workbench_counts(department_id), now=utcnow(),
        deadline_state=deadlines.deadline_state)

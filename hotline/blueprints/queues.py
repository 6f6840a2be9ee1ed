"""Queue health for supervisors: what waits in Redis, what failed, what the last sweep found."""

from __future__ import annotations

from flask import Blueprint, render_template

from hotline.blueprints.guards import current_actor, role_required
from hotline.services import notices
from workflows import health

bp = Blueprint("queues", __name__, url_prefix="/queues")


@bp.get("")
@role_required("supervisor", "admin")
def index():
    return render_template("queues/index.html", health=health.snapshot(),
                           notices=notices.unread(current_actor()))

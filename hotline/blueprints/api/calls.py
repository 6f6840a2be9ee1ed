"""The phone system's hook (CTI): ``POST /api/v1/calls`` pops a call up on an agent's console."""

from __future__ import annotations

from flask import g

from hotline.apispec import checked_body, operation
from hotline.blueprints.api import schemas
from hotline.blueprints.api.base import bp, json_body, token_required
from hotline.errors import Forbidden
from hotline.models import Role
from hotline.services import calls


@bp.post("/calls")
@operation("来电弹屏 / announce a call", "calls", status=202, body=schemas.CALL, errors=(403,))
@token_required
def announce_call():
    """``{"call_id", "caller", "agent", "recording"?}``: 202 once the pop is queued."""
    if not g.actor.has_role(Role.AGENT, Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("只有话务中心的令牌可以推送来电")
    data = checked_body(json_body())
    return calls.announce(data.get("call_id"), data.get("caller"), data.get("agent"),
                          data.get("recording")), 202

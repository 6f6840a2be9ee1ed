"""The phone system's hook (CTI): ``POST /api/v1/calls`` pops a call up on an agent's console."""

from __future__ import annotations

from flask import g

from hotline.blueprints.api.v1 import bp, json_body, token_required
from hotline.errors import Forbidden, InvalidInput
from hotline.models import Role
from hotline.services import calls

CALL_FIELDS = {"call_id", "caller", "agent", "recording"}


@bp.post("/calls")
@token_required
def announce_call():
    """``{"call_id", "caller", "agent", "recording"?}``: 202 once the pop is queued."""
    if not g.actor.has_role(Role.AGENT, Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("只有话务中心的令牌可以推送来电")
    data = json_body()
    unknown = sorted(set(data) - CALL_FIELDS)
    if unknown:
        raise InvalidInput("未知字段：{names}", field=unknown[0], names=", ".join(unknown))
    return calls.announce(data.get("call_id"), data.get("caller"), data.get("agent"),
                          data.get("recording")), 202

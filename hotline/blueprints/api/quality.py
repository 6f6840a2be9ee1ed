"""``POST /api/v1/quality/check``: the automatic inspection of a reply (智能质检) as JSON,
for supervisors and for the departments' own systems before they send a reply."""

from __future__ import annotations

from flask import g

from hotline.apispec import checked_body, operation
from hotline.blueprints.api import schemas
from hotline.blueprints.api.base import bp, json_body, token_required
from hotline.i18n import gettext as _
from hotline.services import quality


@bp.post("/quality/check")
@operation("答复质检 / inspect a reply", "quality", answer=schemas.QUALITY_ANSWER,
           body=schemas.QUALITY_CHECK, example=schemas.QUALITY_CHECK_EXAMPLE, errors=(403,))
@token_required
def check_reply():
    """``{"request", "reply", "type"?}`` → ``{"relevance": 0..1, "signals", "findings"}``;
    messages follow ``Accept-Language``."""
    data = checked_body(json_body())
    inspection = quality.check_text(g.actor, data.get("request"), data.get("reply"),
                                    data.get("type"))
    return {"relevance": round(inspection.relevance.score, 3),
            "signals": {k: v for k, v in inspection.relevance.as_dict().items() if k != "score"},
            "findings": [{"code": f.code.value, "severity": f.severity.value,
                          "message": _(f.message, **f.params)} for f in inspection.findings]}

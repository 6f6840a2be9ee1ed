"""``POST /api/v1/track/lookup``: "my cases" for a citizen app (no account, no token)."""

from __future__ import annotations

from flask import current_app

from hotline.apispec import checked_body, operation
from hotline.apispec.components import STR, TIME
from hotline.blueprints.api.base import bp, json_body
from hotline.i18n import asked_language, current_language
from hotline.services import my_cases
from hotline.unit_of_work import unit_of_work
from hotline.webutil import client_key

LOOKUP = {"type": "object", "additionalProperties": False, "required": ["phone"],
          "properties": {
              "phone": {"type": "string", "description": "the mobile number used",
                        "examples": ["13800001111"]},
              "otp": {"type": ["string", "null"],
                      "description": "the code from the SMS; leave out to ask for one"}}}
MY_CASE = {"type": "object", "properties": {
    "number": STR, "query_code": STR, "status": STR, "title": STR, "channel": STR,
    "created_at": TIME, "department": {"type": ["string", "null"]}, "link": STR}}
ANSWER = {"type": "object", "properties": {
    "items": {"type": "array", "items": MY_CASE},
    "sent": {"type": "boolean", "description": "202: a code is on its way by SMS"},
    "expires_in": {"type": "integer", "description": "202: seconds the code stays valid"}}}


@bp.post("/track/lookup")
@operation("我的工单 / a citizen's own cases by mobile number", "public", answer=ANSWER,
           auth=None, body=LOOKUP, errors=(429,), example={"phone": "13800001111"},
           description="Without `otp`: 202 and a one-time code by SMS (5 minutes, single "
                       "use). With it: 200 and every case made with the number.")
def track_lookup():
    """Ask for a one-time code (202), or give it and get the number's cases (200)."""
    data = checked_body(json_body())
    with unit_of_work():
        if not data.get("otp"):
            my_cases.request_code(data.get("phone"), client_key(),
                                  language=current_language())
            return {"sent": True,
                    "expires_in": int(current_app.config["OTP_TTL_SECONDS"])}, 202
        items = my_cases.verify(data.get("phone"), data.get("otp"), client_key(),
                                language=asked_language())
    return {"items": [item.as_dict() for item in items]}

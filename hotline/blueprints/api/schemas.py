"""What each API v1 operation accepts, declared once: the views check their input against
these schemas and the OpenAPI document (``GET /api/v1/openapi.json``) prints them."""

from __future__ import annotations

from typing import Any

from hotline.apispec.components import OPT_STR, STR, enum_of
from hotline.boundary import MAX_ROW_ID
from hotline.models.enums import (
    CaseStatus,
    Channel,
    FindingCode,
    RequestType,
    Satisfaction,
    Severity,
    Urgency,
)
from hotline.services.bulk import BULK_ACTIONS, MAX_CASES
from hotline.services.cases import ACTION_PARAMS, ACTIONS
from hotline.services.personal_data import MAX_READS_PAGE
from hotline.services.queries import QUEUES, SORTS


def _body(properties: dict[str, Any], required: tuple[str, ...] = (),
          *, closed: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "required": list(required)}
    if closed:
        schema["additionalProperties"] = False
    return schema


def _opt_enum(values: type) -> dict[str, Any]:
    schema = enum_of(values)
    return {"type": ["string", "null"], "enum": [*schema["enum"], None]}


CITIZEN = _body({"name": OPT_STR, "phone": {**OPT_STR, "examples": ["13800001111"]},
                 "contact": {**OPT_STR, "description": "openid or e-mail address"}})

NEW_CASE = _body({
    "channel": _opt_enum(Channel), "content": {"type": "string", "description": "required"},
    "title": OPT_STR, "citizen": {"anyOf": [CITIZEN, {"type": "null"}]},
    "address": OPT_STR, "type": _opt_enum(RequestType), "urgency": _opt_enum(Urgency),
    "category": {**OPT_STR, "description": "category code (GET /api/v1/categories)"},
    "department": {**OPT_STR, "description": "department code: dispatch at once"},
    "assist": {"type": ["array", "null"], "items": STR,
               "description": "codes of the assisting departments (协办); needs department"},
    "external_ref": OPT_STR, "recording_ref": OPT_STR,
    "suggested_category": OPT_STR, "suggested_department": OPT_STR,
}, ("content",))
NEW_CASE_EXAMPLE = {"channel": "phone", "content": "书院街路口每天早上占道卖菜，车都过不去",
                    "citizen": {"name": "陈先生", "phone": "13800001111"},
                    "category": "street_vending"}

SUGGEST = _body({"text": STR, "address": OPT_STR}, ("text",))

CASE_FILTERS = {
    "status": enum_of(CaseStatus), "department": STR, "channel": enum_of(Channel),
    "from": {"type": "string", "format": "date", "description": "YYYY-MM-DD (local)"},
    "to": {"type": "string", "format": "date", "description": "YYYY-MM-DD (local)"},
    "overdue": {"type": "string", "description": "1: only overdue cases"}, "q": STR,
    "category": {**STR, "description": "category code; - for none"},
    "district": {**STR, "description": "district name; - for none"},
    "type": enum_of(RequestType), "urgency": enum_of(Urgency),
    "pending": {"type": "string", "enum": ["extension"],
                "description": "extension: an extension request waits for a decision"},
    "reopened": {"type": "string", "description": "1: only cases reopened at least once"},
    "queue": {"type": "string", "enum": list(QUEUES), "description": "a supervisor's queue"},
    "phone": {**STR, "description": "the citizen's number in any common format "
                                    "(+86 139-1111-7777, 0571-87654321...); never answered"},
    "sort": {"type": "string", "enum": [p + k for k in SORTS for p in ("", "-")],
             "description": "column to sort by, - for descending; default -number"},
}
CASE_QUERY = _body({
    **CASE_FILTERS,
    "limit": {"type": "integer", "minimum": 1, "maximum": 200},
    "cursor": {"type": "string", "description": "next_cursor of the previous page"},
})
EXPORT_QUERY = _body({
    **CASE_FILTERS,
    "format": {"type": "string", "enum": ["csv", "xlsx"],
               "description": "csv (UTF-8 with BOM) or xlsx; csv by default"},
})
BULK = _body({
    "action": {"type": "string", "enum": list(BULK_ACTIONS)},
    "numbers": {"type": "array", "items": STR, "minItems": 1, "maxItems": MAX_CASES},
    "department": {**OPT_STR, "description": "dispatch: department code"},
    "category": OPT_STR, "note": {**OPT_STR, "description": "supervise: required"},
}, ("action", "numbers"))
BULK_EXAMPLE = {"action": "supervise", "numbers": ["20261201000001", "20261201000002"],
                "note": "请今天内处理"}

ACTION_PATH = {"action": {"type": "string", "enum": [a.replace("_", "-") for a in ACTIONS]
                          + [a for a in ACTIONS if "_" in a]}}
#: the type of each action field that is not a plain string; which fields there are comes
#: from the service's own list (cases.ACTION_PARAMS), so the contract cannot drift from it
ACTION_FIELD_TYPES: dict[str, dict[str, Any]] = {
    "days": {"type": "integer", "description": "extend: working days asked for"},
    "kb_article": {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID,
                   "description": "resolve: the knowledge-base article whose answer closes "
                                  "the consultation"},
    "assist": {"type": "array", "items": STR,
               "description": "dispatch: codes of the assisting departments (协办); "
                              "left out: the case keeps those it has"},
}
ACTION = _body({
    "version": {"type": "integer", "description": "the version read; 409 if it changed"},
    **{name: ACTION_FIELD_TYPES.get(name, STR)
       for name in sorted(set().union(*ACTION_PARAMS.values()))},
}, closed=False)

TRACK_QUERY = _body({"code": {"type": "string", "description": "the case's query code"}})
# The code is checked before the rating (a wrong code is 404 whatever the rating says), so
# the rating's values are documented here and checked by the service.
FEEDBACK = _body({"code": OPT_STR, "comment": OPT_STR, "satisfaction": {
    **OPT_STR, "description": "one of: " + ", ".join(s.value for s in Satisfaction
                                                   if s != Satisfaction.NOT_RATED)}})

CALL = _body({"call_id": STR, "caller": STR, "agent": STR, "recording": OPT_STR},
             ("call_id", "agent"))
PASSWORD = _body({"current_password": STR, "new_password": STR}, closed=False)
STATS_QUERY = _body({"from": {"type": "string", "format": "date"},
                     "to": {"type": "string", "format": "date"}, "department": STR})
MAP_QUERY = _body({"from": {"type": "string", "format": "date"},
                   "to": {"type": "string", "format": "date"}, "department": STR,
                   "category": STR, "district": STR, "street": STR,
                   "status": {"type": "string",
                              "enum": ["open", *(s.value for s in CaseStatus)]},
                   "limit": {"type": "integer", "minimum": 1, "maximum": 5000}})
MAP_ANSWER = {
    "type": "object", "required": ["type", "features", "total", "truncated"],
    "description": "GeoJSON FeatureCollection (RFC 7946) of Point features, WGS84 "
                   "[longitude, latitude]; each feature's id is the case number",
    "properties": {
        "type": {"const": "FeatureCollection"},
        "total": {"type": "integer", "description": "located cases matching the filter"},
        "truncated": {"type": "boolean", "description": "true when limit left some out"},
        "features": {"type": "array", "items": {
            "type": "object", "required": ["type", "id", "geometry", "properties"],
            "properties": {
                "type": {"const": "Feature"}, "id": STR,
                "geometry": {"type": "object", "properties": {
                    "type": {"const": "Point"},
                    "coordinates": {"type": "array", "items": {"type": "number"},
                                    "minItems": 2, "maxItems": 2}}},
                "properties": {"type": "object", "properties": {
                    "number": STR, "status": enum_of(CaseStatus),
                    "accuracy": {"type": ["string", "null"],
                                 "enum": ["exact", "street", "district", None]},
                    "category": OPT_STR, "district": OPT_STR, "street": OPT_STR,
                    "created_at": {"type": "string", "format": "date-time"}}}}}},
    },
}
QUALITY_CHECK = _body({"request": {**STR, "maxLength": 20000},
                       "reply": {**STR, "maxLength": 20000},
                       "type": _opt_enum(RequestType)}, ("request", "reply"))
QUALITY_CHECK_EXAMPLE = {"request": "玉林路烧烤摊油烟噪音扰民到凌晨",
                         "reply": "您好，执法队员6月3日到玉林路现场核查属实，"
                                  "已责令摊主23点前收摊。",
                         "type": "complaint"}
QUALITY_ANSWER = {
    "type": "object", "required": ["relevance", "findings"],
    "properties": {
        "relevance": {"type": "number", "minimum": 0, "maximum": 1},
        "signals": {"type": "object", "additionalProperties": {"type": "number"}},
        "findings": {"type": "array", "items": {
            "type": "object", "required": ["code", "severity", "message"],
            "properties": {"code": enum_of(FindingCode), "severity": enum_of(Severity),
                           "message": STR}}}}}

PHONE = {"type": "object", "required": ["number", "phone"],
         "properties": {"number": STR, "phone": STR}}
AUDIT_QUERY = _body({"limit": {"type": "integer", "minimum": 1, "maximum": MAX_READS_PAGE},
                     "before": {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID,
                                "description": "next_before of the previous page"}})
_READ = {"type": "object", "properties": {
    "id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
    "user_id": {"type": ["integer", "null"]}, "actor": OPT_STR, "case": STR, "what": STR,
    "via": STR, "client": OPT_STR}}
AUDIT = {"type": "object", "required": ["items", "next_before"], "properties": {
    "items": {"type": "array", "items": _READ}, "next_before": {"type": ["integer", "null"]}}}

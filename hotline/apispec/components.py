"""Shared schemas of the integration API: the error envelope, cases, reference data.

The enums come from :mod:`hotline.models.enums`, so a new state or channel appears in the
document without anyone editing it here.
"""

from __future__ import annotations

from typing import Any

from hotline.models.enums import CaseStatus, Channel, RequestType, Satisfaction, Urgency


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def enum_of(values: type, description: str | None = None) -> dict[str, Any]:
    """A string schema listing an enum's values."""
    schema: dict[str, Any] = {"type": "string", "enum": [v.value for v in values]}
    if description:
        schema["description"] = description
    return schema


STR = {"type": "string"}
OPT_STR = {"type": ["string", "null"]}
TIME = {"type": "string", "format": "date-time"}
OPT_TIME = {"type": ["string", "null"], "format": "date-time"}
BOOL = {"type": "boolean"}
INT = {"type": "integer"}


def _object(properties: dict[str, Any], required: list[str] | None = None,
            **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties,
            "required": required if required is not None else list(properties), **extra}


ERROR = _object({
    "error": _object({
        "code": {"type": "string", "description": "machine-readable reason",
                 "examples": ["invalid", "not_found", "unauthorized"]},
        "message": {"type": "string", "description": "in the language asked for"},
        "field": {"type": "string", "description": "the field at fault, when one is"},
    }, ["code", "message"]),
})

NAMES = _object({"zh_CN": STR, "en": STR}, description="the name in each interface language")

CASE_SUMMARY = _object({
    "number": {"type": "string", "examples": ["20250301-0001"]},
    "status": enum_of(CaseStatus), "channel": enum_of(Channel), "title": STR,
    "type": enum_of(RequestType), "urgency": enum_of(Urgency),
    "category": OPT_STR,
    "department": {**OPT_STR, "description": "the lead department (主办): it replies"},
    "assisting": {"type": "array", "items": STR,
                  "description": "codes of the assisting departments (协办)"},
    "via_department": {**OPT_STR, "description": "the district government that passed the "
                                                 "case on to this street office (二级派单)"},
    "district": OPT_STR,
    "created_at": TIME, "sign_deadline": OPT_TIME, "handle_deadline": OPT_TIME,
    "supervised": BOOL, "overdue": BOOL, "version": INT,
})

EVENT = _object({
    "action": STR, "at": TIME, "note": OPT_STR,
    "from_status": nullable(enum_of(CaseStatus)), "to_status": nullable(enum_of(CaseStatus)),
    "department": STR, "actor": OPT_STR, "public": BOOL,
    "data": {"type": ["object", "null"]},
}, ["action", "at"])

CASE_DETAIL = {"allOf": [ref("CaseSummary"), _object({
    "query_code": STR, "content": STR, "address": OPT_STR, "street": OPT_STR,
    "answer": OPT_STR,
    "citizen": _object({"name": OPT_STR, "phone": OPT_STR}),
    "reopen_count": INT, "return_count": INT, "extension_days": INT,
    "pending_extension": nullable(_object({"days": INT, "reason": OPT_STR})),
    "satisfaction": nullable(enum_of(Satisfaction)), "merged_into": OPT_STR,
    "external_ref": OPT_STR, "dispatched_at": OPT_TIME, "accepted_at": OPT_TIME,
    "replied_at": OPT_TIME, "closed_at": OPT_TIME,
    "events": {"type": "array", "items": ref("Event")},
    "suggestion": {"type": "object", "description": "routing suggestion (unrouted cases)"},
}, ["query_code", "content", "citizen", "events"])]}

PUBLIC_CASE = _object({
    "number": STR, "status": enum_of(CaseStatus), "title": STR, "content": STR,
    "created_at": TIME, "department": OPT_STR,
    "assisting": {"type": "array", "items": STR,
                  "description": "names of the assisting departments (协办)"},
    "answer": OPT_STR,
    "satisfaction": nullable(enum_of(Satisfaction)), "can_rate": BOOL, "merged_into": OPT_STR,
    "events": {"type": "array", "items": ref("Event")},
})

CASE_PAGE = _object({"items": {"type": "array", "items": ref("CaseSummary")},
                     "next_cursor": OPT_STR})

CATEGORY = _object({
    "code": STR, "name": ref("Names"), "parent": OPT_STR, "department": OPT_STR,
    "local_routing": BOOL, "active": BOOL,
})

DEPARTMENT: dict[str, Any] = _object({
    "code": STR, "name": ref("Names"), "district": OPT_STR, "active": BOOL,
    "children": {"type": "array", "items": ref("Department")},
})

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": ERROR, "Names": NAMES, "CaseSummary": CASE_SUMMARY, "Event": EVENT,
    "CaseDetail": CASE_DETAIL, "PublicCase": PUBLIC_CASE, "CasePage": CASE_PAGE,
    "Category": CATEGORY, "Department": DEPARTMENT,
}

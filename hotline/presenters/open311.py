"""GeoReport v2 answers: services, service definitions, service requests and errors, in the
JSON and XML shapes of the specification (wiki.open311.org/GeoReport_v2).

Only public fields are printed: the citizen, the phone, the exact address and internal notes
never appear; a position is rounded to about a hundred metres.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from hotline.i18n import current_language
from hotline.presenters.reference import names

_PHONE_LIKE = re.compile(r"\d{7,}")


def _w3c(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z") if value else None


def _name(name: str) -> str:
    return names(name)["en" if current_language() == "en" else "zh_CN"]


def service_json(category) -> dict[str, Any]:
    """One entry of ``GET services``."""
    group = category.parent.name if category.parent else None
    return {"service_code": category.code, "service_name": _name(category.name),
            "description": _name(category.full_name), "metadata": False, "type": "realtime",
            "keywords": "", "group": _name(group) if group else ""}


def definition_json(category) -> dict[str, Any]:
    """``GET services/<code>``: no extra attributes are asked for."""
    return {"service_code": category.code, "attributes": []}


def request_json(fields: dict[str, Any]) -> dict[str, Any]:
    """One service request from :func:`hotline.services.open311.public_fields`."""
    category, department = fields["category"], fields["department"]
    position = fields["position"]
    place = " ".join(p for p in (fields["district"], fields["street"]) if p)
    return {
        "service_request_id": fields["number"],
        "status": fields["status"],
        "status_notes": _PHONE_LIKE.sub("***", fields["answer"]) if fields["answer"] else "",
        "service_name": _name(category.name) if category else "",
        "service_code": category.code if category else "",
        "description": _PHONE_LIKE.sub("***", fields["title"] or ""),
        "agency_responsible": _name(department.name) if department else "",
        "service_notice": "",
        "requested_datetime": _w3c(fields["created_at"]),
        "updated_datetime": _w3c(fields["updated_at"]),
        "expected_datetime": _w3c(fields["deadline"]),
        "address": place,
        "address_id": "",
        "zipcode": "",
        "lat": round(position[0], 3) if position else None,
        "long": round(position[1], 3) if position else None,
        "media_url": "",
    }


def created_json(number: str) -> dict[str, Any]:
    """The answer to ``POST requests``: the new case number as the request id."""
    return {"service_request_id": number, "service_notice": "", "account_id": None}


def error_json(status: int, description: str) -> dict[str, Any]:
    """One GeoReport error; answers carry a list of them."""
    return {"code": status, "description": description}


def to_xml(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    """A list of flat rows as GeoReport XML: ``<root><item><field>..</field></item></root>``."""
    top = ET.Element(root)
    for row in rows:
        top.append(_element(item, row))
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def definition_xml(definition: dict[str, Any]) -> bytes:
    """``<service_definition>`` with its (empty) ``<attributes>``."""
    top = ET.Element("service_definition")
    ET.SubElement(top, "service_code").text = definition["service_code"]
    ET.SubElement(top, "attributes")
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def _element(tag: str, row: dict[str, Any]) -> ET.Element:
    node = ET.Element(tag)
    for name, value in row.items():
        child = ET.SubElement(node, name)
        if isinstance(value, bool):
            child.text = "true" if value else "false"
        elif value is not None:
            child.text = str(value)
    return node

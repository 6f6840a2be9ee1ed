"""Open311 GeoReport v2 at ``/open311/v2`` (discovery at ``/open311/discovery.json``).

Every answer is JSON or XML after the path's extension, as the specification shows; errors
too, in GeoReport's error list. ``POST requests`` takes ``api_key``: a hotline API token of
an account that may register cases (a gateway account with the agent role).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from hotline.errors import ServiceError
from hotline.presenters import open311 as show
from hotline.services import directory, open311
from hotline.services.actors import Actor
from hotline.unit_of_work import unit_of_work
from hotline.webutil import translate_error

bp = Blueprint("open311", __name__, url_prefix="/open311")
FORMATS = ("json", "xml")
SPEC = "http://wiki.open311.org/GeoReport_v2"
REQUEST_FIELDS = ("service_code", "description", "lat", "long", "address_string",
                  "first_name", "last_name", "phone", "email")


class Open311Unauthorized(ServiceError):
    status = 403
    code = "unauthorized"


@bp.url_value_preprocessor
def _known_format(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Every path ends in ``.json`` or ``.xml``; any other extension is 404."""
    if values and values.get("fmt") not in FORMATS:
        abort(404)


def _answer(fmt: str, rows: list[dict[str, Any]], root: str, item: str, status: int = 200):
    if fmt == "xml":
        return Response(show.to_xml(root, item, rows), status, mimetype="text/xml")
    return jsonify(rows), status


@bp.get("/discovery.<fmt>")
def discovery(fmt: str):
    """Where the GeoReport v2 endpoint is and what it speaks."""
    endpoint = url_for("open311.services", fmt="json", _external=True).rsplit("/", 1)[0]
    body = {"changeset": "2025-01-01T00:00:00Z", "contact": "12345",
            "key_service": "API tokens: hotline token-create",
            "endpoints": [{"specification": SPEC, "url": endpoint, "type": "production",
                           "changeset": "2025-01-01T00:00:00Z",
                           "formats": ["application/json", "text/xml"]}]}
    if fmt == "xml":
        rows = [{"specification": SPEC, "url": endpoint, "type": "production"}]
        return Response(show.to_xml("discovery", "endpoint", rows), mimetype="text/xml")
    return body


@bp.get("/v2/services.<fmt>")
def services(fmt: str):
    """The service list: the categories a request may name."""
    return _answer(fmt, [show.service_json(c) for c in open311.public_services()],
                   "services", "service")


@bp.get("/v2/services/<code>.<fmt>")
def service_definition(code: str, fmt: str):
    """A service's definition (this hotline asks no extra attributes)."""
    definition = show.definition_json(open311.service(code))
    if fmt == "xml":
        return Response(show.definition_xml(definition), mimetype="text/xml")
    return definition


@bp.get("/v2/requests.<fmt>")
def list_requests(fmt: str):
    """Service requests by ids, or by service code, status and date window."""
    args = request.args
    flt = open311.RequestFilter(
        service_request_id=args.get("service_request_id"), service_code=args.get("service_code"),
        status=args.get("status"), start_date=args.get("start_date"),
        end_date=args.get("end_date"))
    rows = [show.request_json(open311.public_fields(c)) for c in open311.find_requests(flt)]
    return _answer(fmt, rows, "service_requests", "request")


@bp.get("/v2/requests/<number>.<fmt>")
def one_request(number: str, fmt: str):
    """One service request, as a list of one (the specification's shape)."""
    row = show.request_json(open311.public_fields(open311.find_request(number)))
    return _answer(fmt, [row], "service_requests", "request")


@bp.post("/v2/requests.<fmt>")
def create_request(fmt: str):
    """Register a service request as a case; the answer's id is the case number."""
    form = request.form
    user = directory.user_for_token(form.get("api_key", "").strip())
    if user is None:
        raise Open311Unauthorized("api_key 无效或已撤销")
    new = open311.NewRequest(**{name: form.get(name) or None for name in REQUEST_FIELDS})
    with unit_of_work(keep_loaded=True):
        case = open311.register(Actor.from_user(user), new)
    return _answer(fmt, [show.created_json(case.number)], "service_requests", "request", 201)


@bp.errorhandler(ServiceError)
def _refused(exc: ServiceError):
    return _error(exc.status, translate_error(exc))


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException):
    return _error(exc.code or 500, exc.description or exc.name)


def _error(status: int, description: str):
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return _answer(fmt, [show.error_json(status, description)], "errors", "error", status)

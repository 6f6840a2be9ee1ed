"""Web helpers the blueprints share: error text and bodies, local time, client identity,
serving stored files.

This module sits below every blueprint and is imported by them; it never imports a
blueprint or the factory, so the web edge has no import circle.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, request, send_file
from markupsafe import Markup

from hotline.errors import ServiceError
from hotline.i18n import gettext, label
from hotline.models import Attachment
from hotline.services import storage


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a stored UTC time in the hotline's local zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime(fmt)


def nl2br(text: str | None) -> Markup:
    """Escape text and keep its line breaks."""
    if not text:
        return Markup("")
    return Markup("<br>").join(Markup.escape(text).split("\n"))


def wants_json() -> bool:
    """Whether the current request is answered in JSON (the API and channel webhooks)."""
    return request.path.startswith("/api/") or request.path.startswith("/channels/")


def error_body(code: str, message: str, field: str | None = None) -> dict:
    """The JSON body of a refusal: ``{"error": {"code", "message", "field"?}}``."""
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    return {"error": error}


def translate_error(exc: ServiceError) -> str:
    """A service's refusal as text in the request's language, its field named by label."""
    params = dict(exc.params)
    params.pop("retry_after", None)
    if exc.field:
        params.setdefault("field", label(exc.field))
    return gettext(exc.message, **params)


def client_key() -> str:
    """Who is asking, for rate limits: the client's address as the proxy reports it."""
    return request.remote_addr or "unknown"


def send_attachment(attachment: Attachment):
    """Serve a stored file with its sniffed type; never rendered as a page of this site."""
    response = send_file(storage.path_of(attachment), mimetype=attachment.content_type,
                         as_attachment=attachment.content_type == "application/pdf",
                         download_name=attachment.filename, max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response

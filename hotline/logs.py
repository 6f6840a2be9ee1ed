"""Logging set-up, with phone numbers masked in every record (they are personal data).

``HOTLINE_LOG_FORMAT=json`` writes one JSON object a line (time, level, logger, message,
request id, user id) for a log collector; ``text`` (the default) is for people. Records
logged while a request is served carry its id (:mod:`hotline.observability` sets it).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from flask import Flask, g, has_request_context

MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class MaskPhoneNumbers(logging.Filter):
    """Replace mobile numbers in log messages by 138****1234."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = MOBILE.sub(r"\1****\2", message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


class RequestContext(logging.Filter):
    """Put the current request's id and signed-in user's id on every record (``-`` and None
    outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id, user_id = "-", None
        if has_request_context():
            request_id = g.get("request_id", "-")
            user_id = user_id_of_request()
        record.request_id = getattr(record, "request_id", request_id)
        record.user_id = getattr(record, "user_id", user_id)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record; extra fields given with ``extra={"fields": {...}}`` are
    merged in (the access log sends method, path, status and duration this way)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "user_id": getattr(record, "user_id", None),
        }
        entry.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def user_id_of_request() -> int | None:
    """The id of the API token's user or the signed-in user, as far as the request already
    knows it (no query is made for a log line)."""
    actor = g.get("actor")
    if actor is not None and getattr(actor, "user_id", None) is not None:
        return actor.user_id
    user = g.get("_login_user")  # flask-login's cache of the loaded user
    return getattr(user, "id", None)


def formatter_for(fmt: str) -> logging.Formatter:
    """The formatter for ``HOTLINE_LOG_FORMAT``."""
    return JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def init_app(app: Flask) -> None:
    """Configure the root logger once per process: level, format, phone masking, request
    context. A second app in the same process (tests) changes nothing already set up."""
    level = app.config.get("LOG_LEVEL", "INFO")
    root = logging.getLogger()
    if not any(isinstance(f, MaskPhoneNumbers) for h in root.handlers for f in h.filters):
        if not root.handlers:
            logging.basicConfig(level=level)
            for handler in root.handlers:
                handler.setFormatter(formatter_for(app.config.get("LOG_FORMAT", "text")))
        for handler in root.handlers:
            handler.addFilter(MaskPhoneNumbers())
            handler.addFilter(RequestContext())
    app.logger.setLevel(level)

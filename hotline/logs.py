"""Logging set-up, with personal data masked in every record (个人信息保护).

One filter on every root handler masks, in the message and in any traceback: phone numbers
in all the formats :mod:`hotline.phones` knows, e-mail addresses, and query codes in URLs
(``code=…``). SQL parameters never reach a traceback: the engine hides them
(``hide_parameters``, set by the factory).

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

from hotline import phones

EMAIL = re.compile(r"([A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})")
QUERY_CODE = re.compile(r"((?:^|[?&;\s\"'])(?:code|query_code)=)[^&\s\"'#]+", re.IGNORECASE)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def mask_personal_data(text: str) -> str:
    """The text with phone numbers, e-mail addresses and ``code=`` values masked."""
    text = QUERY_CODE.sub(r"\1***", text)
    text = EMAIL.sub(r"\1***@\2", text)
    return phones.mask_in_text(text)


class MaskPersonalData(logging.Filter):
    """Mask personal data in a record's message and traceback before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
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
    merged in (the access log sends method, path, status and duration this way). A
    traceback is the one the masking filter already masked."""

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
        if record.exc_info or record.exc_text:
            entry["exception"] = record.exc_text or mask_personal_data(
                self.formatException(record.exc_info))
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
    """Configure the root logger once per process: level, format, masking of personal data,
    request context. A second app in the same process (tests) changes nothing already set."""
    level = app.config.get("LOG_LEVEL", "INFO")
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level)
        for handler in root.handlers:
            handler.setFormatter(formatter_for(app.config.get("LOG_FORMAT", "text")))
    for handler in root.handlers:
        if not any(isinstance(f, MaskPersonalData) for f in handler.filters):
            handler.addFilter(MaskPersonalData())
            handler.addFilter(RequestContext())
    app.logger.setLevel(level)

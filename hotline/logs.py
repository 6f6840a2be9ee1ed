"""Logging set-up, with personal data masked in every record (个人信息保护).

One filter on every root handler masks, in the message and in any traceback: phone numbers
in all the formats :mod:`hotline.phones` knows, e-mail addresses, and query codes in URLs
(``code=…``). SQL parameters never reach a traceback: the engine hides them
(``hide_parameters``, set by the factory).
"""

from __future__ import annotations

import logging
import re

from flask import Flask

from hotline import phones

EMAIL = re.compile(r"([A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})")
QUERY_CODE = re.compile(r"((?:^|[?&;\s\"'])(?:code|query_code)=)[^&\s\"'#]+", re.IGNORECASE)


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


def init_app(app: Flask) -> None:
    """Mask personal data on every root handler (once), and set the app's log level."""
    level = app.config.get("LOG_LEVEL", "INFO")
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in root.handlers:
        if not any(isinstance(f, MaskPersonalData) for f in handler.filters):
            handler.addFilter(MaskPersonalData())
    app.logger.setLevel(level)

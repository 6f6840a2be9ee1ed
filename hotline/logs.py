"""Logging set-up, with phone numbers masked in every record (they are personal data)."""

from __future__ import annotations

import logging
import re

from flask import Flask

MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


class MaskPhoneNumbers(logging.Filter):
    """Replace mobile numbers in log messages by 138****1234."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = MOBILE.sub(r"\1****\2", message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def init_app(app: Flask) -> None:
    level = app.config.get("LOG_LEVEL", "INFO")
    root = logging.getLogger()
    if not any(isinstance(f, MaskPhoneNumbers) for h in root.handlers for f in h.filters):
        if not root.handlers:
            logging.basicConfig(level=level,
                                format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for handler in root.handlers:
            handler.addFilter(MaskPhoneNumbers())
    app.logger.setLevel(level)

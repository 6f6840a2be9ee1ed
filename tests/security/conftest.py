"""The security tests run with CSRF protection on, as production does."""

from __future__ import annotations

import pytest
from flask import g

# What flask-login, i18n and Flask-WTF keep in ``g`` for the length of one request.
PER_REQUEST = ("_login_user", "lang", "csrf_token")


@pytest.fixture(autouse=True)
def _csrf_on(app) -> None:
    app.config["WTF_CSRF_ENABLED"] = True


@pytest.fixture(autouse=True)
def _fresh_g_per_request(app) -> None:
    """The ``app`` fixture keeps one app context open, which every test request reuses, so
    ``g`` would carry the last request's user, language and CSRF token into the next one
    (and across clients). In production each request has its own context; so here too."""
    def forget() -> None:
        for name in PER_REQUEST:
            g.pop(name, None)

    app.before_request_funcs.setdefault(None, []).insert(0, forget)

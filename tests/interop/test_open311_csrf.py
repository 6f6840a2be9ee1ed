"""With CSRF on (as in production): an Open311 client (no session) posts with its key
alone; a browser signed in to the hotline cannot be made to post there without the token."""

from __future__ import annotations

import pytest
from flask import g

from tests.security_helpers import login

FORM = {"service_code": "property_mgmt", "description": "小区电梯坏了三天",
        "address_string": "锦江区书院街"}


@pytest.fixture(autouse=True)
def _csrf_on(app) -> None:
    app.config["WTF_CSRF_ENABLED"] = True

    def forget() -> None:  # one request, one g (see tests/security/conftest.py)
        for name in ("_login_user", "lang", "csrf_token"):
            g.pop(name, None)
    app.before_request_funcs.setdefault(None, []).insert(0, forget)


def test_a_client_without_a_session_needs_only_its_key(client, world):
    response = client.post("/open311/v2/requests.json",
                           data={"api_key": world.tokens["agent"], **FORM})
    assert response.status_code == 201


def test_a_signed_in_browser_is_refused_without_the_token(client, world):
    assert login(client, "agent").status_code == 302
    response = client.post("/open311/v2/requests.json",
                           data={"api_key": world.tokens["agent"], **FORM})
    assert response.status_code == 400

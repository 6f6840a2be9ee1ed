"""Helpers for tests that run with CSRF protection on: read a page's token and sign in the
way a browser does (form token included)."""

from __future__ import annotations

import re

from tests import factories

TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token a page of this client's session carries."""
    response = client.get(path)
    match = TOKEN.search(response.get_data(as_text=True))
    assert match, f"no csrf-token meta tag on {path} ({response.status_code})"
    return match.group(1)


def login(client, username: str, password: str = factories.PASSWORD, **form):
    """Sign in through the form with its token (what a browser sends)."""
    data = {"username": username, "password": password, "csrf_token": csrf_token(client)}
    data.update(form)
    return client.post("/login", data=data)


def logout(client):
    """Sign out through the form with its token."""
    return client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

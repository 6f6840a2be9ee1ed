"""A live server and headless Chromium for end-to-end tests; skipped (with the reason)
where Chromium is not installed."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def live_server(app, world) -> Iterator[str]:
    app.config["WTF_CSRF_ENABLED"] = True  # the pages' forms and scripts send their tokens
    server = make_server("127.0.0.1", 0, _files_closed(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def _files_closed(app):
    """Read each answer whole and close it at once. Werkzeug's development server skips
    ``close()`` when the browser resets the connection while it drains the request (a page
    left while a script loads), and the open static file then warns at collection, at a
    moment no test owns. Pages here are small and none streams."""
    def wsgi(environ, start_response):
        result = app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            if hasattr(result, "close"):
                result.close()
    return wsgi


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium): browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def guard(route):
        # Government intranets are offline: a page that reaches out is a bug.
        outside.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith(live_server), guard)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert outside == [], f"pages tried to load from outside hosts: {outside}"


def login(page, username: str, password: str = "Kestrel-lamp-river-72") -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")

"""Sessions end on the server's word: logout, a password change, an admin's reset and
deactivation revoke every session and remember-me cookie of the account."""

from __future__ import annotations

from hotline.extensions import db
from hotline.security import safe_next
from hotline.services import accounts, directory
from hotline.unit_of_work import unit_of_work
from tests.security_helpers import csrf_token, login, logout

NEW = "Another-long-phrase-42"


def _copy_cookies(source, target) -> None:
    for name in ("session", "remember_token"):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def _signed_in(client) -> bool:
    return client.get("/admin").status_code == 200


def test_a_copied_session_cookie_dies_with_logout(app, client, world):
    login(client, "admin")
    thief = app.test_client()
    _copy_cookies(client, thief)
    assert _signed_in(thief)
    logout(client)
    assert not _signed_in(thief)


def test_remember_me_changes_at_every_login_and_dies_with_logout(app, client, world):
    login(client, "admin", remember="1")
    first = client.get_cookie("remember_token").value
    logout(client)
    login(client, "admin", remember="1")
    second = client.get_cookie("remember_token").value
    assert first != second
    thief = app.test_client()
    thief.set_cookie("remember_token", second)
    assert _signed_in(thief)  # the remember cookie alone signs in...
    logout(client)
    fresh = app.test_client()
    fresh.set_cookie("remember_token", second)
    assert not _signed_in(fresh)  # ...until the user signs out


def test_remember_cookie_is_samesite_lax_and_bounded(app, client, world):
    response = login(client, "admin", remember="1")
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    assert "SameSite=Lax" in remember and "HttpOnly" in remember
    assert app.config["REMEMBER_COOKIE_DURATION"].days == 14


def test_secure_cookies_setting_marks_every_cookie(app, client, world):
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True,
                      SECURE_COOKIES=True)
    client.get("/?lang=en")
    response = login(client, "admin", remember="1")
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c for c in cookies)
    lang = client.get("/?lang=zh_CN").headers.get("Set-Cookie")
    assert "Secure" in lang and "SameSite=Lax" in lang


def test_secure_cookies_default_follows_the_public_url(tmp_path, redis_url):
    from hotline.app import create_app
    from tests.conftest import app_config

    https = create_app({**app_config(tmp_path, redis_url), "PUBLIC_URL": "https://x.gov"})
    plain = create_app({**app_config(tmp_path, redis_url)})
    assert https.config["SESSION_COOKIE_SECURE"] and https.config["REMEMBER_COOKIE_SECURE"]
    assert not plain.config["SESSION_COOKIE_SECURE"]


def test_password_change_ends_other_sessions(app, client, world):
    login(client, "agent")
    other = app.test_client()
    login(other, "agent")
    response = client.post("/account/password", data={
        "current_password": "Kestrel-lamp-river-72", "password": NEW, "confirm": NEW,
        "csrf_token": csrf_token(client, "/account/password")})
    assert response.status_code == 302
    assert client.get("/agent").status_code == 200  # this browser stays signed in
    assert other.get("/agent").status_code == 302  # the other one is out
    logout(client)
    assert login(client, "agent", password=NEW).status_code == 302


def test_admin_reset_forces_a_change_and_signs_the_user_out(app, client, world):
    user_client = app.test_client()
    login(user_client, "agent")
    login(client, "admin")
    response = client.post("/admin/users", data={
        "op": "reset", "username": "agent", "password": "Temporary-pass-set-1",
        "csrf_token": csrf_token(client, "/admin/users")})
    assert response.status_code == 303
    assert user_client.get("/agent").status_code == 302
    login(user_client, "agent", password="Temporary-pass-set-1")
    page = user_client.get("/agent")
    assert page.status_code == 302 and page.headers["Location"].endswith("/account/password")
    user_client.post("/account/password", data={
        "current_password": "Temporary-pass-set-1", "password": NEW, "confirm": NEW,
        "csrf_token": csrf_token(user_client, "/account/password")})
    assert user_client.get("/agent").status_code == 200


def test_deactivation_ends_sessions(app, client, world):
    login(client, "agent")
    directory.set_user_active("agent", False)
    directory.set_user_active("agent", True)
    assert client.get("/agent").status_code == 302


def test_api_changes_own_password_with_a_token(api, world):
    response = api("agent").post("/api/v1/me/password", json={
        "current_password": "Kestrel-lamp-river-72", "new_password": NEW})
    assert response.status_code == 200
    user = directory.user_by_username("agent")
    assert user.check_password(NEW) and user.session_version == 2


def test_api_refuses_a_weak_new_password(api, world):
    response = api("agent").post("/api/v1/me/password", json={
        "current_password": "Kestrel-lamp-river-72", "new_password": "password1234"})
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "password"


def test_reset_through_the_service_bumps_the_version(app, world):
    before = directory.user_by_username("urban").session_version
    with unit_of_work():
        accounts.reset_password("urban", "Temporary-pass-set-1")
    db.session.expire_all()
    user = directory.user_by_username("urban")
    assert user.session_version == before + 1 and user.must_change_password


def test_safe_next_refuses_everything_but_local_paths():
    good = ["/agent", "/cases?q=1", "/admin/users#x"]
    bad = ["//evil.example/", "/%09/evil.example/", "/\\evil.example", "https://evil.example",
           "javascript:alert(1)", "/a\r\nSet-Cookie: x=1", "/%0d%0aX: 1", "\t/agent",
           "/%2F/evil.example", "", None, "evil.example", "/%5Cevil.example"]
    assert [safe_next(t) for t in good] == good
    assert [safe_next(t) for t in bad] == [None] * len(bad)


def test_login_never_redirects_off_site_nor_fails_on_crlf(client, world):
    for target in ("/%09/evil.example/", "//evil.example", "/a%0d%0aX-Injected:%201"):
        token = csrf_token(client)
        response = client.post(f"/login?next={target}", data={
            "username": "admin", "password": "Kestrel-lamp-river-72", "csrf_token": token})
        assert response.status_code == 302
        assert response.headers["Location"] == "/admin"
        logout(client)

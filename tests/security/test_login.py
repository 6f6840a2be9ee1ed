"""Sign-in: throttled per account and per client with growing delays, the same cost for an
unknown user, a password policy with a shipped common-password list."""

from __future__ import annotations

import pytest

from hotline.errors import InvalidInput
from hotline.models import user as user_model
from hotline.services import accounts, throttle
from tests import factories
from tests.security_helpers import csrf_token, login


def _wrong(client, username="admin"):
    return client.post("/login", data={"username": username, "password": "not-the-password",
                                       "csrf_token": csrf_token(client)})


def test_wrong_passwords_are_slowed_down_then_even_the_right_one_waits(app, client, world):
    free = app.config["LOGIN_FREE_FAILURES"]
    for _ in range(free):
        assert _wrong(client).status_code == 401
    blocked = login(client, "admin")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    assert "登录失败次数过多" in blocked.get_data(as_text=True)


def test_delays_grow_with_each_failure():
    rule = throttle.Rule(free=5, base=1, max_delay=900, window=3600)
    delays = [throttle.delay_for(n, rule) for n in range(4, 16)]
    assert delays[0] == 0 and delays[1:4] == [1, 2, 4] and delays[-1] == 900
    assert delays == sorted(delays)


def test_throttle_waits_are_counted_from_the_last_failure(app):
    rule = throttle.Rule(free=1, base=10, max_delay=100, window=60)
    throttle.count_failure(["k"], rule.keep, now=1000.0)
    assert throttle.wait_seconds("k", rule, now=1001.0) == 9
    assert throttle.wait_seconds("k", rule, now=1011.0) == 0


def test_another_client_may_still_sign_in_to_its_own_account(app, client, world):
    for _ in range(app.config["LOGIN_FREE_FAILURES"]):
        _wrong(client, "admin")
    assert login(client, "agent").status_code == 302


def test_a_success_clears_the_accounts_failures(app, client, world):
    for _ in range(app.config["LOGIN_FREE_FAILURES"] - 1):
        _wrong(client, "agent")
    assert login(client, "agent").status_code == 302
    assert throttle.failures("hotline:login:user:agent") == 0


def test_unknown_user_costs_one_hash_like_a_known_one(monkeypatch, client, world):
    calls = []
    real = user_model.check_password_hash
    monkeypatch.setattr(user_model, "check_password_hash",
                        lambda h, p: calls.append(h) or real(h, p))
    assert _wrong(client, "nobody-here").status_code == 401
    assert _wrong(client, "admin").status_code == 401
    assert len(calls) == 2 and calls[0].startswith("scrypt:")


def test_hashing_is_bounded(app, monkeypatch):
    monkeypatch.setattr(accounts, "HASH_WAIT_SECONDS", 0.01)
    app.config["HASH_CONCURRENCY"] = 1
    slot = accounts._hash_slot()
    slot.__enter__()
    try:
        with pytest.raises(accounts.TooManyAttempts):
            with accounts._hash_slot():
                pass
    finally:
        slot.__exit__(None, None, None)


@pytest.mark.parametrize("password", ["short-1", "password1234", "Password1234",
                                      "qwertyuiop123", "123456789012", "my-admin-secret-9"])
def test_weak_passwords_are_refused(password, app):
    with pytest.raises(InvalidInput):
        accounts.check_password_policy(password, "admin")


def test_a_good_password_passes(app):
    accounts.check_password_policy(factories.PASSWORD, "admin")
    assert len(accounts.common_passwords()) > 2000


def test_admin_cannot_create_an_account_with_a_weak_password(client, world):
    login(client, "admin")
    client.post("/admin/users", data={"username": "weak", "role": "agent",
                                      "password": "password", "csrf_token":
                                      csrf_token(client, "/admin/users")})
    from sqlalchemy import select

    from hotline.extensions import db
    from hotline.models import User

    assert db.session.scalars(select(User).where(User.username == "weak")).first() is None

"""Behind trusted proxies every throttle keys on the real client; guessing a case's code
slows the guesser, never the citizen; new query codes are 8 unambiguous characters."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from hotline.app import create_app
from hotline.extensions import db
from hotline.models import Case
from hotline.security import trust_proxies
from hotline.services.numbering import QUERY_CODE_ALPHABET, new_query_code
from tests.conftest import app_config


def _track(client, case, code, ip):
    return client.get(f"/api/v1/track/{case['number']}?code={code}",
                      headers={"X-Forwarded-For": ip})


def test_trusted_proxies_setting_wraps_the_app(tmp_path, redis_url):
    app = create_app({**app_config(tmp_path, redis_url), "TRUSTED_PROXIES": 2})
    assert isinstance(app.wsgi_app, ProxyFix)
    assert app.wsgi_app.x_for == 2 and app.wsgi_app.x_proto == 2 and app.wsgi_app.x_host == 2
    plain = create_app(app_config(tmp_path, redis_url))
    assert not isinstance(plain.wsgi_app, ProxyFix)


def test_clients_behind_the_proxy_have_their_own_buckets(app, api, client):
    trust_proxies(app, 1)
    case = api.create_case()
    for _ in range(app.config["TRACK_MAX_FAILURES"]):
        _track(client, case, "WRONG123", "203.0.113.7")
    assert _track(client, case, case["query_code"], "203.0.113.7").status_code == 429
    assert _track(client, case, case["query_code"], "198.51.100.9").status_code == 200


def test_without_trusted_proxies_the_header_is_ignored(app, api, client):
    case = api.create_case()
    for n in range(app.config["TRACK_MAX_FAILURES"]):
        _track(client, case, "WRONG123", f"203.0.113.{n}")
    assert _track(client, case, case["query_code"], "198.51.100.9").status_code == 429


def test_a_guessed_at_number_still_opens_for_the_right_code(app, api, client):
    trust_proxies(app, 1)
    app.config["TRACK_NUMBER_MAX_FAILURES"] = 20
    case = api.create_case()
    for n in range(30):  # a distributed guesser: many clients, one number
        _track(client, case, "WRONG123", f"203.0.113.{n}")
    assert _track(client, case, case["query_code"], "198.51.100.9").status_code == 200
    # under attack, each client gets two tries on that number
    assert _track(client, case, "WRONG999", "198.51.100.10").status_code == 404
    assert _track(client, case, "WRONG998", "198.51.100.10").status_code == 404
    assert _track(client, case, case["query_code"], "198.51.100.10").status_code == 429


def test_the_guessing_client_waits_longer_each_time(app, api, client):
    from hotline.services import throttle, tracking

    case = api.create_case()
    for _ in range(app.config["TRACK_MAX_FAILURES"]):
        _track(client, case, "WRONG123", "x")
    rule = tracking._rule()
    key = "hotline:track:client:127.0.0.1"
    first = throttle.wait_seconds(key, rule)
    throttle.count_failure([key], rule.keep)
    assert throttle.wait_seconds(key, rule) > first >= app.config["TRACK_WINDOW_SECONDS"] - 1


def test_new_codes_are_eight_unambiguous_characters():
    codes = {new_query_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and set(c) <= set(QUERY_CODE_ALPHABET) for c in codes)
    assert not set("01OI") & set(QUERY_CODE_ALPHABET)


def test_codes_are_read_forgivingly_and_old_six_digit_codes_still_work(app, api, client):
    case = api.create_case()
    code = case["query_code"]
    typed = f"{code[:4].lower()}-{code[4:]}"
    assert client.get(f"/api/v1/track/{case['number']}?code={typed}").status_code == 200
    row = db.session.scalars(select(Case).where(Case.number == case["number"])).one()
    row.query_code = "042917"
    db.session.commit()
    assert client.get(f"/api/v1/track/{case['number']}?code=042917").status_code == 200


def test_non_ascii_code_is_a_plain_miss(api, client):
    case = api.create_case()
    assert client.get(f"/api/v1/track/{case['number']}?code=查询码").status_code == 404

"""Try the attacks of issue 11 (parts A and B) against a fresh app through the test client and
print how many it withstood.

    .venv/bin/python bench/security_probe.py

Each probe builds on a fresh SQLite database with the test world (tests/factories.py), CSRF
on as in production, and reports ``ok`` (defended) or ``FAIL``. A probe that raises counts as
failed: the attack found a 500 or a missing feature.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import sys
import tempfile
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hotline import broker  # noqa: E402
from hotline.models import Base, utcnow  # noqa: E402
from tests import factories  # noqa: E402
from tests.conftest import app_config, build_app  # noqa: E402

PROBES = []


def probe(fn):
    """Register one attack; it returns True when the app withstood it."""
    PROBES.append(fn)
    return fn


class Env:
    """A fresh app, its test world, a case and clients."""

    def __init__(self, tmp: Path, redis_url: str) -> None:
        config = app_config(tmp, redis_url)
        config.update(WTF_CSRF_ENABLED=True, SMS_SECRET="sms-secret", WECHAT_TOKEN="wx-token")
        self.app = build_app(config)
        self.ctx = self.app.app_context()
        self.ctx.push()
        from hotline.extensions import db
        Base.metadata.create_all(db.engine)
        factories.seed_reference_data()
        self.world = factories.make_world()
        broker.get_redis().flushdb()
        self.bearer = {u: {"Authorization": f"Bearer {t}"} for u, t in self.world.tokens.items()}
        client = self.app.test_client()
        response = client.post("/api/v1/cases", headers=self.bearer["agent"], json={
            "channel": "phone", "content": "书院街路口每天早上占道卖菜，车都过不去",
            "citizen": {"name": "陈先生", "phone": "13911117777"}, "department": "URBAN"})
        self.case = response.get_json()

    def close(self) -> None:
        from hotline.extensions import db
        db.session.remove()
        db.engine.dispose()
        self.ctx.pop()

    def login(self, username: str):
        client = self.app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = _csrf(page)
        client.post("/login", data={"username": username, "password": factories.PASSWORD,
                                    "csrf_token": token})
        return client


def _csrf(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.find(marker)
    return html[start + len(marker):html.find('"', start + len(marker))] if start >= 0 else ""


def _api(env: Env, user: str, method: str, url: str, **kw):
    return env.app.test_client().open(url, method=method, headers=env.bearer[user], **kw)


# ---------------------------------------------------------------- part A


@probe
def csrf_form_without_token(env):
    client = env.login("agent")
    response = client.post(f"/cases/{env.case['number']}/supervise", data={"note": "x"})
    return response.status_code == 400


@probe
def session_cookie_after_logout(env):
    client = env.login("agent")
    cookie = client.get_cookie("session")
    page = client.get("/cases").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": _csrf(page)})
    thief = env.app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief.get("/cases").status_code in (302, 401)


@probe
def open_redirect_after_login(env):
    client = env.app.test_client()
    token = _csrf(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=//evil.example/x", data={
        "username": "agent", "password": factories.PASSWORD, "csrf_token": token})
    return "evil.example" not in response.headers.get("Location", "")


@probe
def crlf_in_next(env):
    client = env.app.test_client()
    response = client.get("/login", query_string={"next": "/cases\r\nSet-Cookie: x=1"})
    return response.status_code < 500 and "x=1" not in str(response.headers)


@probe
def login_throttle(env):
    client = env.app.test_client()
    statuses = []
    for _ in range(8):
        token = _csrf(client.get("/login").get_data(as_text=True))
        statuses.append(client.post("/login", data={"username": "agent", "password": "wrong",
                                                    "csrf_token": token}).status_code)
    return 429 in statuses


@probe
def forwarded_for_ignored_without_proxies(env):
    client = env.app.test_client()
    number = env.case["number"]
    statuses = [client.get(f"/api/v1/track/{number}", query_string={"code": "WRONG234"},
                           headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
                for i in range(12)]
    return 429 in statuses


# ---------------------------------------------------------------- part B: input


@probe
def nul_in_anonymous_tracking(env):
    response = env.app.test_client().get(f"/api/v1/track/{env.case['number']}",
                                         query_string={"code": "AB\x00CD"})
    return 400 <= response.status_code < 500 and response.status_code != 404


def _chat_client(env):
    """A citizen's browser on the chat page: the CSRF token from its meta tag as a header."""
    client = env.app.test_client()
    page = client.get("/chat").get_data(as_text=True)
    marker = 'name="csrf-token" content="'
    start = page.find(marker) + len(marker)
    return client, {"X-CSRFToken": page[start:page.find('"', start)]}


@probe
def nul_in_chat(env):
    client, headers = _chat_client(env)
    response = client.post("/chat/conversations", json={"text": "hi\x00"}, headers=headers)
    return response.status_code == 422


@probe
def nul_in_login(env):
    client = env.app.test_client()
    token = _csrf(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "ag\x00ent", "password": "x",
                                           "csrf_token": token})
    return response.status_code == 422


@probe
def lone_surrogate_in_api(env):
    response = _api(env, "agent", "POST", "/api/v1/cases",
                    data='{"content": "a\\ud800b"}', content_type="application/json")
    return response.status_code == 422 and response.get_json()["error"].get("field") == "content"


@probe
def deep_json(env):
    response = _api(env, "agent", "POST", "/api/v1/cases", data="[" * 100_000 + "]" * 100_000,
                    content_type="application/json")
    return 400 <= response.status_code < 500


@probe
def overflowing_cursor(env):
    cursor = base64.urlsafe_b64encode(str(10**40).encode()).decode().rstrip("=")
    response = _api(env, "agent", "GET", "/api/v1/cases", query_string={"cursor": cursor})
    return response.status_code == 422


@probe
def far_date_in_stats(env):
    response = _api(env, "admin", "GET", "/api/v1/stats",
                    query_string={"from": "9999-12-31", "to": "9999-12-31"})
    return response.status_code == 422


@probe
def invisible_only_content(env):
    response = _api(env, "agent", "POST", "/api/v1/cases", json={"content": "\u200b\ufeff"})
    return response.status_code == 422


@probe
def fractional_days(env):
    number = env.case["number"]
    _api(env, "urban", "POST", f"/api/v1/cases/{number}/accept")
    response = _api(env, "urban", "POST", f"/api/v1/cases/{number}/extend",
                    json={"days": 2.9, "reason": "协调"})
    return response.status_code == 422


@probe
def unknown_action_field(env):
    response = _api(env, "supervisor", "POST", f"/api/v1/cases/{env.case['number']}/supervise",
                    json={"note": "督办", "surprise": 1})
    return response.status_code == 422


@probe
def forged_event_data(env):
    response = _api(env, "supervisor", "POST", f"/api/v1/cases/{env.case['number']}/supervise",
                    json={"note": "督办", "data": {"automatic": True, "text": "x" * 1000}})
    if response.status_code >= 400:
        return response.status_code < 500
    events = response.get_json()["events"]
    return all(not (e.get("data") or {}).get("automatic") for e in events)


# ---------------------------------------------------------------- part B: personal data


@probe
def department_sees_query_code(env):
    body = _api(env, "urban", "GET", f"/api/v1/cases/{env.case['number']}").get_json()
    page = env.login("urban").get(f"/cases/{env.case['number']}").get_data(as_text=True)
    return not body.get("query_code") and env.case["query_code"] not in page


@probe
def full_phone_in_case_page(env):
    page = env.login("agent").get(f"/cases/{env.case['number']}").get_data(as_text=True)
    return "13911117777" not in page


@probe
def cache_control_on_staff_pages(env):
    response = env.login("agent").get(f"/cases/{env.case['number']}")
    api = _api(env, "agent", "GET", f"/api/v1/cases/{env.case['number']}")
    return "no-store" in response.headers.get("Cache-Control", "") \
        and "no-store" in api.headers.get("Cache-Control", "")


@probe
def phone_formats_masked_in_logs(env):
    stream = io.StringIO()
    root = logging.getLogger()
    handler = root.handlers[0] if root.handlers else None
    if handler is None:
        return False
    capture = logging.StreamHandler(stream)
    capture.filters = list(handler.filters)  # the filters the app put on the root handler
    capture.handle(logging.LogRecord(
        "probe", logging.WARNING, __file__, 1,
        "caller +86 139-1111-7777, 0571-87654321, z@example.com, /track?code=ABCD2345", (),
        None))
    text = stream.getvalue()
    return not any(s in text for s in ("1111-7777", "87654321", "z@example", "ABCD2345"))


# ---------------------------------------------------------------- part B: channels


def _wechat_params(token: str, nonce: str) -> dict:
    stamp = str(int(utcnow().timestamp()))
    signature = hashlib.sha1("".join(sorted((token, stamp, nonce))).encode()).hexdigest()
    return {"signature": signature, "timestamp": stamp, "nonce": nonce}


def _wechat_text(content: str, msg_id: str) -> bytes:
    return (f"<xml><ToUserName><![CDATA[gh_a]]></ToUserName><FromUserName><![CDATA[oOpenId1]]>"
            f"</FromUserName><CreateTime>{int(utcnow().timestamp())}</CreateTime><MsgType>"
            f"<![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id}</MsgId></xml>").encode()


@probe
def replayed_wechat_nonce(env):
    params = _wechat_params("wx-token", "probe-nonce")
    client = env.app.test_client()
    client.post("/channels/wechat", query_string=params, data=_wechat_text("路灯坏了", "71"),
                headers={"Content-Type": "text/xml"})
    replay = client.post("/channels/wechat", query_string=params,
                         data=_wechat_text("伪造", "72"), headers={"Content-Type": "text/xml"})
    return replay.status_code == 403


@probe
def sms_with_nul_in_its_id(env):
    import hmac
    body = json.dumps({"message_id": "SM-\u0000", "from": "13800001111",
                       "text": "路灯"}).encode()
    signature = hmac.new(b"sms-secret", body, hashlib.sha256).hexdigest()
    response = env.app.test_client().post(
        "/channels/sms", data=body,
        headers={"Content-Type": "application/json", "X-Hotline-Signature": signature})
    return response.status_code == 200


@probe
def chat_flood(env):
    client, headers = _chat_client(env)
    chat = client.post("/chat/conversations", json={"text": "你好"}, headers=headers).get_json()
    url = f"/chat/conversations/{chat['id']}/lines"
    statuses = [client.post(url, json={"text": "x" * 1000},
                            headers={**headers, "X-Chat-Token": chat["token"]}).status_code
                for _ in range(30)]
    return 429 in statuses


def main() -> int:
    """Run every probe on a fresh app; print each outcome and the totals."""
    logging.basicConfig(level=logging.WARNING)
    logging.disable(logging.ERROR)
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        server = broker.start_embedded(str(Path(tmp) / "redis"))
        try:
            for fn in PROBES:
                work = Path(tmp) / fn.__name__
                work.mkdir()
                env = Env(work, broker.embedded_url(server))
                try:
                    ok = bool(fn(env))
                except Exception:  # noqa: BLE001 - a crash is a failed defence
                    ok = False
                    detail = traceback.format_exc(limit=1).strip().splitlines()[-1]
                    print(f"     {fn.__name__}: {detail}")
                finally:
                    env.close()
                passed, failed = passed + ok, failed + (not ok)
                print(f"{'ok  ' if ok else 'FAIL'} {fn.__name__}")
        finally:
            server.shutdown()
    print(f"\n{passed} passed, {failed} failed of {len(PROBES)} probes")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

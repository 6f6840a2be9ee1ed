"""Helpers for the channel intake tests: signed gateway calls and solved challenges."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from hotline.channels import challenge
from hotline.extensions import db
from hotline.models import Case, InboundMessage, OutboxMessage, utcnow

SAMPLES = Path(__file__).resolve().parent.parent / "channels" / "samples"
SMS_SECRET = "sms-shared-secret"
WECHAT_TOKEN = "wx-token-12345"


@pytest.fixture
def channels(app, world):
    """The app with the WeChat and SMS gateways configured (and the test world)."""
    app.config["SMS_SECRET"] = SMS_SECRET
    app.config["WECHAT_TOKEN"] = WECHAT_TOKEN
    return app


def sample(*parts: str) -> bytes:
    return SAMPLES.joinpath(*parts).read_bytes()


def sms_body(message_id: str = "SM-1", sender: str = "13800001111",
             text: str = "书院街路口的路灯坏了三天了，晚上很黑", **extra: Any) -> bytes:
    return json.dumps({"message_id": message_id, "from": sender, "text": text, **extra},
                      ensure_ascii=False).encode("utf-8")


def sms_signature(body: bytes, secret: str = SMS_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_sms(client, body: bytes, signature: str | None = None):
    headers = {"Content-Type": "application/json",
               "X-Hotline-Signature": signature if signature is not None
               else sms_signature(body)}
    return client.post("/channels/sms", data=body, headers=headers)


def wechat_params(token: str = WECHAT_TOKEN, timestamp: int | None = None,
                  nonce: str | None = None) -> dict[str, str]:
    """Signed query parameters of one push; a fresh nonce each time, as the platform sends
    (a nonce used again with another body is refused as a replay)."""
    nonce = nonce or secrets.token_hex(8)
    stamp = str(timestamp if timestamp is not None else int(utcnow().timestamp()))
    signature = hashlib.sha1("".join(sorted((token, stamp, nonce))).encode()).hexdigest()
    return {"signature": signature, "timestamp": stamp, "nonce": nonce}


def post_wechat(client, body: bytes, **params: Any):
    return client.post("/channels/wechat", query_string=params or wechat_params(), data=body,
                       headers={"Content-Type": "text/xml"})


def wechat_text(content: str, msg_id: str = "1001", sender: str = "oCitizenOpenId0001") -> bytes:
    return (f"<xml><ToUserName><![CDATA[gh_account01]]></ToUserName>"
            f"<FromUserName><![CDATA[{sender}]]></FromUserName>"
            f"<CreateTime>{int(utcnow().timestamp())}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id}</MsgId></xml>").encode()


def solved_challenge(secret: str = "test-secret", seconds_ago: int = 30,
                     seed: int | None = None) -> tuple[str, str]:
    """A token issued a little while ago and its answer (found by asking ``verify``)."""
    issued_at = utcnow() - timedelta(seconds=seconds_ago)
    issued = challenge.issue(secret, issued_at,
                             rng=random.Random(seed) if seed is not None else None)
    for guess in range(0, 200):
        try:
            challenge.verify(secret, issued.token, str(guess), issued_at + timedelta(seconds=10))
        except challenge.ChallengeError:
            continue
        return issued.token, str(guess)
    raise AssertionError("no answer found")


def messages() -> list[InboundMessage]:
    db.session.expire_all()
    return db.session.query(InboundMessage).order_by(InboundMessage.id).all()


def all_cases() -> list[Case]:
    db.session.expire_all()
    return db.session.query(Case).order_by(Case.id).all()


def outbox_to(recipient: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.query(OutboxMessage).filter_by(recipient=recipient).order_by(
        OutboxMessage.id).all()


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
       b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

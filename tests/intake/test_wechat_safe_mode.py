"""WeChat safe mode (安全模式) end to end, cross-checked against wechatpy's own WeChatCrypto;
media fetched by MediaId from a local fake of the WeChat API; template links and keys."""

from __future__ import annotations

import hashlib
import secrets
import xml.etree.ElementTree as ET

import pytest
from wechatpy.crypto import WeChatCrypto

from hotline.channels import ParseError, SignatureError
from hotline.channels.wechat_crypto import WechatCrypto, aes_key
from hotline.config import ConfigError, settings_from_mapping
from hotline.extensions import db
from hotline.gateways import OutboundMessage
from hotline.models import Attachment, utcnow
from hotline.services import followup, links, outbox, storage
from tests.gateways.test_gateway_http import Reply, no_proxy, provider, wechat_gateway  # noqa: F401
from tests.intake.conftest import WECHAT_TOKEN, all_cases, messages, sample, wechat_text
from workflows import media as media_jobs

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx1234567890abcdef"
OPENID = "oXk2Z5Lq8mVbN4cT1rY7hJ0pW3sE"


@pytest.fixture
def safe(channels):
    channels.config.update(WECHAT_AES_KEY=AES_KEY, WECHAT_APP_ID=APP_ID)
    return channels


def sdk(app_id: str = APP_ID) -> WeChatCrypto:
    return WeChatCrypto(WECHAT_TOKEN, AES_KEY, app_id)


def encrypted_push(plain: bytes, *, app_id: str = APP_ID) -> tuple[bytes, dict[str, str]]:
    """A push as the platform sends it in safe mode, encrypted by wechatpy."""
    nonce, stamp = secrets.token_hex(5), str(int(utcnow().timestamp()))
    envelope = ET.fromstring(sdk(app_id).encrypt_message(plain.decode(), nonce, stamp))
    encrypt = envelope.findtext("Encrypt")
    body = (f"<xml><ToUserName><![CDATA[gh_3f2a1b0c9d8e]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>").encode()
    signature = hashlib.sha1("".join(sorted((WECHAT_TOKEN, stamp, nonce))).encode()).hexdigest()
    return body, {"signature": signature, "timestamp": stamp, "nonce": nonce,
                  "encrypt_type": "aes", "msg_signature": envelope.findtext("MsgSignature"),
                  "openid": OPENID}


def post(client, body: bytes, params: dict[str, str]):
    return client.post("/channels/wechat", query_string=params, data=body,
                       headers={"Content-Type": "text/xml"})


def fields(xml: bytes | str) -> dict[str, str]:
    return {child.tag: child.text or "" for child in ET.fromstring(xml)}


# -- the cipher, both ways against the SDK


def test_our_ciphertext_is_read_by_wechatpy_and_theirs_by_us():
    ours = WechatCrypto(WECHAT_TOKEN, AES_KEY, APP_ID)
    message = "<xml><Content><![CDATA[井盖丢了 manhole]]></Content></xml>".encode()
    envelope = ours.encrypt_reply(message, "1795483020", "n0nce")
    parsed = fields(envelope)
    assert sdk().decrypt_message(envelope.decode(), parsed["MsgSignature"], "1795483020",
                                 "n0nce") == message.decode()
    theirs = fields(sdk().encrypt_message(message.decode(), "n0nce", "1795483020"))
    body = f"<xml><Encrypt><![CDATA[{theirs['Encrypt']}]]></Encrypt></xml>".encode()
    assert ours.decrypt_push(body, theirs["MsgSignature"], "1795483020", "n0nce") == message


@pytest.mark.parametrize("length", [0, 1, 11, 12, 27, 28, 59, 60, 2000])
def test_every_padding_length_round_trips(length):
    ours = WechatCrypto(WECHAT_TOKEN, AES_KEY, APP_ID)
    message = ("井" * length).encode()
    assert ours.decrypt(ours.encrypt(message)) == message
    envelope = ours.encrypt_reply(message, "1795483020", "abc")
    assert sdk().decrypt_message(envelope.decode(), fields(envelope)["MsgSignature"],
                                 "1795483020", "abc") == message.decode()


def test_wrong_signature_app_id_or_key_are_refused():
    ours = WechatCrypto(WECHAT_TOKEN, AES_KEY, APP_ID)
    body, params = encrypted_push(b"<xml/>")
    with pytest.raises(SignatureError):
        ours.decrypt_push(body, "0" * 40, params["timestamp"], params["nonce"])
    other, params = encrypted_push(b"<xml/>", app_id="wxOTHERACCOUNT")
    with pytest.raises(ParseError, match="app id"):
        ours.decrypt_push(other, params["msg_signature"], params["timestamp"], params["nonce"])
    wrong_key = WechatCrypto(WECHAT_TOKEN, "B" * 43, APP_ID)
    with pytest.raises(ParseError):
        wrong_key.decrypt(ours.encrypt(b"<xml/>"))
    assert len(aes_key(AES_KEY)) == 32
    with pytest.raises(ValueError):
        aes_key("too-short")


def test_settings_refuse_a_bad_key_and_a_key_without_app_id(tmp_path):
    from hotline.config import check_companions
    with pytest.raises(ConfigError, match="WECHAT_AES_KEY"):
        settings_from_mapping({"WECHAT_AES_KEY": "not-a-key"})
    with pytest.raises(ConfigError, match="WECHAT_APP_ID"):
        check_companions(settings_from_mapping({"WECHAT_AES_KEY": AES_KEY}))


# -- the push, end to end


def test_encrypted_push_becomes_a_case_and_the_reply_is_encrypted(client, safe):
    body, params = encrypted_push(sample("wechat", "text.xml"))
    response = post(client, body, params)
    assert response.status_code == 200
    [case] = all_cases()
    assert "下水道井盖不见了" in case.content and case.citizen.contact == OPENID
    envelope = fields(response.data)
    assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    plain = sdk().decrypt_message(response.data.decode(), envelope["MsgSignature"],
                                  envelope["TimeStamp"], envelope["Nonce"])
    reply = fields(plain)
    assert reply["ToUserName"] == OPENID and reply["FromUserName"] == "gh_3f2a1b0c9d8e"
    assert case.number in reply["Content"] and case.query_code in reply["Content"]
    [message] = messages()
    assert b"<Encrypt>" not in message.payload  # the decrypted push is what is kept


def test_wrong_msg_signature_is_403_and_nothing_is_stored(client, safe):
    body, params = encrypted_push(sample("wechat", "text.xml"))
    params["msg_signature"] = "0" * 40
    assert post(client, body, params).status_code == 403
    assert messages() == []


def test_push_for_another_account_waits_for_review_with_the_raw_kept(client, safe):
    body, params = encrypted_push(sample("wechat", "text.xml"), app_id="wxOTHERACCOUNT")
    response = post(client, body, params)
    assert response.status_code == 200 and response.data == b"success"
    [message] = messages()
    assert message.status == "review" and "app id" in message.reason
    assert message.payload == body and all_cases() == []


def test_without_a_key_an_encrypted_push_waits_for_review(client, channels):
    body, params = encrypted_push(sample("wechat", "text.xml"))
    assert post(client, body, params).data == b"success"
    [message] = messages()
    assert message.status == "review" and "encrypted" in message.reason


def test_plaintext_pushes_still_work_with_a_key_set(client, safe):
    from tests.intake.conftest import post_wechat
    response = post_wechat(client, wechat_text("路灯坏了"))
    assert b"<Encrypt>" not in response.data and len(all_cases()) == 1


# -- media by MediaId, from a fake WeChat API on 127.0.0.1

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
AMR = b"#!AMR\n" + b"\x3c" * 64


@pytest.fixture
def wechat_api(app, provider):  # noqa: F811 - the fake provider fixture
    gateway = wechat_gateway(provider.base)
    gateway._opener = no_proxy()
    app.extensions["hotline.gateways"] = {**outbox.gateways(), "wechat": gateway}
    provider.script("/cgi-bin/token", Reply(body={"access_token": "TOKEN", "expires_in": 7200}))
    return provider


@pytest.mark.parametrize(("name", "data", "content_type"), [
    ("image.xml", JPEG, "image/jpeg"), ("voice.xml", AMR, "audio/amr")])
def test_image_and_voice_are_fetched_into_the_case(client, safe, wechat_api, name, data,
                                                    content_type):
    from tests.intake.conftest import post_wechat
    post_wechat(client, sample("wechat", name))
    [case], [message] = all_cases(), messages()
    wechat_api.script("/cgi-bin/media/get", Reply(body=data, headers={
        "Content-Type": content_type}))
    assert media_jobs.fetch_media(message.id) == "kept"
    [row] = storage.of_case(case.id)
    assert row.content_type == content_type and row.message_id == message.id
    assert storage.path_of(row).read_bytes() == data
    [asked] = wechat_api.requests_to("/cgi-bin/media/get")
    media_id = fields(sample("wechat", name))["MediaId"]
    assert asked.query == {"access_token": ["TOKEN"], "media_id": [media_id]}
    assert media_jobs.fetch_media(message.id) == "nothing"  # kept once


def test_expired_media_is_reported_gone_and_nothing_kept(client, safe, wechat_api):
    from tests.intake.conftest import post_wechat
    post_wechat(client, sample("wechat", "image.xml"))
    [message] = messages()
    wechat_api.script("/cgi-bin/media/get", Reply(body={"errcode": 40007,
                                                        "errmsg": "invalid media_id"}))
    assert media_jobs.fetch_media(message.id) == "gone"
    assert db.session.query(Attachment).count() == 0


def test_network_failure_raises_for_rq_to_retry(client, safe, wechat_api):
    from hotline.gateways import GatewayError
    from tests.intake.conftest import post_wechat
    post_wechat(client, sample("wechat", "image.xml"))
    [message] = messages()
    wechat_api.script("/cgi-bin/media/get", Reply(status=503, body="busy"))
    with pytest.raises(GatewayError):
        media_jobs.fetch_media(message.id)


def test_text_messages_have_no_media_to_fetch(client, safe, wechat_api):
    from tests.intake.conftest import post_wechat
    post_wechat(client, wechat_text("路灯坏了"))
    assert media_jobs.fetch_media(messages()[0].id) == "nothing"


# -- template messages: the tracking link, and key names from a setting


def test_survey_by_wechat_links_to_the_tracking_page(client, safe):
    from tests.intake.conftest import post_wechat
    post_wechat(client, sample("wechat", "text.xml"))
    [case] = all_cases()
    followup.send_survey(case, reminder=False)
    [message] = [m for m in outbox_rows() if m.template == "followup"]
    assert message.data["url"] == links.tracking_url(case)
    gateway = wechat_gateway("http://127.0.0.1:9", template_keys={
        "number": "keyword1", "followup.kind": "keyword2"})
    payload = gateway.payload(OutboundMessage(
        id=1, channel="wechat", recipient=OPENID, subject="回访", body=message.body,
        idempotency_key="k", template="followup", data=message.data))
    assert payload["url"] == links.tracking_url(case)
    assert payload["data"] == {"keyword1": {"value": case.number},
                               "keyword2": {"value": "survey"},
                               "first": {"value": "回访"}, "remark": {"value": message.body}}


def test_without_a_key_map_the_data_goes_as_it_is_and_url_is_no_field():
    gateway = wechat_gateway("http://127.0.0.1:9")
    payload = gateway.payload(OutboundMessage(
        id=1, channel="wechat", recipient=OPENID, subject=None, body="b", idempotency_key="k",
        data={"number": "20260101000001", "url": "https://12345.example/track"}))
    assert payload["data"] == {"number": {"value": "20260101000001"}}
    assert payload["url"] == "https://12345.example/track"


def outbox_rows():
    from hotline.models import OutboxMessage
    db.session.expire_all()
    return db.session.query(OutboxMessage).order_by(OutboxMessage.id).all()


def test_the_app_id_alone_serves_safe_mode_without_the_api():
    from hotline.gateways import FileGateway, build_gateways
    assert isinstance(build_gateways({"WECHAT_APP_ID": APP_ID})["wechat"], FileGateway)
    with pytest.raises(ValueError, match="WECHAT_APP_ID"):
        build_gateways({"WECHAT_APP_SECRET": "s", "WECHAT_TEMPLATE_ID": "T"})

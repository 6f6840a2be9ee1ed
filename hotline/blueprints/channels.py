"""Gateways of the channels (``/channels``): the WeChat Official Account push and the SMS
gateway's webhook. Each checks its secret before anything is stored; a failed check is 403
and counted; a channel without a configured secret is 404, never open."""

from __future__ import annotations

import hashlib
import secrets
import xml.etree.ElementTree as ET

from flask import Blueprint, Response, current_app, request

from hotline.channels import ParseError, SignatureError, wechat_crypto
from hotline.channels import sms as sms_channel
from hotline.channels import wechat as wechat_channel
from hotline.errors import ChannelDisabled, PayloadTooLarge, SignatureRefused
from hotline.models import InboundStatus, utcnow
from hotline.services import gate
from hotline.services.intake import receive
from hotline.unit_of_work import unit_of_work
from workflows import inbound

bp = Blueprint("channels", __name__, url_prefix="/channels")
#: how far a signed timestamp may be from now; its nonce is remembered twice as long
WECHAT_REPLAY_SECONDS = 300


def _secret(setting: str, channel: str) -> str:
    value = current_app.config.get(setting)
    if not value:
        raise ChannelDisabled("{kind}渠道未启用：请设置 {setting}", kind=channel,
                              setting=f"HOTLINE_{setting}")
    return value


def _refuse(channel: str) -> SignatureRefused:
    gate.count_rejection(channel)
    return SignatureRefused("签名校验失败")


def _body(limit: int) -> bytes:
    """The request body, refused (413) beyond ``limit`` bytes before it is read."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge("消息过大：上限为 {limit} KB", limit=limit // 1024)
    data = request.get_data(cache=False)
    if len(data) > limit:
        raise PayloadTooLarge("消息过大：上限为 {limit} KB", limit=limit // 1024)
    return data


# ---------------------------------------------------------------- WeChat


def _wechat_signed(token: str) -> bool:
    args = request.args
    return wechat_channel.check_signature(token, args.get("signature"), args.get("timestamp"),
                                          args.get("nonce"), now=utcnow(),
                                          max_skew=WECHAT_REPLAY_SECONDS)


def _wechat_fresh(body: bytes) -> bool:
    """The signed nonce was not used before with another body within the replay window."""
    nonce = f"{request.args.get('timestamp')}:{request.args.get('nonce')}"
    return gate.first_use_of_nonce("wechat", nonce, hashlib.sha256(body).hexdigest(),
                                   ttl=2 * WECHAT_REPLAY_SECONDS + 60)


@bp.get("/wechat")
def wechat_verify():
    """The platform's URL check: echo ``echostr`` when the signature is right. WeCom
    (企业微信) signs with ``msg_signature`` over an encrypted ``echostr`` and expects its
    plaintext back (``HOTLINE_WECHAT_AES_KEY``, with the CorpID as ``HOTLINE_WECHAT_APP_ID``)."""
    token = _secret("WECHAT_TOKEN", "wechat")
    args = request.args
    if args.get("msg_signature") and not args.get("signature"):
        return _wecom_echo(token)
    if not _wechat_signed(token):
        raise _refuse("wechat")
    return Response(args.get("echostr", ""), mimetype="text/plain")


def _wecom_echo(token: str) -> Response:
    args = request.args
    key = current_app.config.get("WECHAT_AES_KEY")
    if not key or not wechat_channel.fresh_timestamp(args.get("timestamp"), now=utcnow(),
                                                     max_skew=WECHAT_REPLAY_SECONDS):
        raise _refuse("wechat")
    crypto = wechat_crypto.WechatCrypto(token, key, current_app.config["WECHAT_APP_ID"])
    try:
        plain = crypto.decrypt_echo(args.get("msg_signature"), args.get("timestamp"),
                                    args.get("nonce"), args.get("echostr"))
    except (SignatureError, ParseError):
        raise _refuse("wechat") from None
    return Response(plain, mimetype="text/plain")


@bp.post("/wechat")
def wechat_push():
    """A citizen's message: stored (committed), then made a case in a transaction of its
    own, and answered with a passive reply. In safe mode (``encrypt_type=aes``) the push is
    decrypted first and the reply goes back encrypted."""
    token = _secret("WECHAT_TOKEN", "wechat")
    if not _wechat_signed(token):
        raise _refuse("wechat")
    body = _body(wechat_channel.DEFAULT_MAX_BYTES)
    if not _wechat_fresh(body):
        raise _refuse("wechat")
    crypto = _wechat_crypto(token)
    if crypto is not None:
        try:
            body = crypto.decrypt_push(body, request.args.get("msg_signature"),
                                       request.args.get("timestamp"), request.args.get("nonce"))
        except SignatureError:
            raise _refuse("wechat") from None
        except ParseError as exc:
            with unit_of_work():
                receive.wechat_unreadable(body, exc.reason)
            return Response("success", mimetype="text/plain")
    with unit_of_work():
        receipt = receive.wechat(body)
    if receipt.claimed:
        inbound.process_claimed(receipt.id, passive=True)
    # Only a body the parser accepted (screened for DTDs) has a reply: parse it again.
    message = receipt.message
    account = _account(body) if message.reply and message.sender else None
    if account is None:
        return Response("success", mimetype="text/plain")  # the platform's "no reply"
    now = utcnow()
    xml = wechat_channel.text_reply(message.sender, account, message.reply, now)
    if crypto is not None:
        xml = crypto.encrypt_reply(xml, str(int(now.timestamp())), secrets.token_hex(8))
    return Response(xml, mimetype="application/xml")


def _wechat_crypto(token: str) -> wechat_crypto.WechatCrypto | None:
    """The account's safe-mode keys for an encrypted push (``encrypt_type=aes``); None for a
    plaintext one, or when no EncodingAESKey is set (the push then waits for review)."""
    if request.args.get("encrypt_type", "raw").strip().lower() != "aes":
        return None
    key = current_app.config.get("WECHAT_AES_KEY")
    if not key:
        return None
    return wechat_crypto.WechatCrypto(token, key, current_app.config["WECHAT_APP_ID"])


def _account(body: bytes) -> str | None:
    """The Official Account's id (ToUserName) a reply must come from."""
    try:
        return (ET.fromstring(body.decode("utf-8-sig")).findtext("ToUserName") or "").strip() \
            or None
    except (ET.ParseError, UnicodeDecodeError):
        return None


# ---------------------------------------------------------------- SMS


@bp.post("/sms")
def sms_webhook():
    """An inbound SMS: stored and committed before it is acknowledged; the case (or review
    item) follows, here in a transaction of its own or in a worker."""
    secret = _secret("SMS_SECRET", "sms")
    body = _body(sms_channel.DEFAULT_MAX_BYTES)
    try:
        sms_channel.verify_signature(secret, body,
                                     request.headers.get(sms_channel.SIGNATURE_HEADER))
    except SignatureError:
        raise _refuse("sms") from None
    with unit_of_work():
        receipt = receive.sms(body)
    if receipt.claimed:
        inbound.process_claimed(receipt.id)
    # Queued (the usual case): the status is known without reading the row back.
    status = receipt.status if receipt.status == InboundStatus.RECEIVED else receipt.message.status
    return {"accepted": True, "id": receipt.id, "duplicate": receipt.duplicate,
            "status": status}

"""WeCom (企业微信) URL verification: the GET carries an encrypted ``echostr`` signed with
``msg_signature``; the hotline answers its plaintext. Cross-checked against wechatpy's own
enterprise ``WeChatCrypto``, which made the echostr and reads it back the same."""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from hotline.models import utcnow
from tests.intake.conftest import WECHAT_TOKEN

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
CORP_ID = "wwa1b2c3d4e5f60718"


@pytest.fixture
def wecom(channels):
    channels.config.update(WECHAT_AES_KEY=AES_KEY, WECHAT_APP_ID=CORP_ID)
    return channels


def verification(echo: str, *, corp_id: str = CORP_ID,
                 stamp: int | None = None) -> dict[str, str]:
    """The query string of WeCom's URL check, encrypted and signed by wechatpy."""
    nonce = secrets.token_hex(5)
    timestamp = str(stamp if stamp is not None else int(utcnow().timestamp()))
    envelope = ET.fromstring(WeChatCrypto(WECHAT_TOKEN, AES_KEY, corp_id)
                             .encrypt_message(echo, nonce, timestamp))
    return {"msg_signature": envelope.findtext("MsgSignature"), "timestamp": timestamp,
            "nonce": nonce, "echostr": envelope.findtext("Encrypt")}


def test_the_encrypted_echostr_is_answered_with_its_plaintext(client, wecom):
    params = verification("6174596358917452811")
    answer = client.get("/channels/wechat?" + urlencode(params))
    assert answer.status_code == 200
    assert answer.get_data(as_text=True) == "6174596358917452811"
    sdk = WeChatCrypto(WECHAT_TOKEN, AES_KEY, CORP_ID)
    expected = sdk.check_signature(params["msg_signature"], params["timestamp"],
                                   params["nonce"], params["echostr"])
    assert answer.get_data() == (expected if isinstance(expected, bytes) else expected.encode())


def test_an_unescaped_plus_in_the_echostr_still_decrypts(client, wecom):
    for _ in range(20):  # find a ciphertext with a "+" and send it raw, as a space
        params = verification("echo-" + secrets.token_hex(4))
        if "+" in params["echostr"]:
            break
    else:
        pytest.skip("no '+' in 20 ciphertexts")
    raw = "&".join(f"{k}={v}" for k, v in params.items())  # "+" not escaped: a space
    assert client.get("/channels/wechat?" + raw).status_code == 200


def test_a_leading_unescaped_plus_is_not_trimmed_away(client, wecom):
    # one ciphertext in 64 starts with "+"; sent raw, it arrives as a leading space
    for _ in range(3000):
        params = verification("echo-" + secrets.token_hex(4))
        if params["echostr"].startswith("+"):
            break
    raw = "&".join(f"{k}={v}" for k, v in params.items())
    assert params["echostr"].startswith("+")
    answer = client.get("/channels/wechat?" + raw)
    assert answer.status_code == 200
    assert answer.get_data(as_text=True).startswith("echo-")


@pytest.mark.parametrize("tamper", ["signature", "corp", "stale", "no_key"])
def test_a_wrong_signature_corp_or_old_timestamp_is_refused(client, wecom, tamper):
    params = verification("123456", corp_id="wwother000000000" if tamper == "corp" else CORP_ID,
                          stamp=int(utcnow().timestamp()) - 3600 if tamper == "stale" else None)
    if tamper == "signature":
        params["msg_signature"] = "0" * 40
    if tamper == "no_key":
        wecom.config["WECHAT_AES_KEY"] = None
    answer = client.get("/channels/wechat?" + urlencode(params))
    assert answer.status_code == 403 and "123456" not in answer.get_data(as_text=True)

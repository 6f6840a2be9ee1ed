"""WeChat Official Account: signature, message parsing (real payload shapes) and replies."""

import hashlib
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.channels import IgnoredMessage, ParseError
from hotline.channels.wechat import REPLY_MAX_BYTES, check_signature, parse_message, text_reply

SAMPLES = Path(__file__).parent / "samples" / "wechat"
OPENID = "oXk2Z5Lq8mVbN4cT1rY7hJ0pW3sE"
ACCOUNT = "gh_3f2a1b0c9d8e"
TOKEN = "hotline12345token"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def sign(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


# --- signature ---------------------------------------------------------------------------------

def test_check_signature_accepts_platform_signature() -> None:
    signature = sign(TOKEN, "1795482900", "482753901")
    assert check_signature(TOKEN, signature, "1795482900", "482753901")
    assert check_signature(TOKEN, signature.upper(), "1795482900", "482753901")


def test_check_signature_known_vector() -> None:
    # Sorted: "1234567890" < "1409304348" < "xxxxx"; digest computed independently (sha1sum).
    expected = "b71cd946b74e5e0d1d236fe4ac667fa7b8109723"
    assert check_signature("1234567890", expected, "1409304348", "xxxxx")
    assert check_signature("xxxxx", expected, "1234567890", "1409304348")


@pytest.mark.parametrize(
    ("token", "signature", "timestamp", "nonce"),
    [
        ("wrong-token", None, "1795482900", "482753901"),
        (TOKEN, "0" * 40, "1795482900", "482753901"),
        (TOKEN, "签名", "1795482900", "482753901"),  # non-ASCII must not raise
        (TOKEN, "", "1795482900", "482753901"),
        (TOKEN, None, None, "482753901"),
        (TOKEN, None, "1795482900", None),
        ("", None, "1795482900", "482753901"),
    ],
)
def test_check_signature_rejects(token, signature, timestamp, nonce) -> None:
    if signature is None and timestamp and nonce and token:
        signature = sign(TOKEN, timestamp, nonce)  # valid for TOKEN, not for `token`
    assert check_signature(token, signature, timestamp, nonce) is False


def test_check_signature_freshness_window() -> None:
    ts = "1795482900"
    signature = sign(TOKEN, ts, "n")
    sent = datetime.fromtimestamp(int(ts), UTC)
    assert check_signature(TOKEN, signature, ts, "n", now=sent + timedelta(seconds=299))
    assert not check_signature(TOKEN, signature, ts, "n", now=sent + timedelta(seconds=301))
    assert not check_signature(TOKEN, signature, ts, "n", now=sent - timedelta(seconds=301))
    bad_ts_sig = sign(TOKEN, "soon", "n")
    assert not check_signature(TOKEN, bad_ts_sig, "soon", "n", now=sent)
    with pytest.raises(ValueError):
        check_signature(TOKEN, signature, ts, "n", now=datetime(2026, 11, 24, 9, 15))


# --- messages ----------------------------------------------------------------------------------

def test_text_message() -> None:
    msg = parse_message(sample("text.xml"))
    assert msg.channel == "wechat"
    assert msg.external_id == "24823487029384756"
    assert msg.sender == OPENID
    assert msg.sender_name is None and msg.title is None
    assert msg.text == (
        "你好，幸福路和平安街交叉口的下水道井盖不见了，晚上很危险！\n地址：幸福路88号门口"
    )
    assert msg.received_at == datetime(2026, 11, 24, 1, 15, tzinfo=UTC)  # 09:15 Beijing
    assert msg.query_case is None and msg.rating is None and msg.attachments == ()


def test_text_query_with_fullwidth_number() -> None:
    msg = parse_message(sample("text_query.xml"))
    assert msg.query_case == "20261124000123"
    assert msg.text == "查询 ２０２６１１２４０００１２３"  # stored as sent


def test_image_message_notes_media() -> None:
    msg = parse_message(sample("image.xml"))
    assert msg.text.startswith("[图片 / image]")
    assert "PicUrl: http://mmbiz.qpic.cn/mmbiz_jpg/abc123XYZ/0" in msg.text
    assert "MediaId: kd8W4-UL3xm0vTqc0Bv3hEXAMPLEmediaidJpQ" in msg.text
    assert msg.external_id == "24823487029384801"


def test_voice_message_uses_recognition() -> None:
    msg = parse_message(sample("voice.xml"))
    assert msg.text.startswith("小区门口的路灯坏了一个星期了。")
    assert "MediaId: vQ9Z-voiceEXAMPLEmediaid_8812" in msg.text


def test_voice_message_without_recognition() -> None:
    msg = parse_message(sample("voice_unrecognised.xml"))
    assert "未识别" in msg.text and "MediaId: vQ9Z-voiceEXAMPLEmediaid_8813" in msg.text


def test_voice_query() -> None:
    xml = sample("voice.xml").replace(
        "小区门口的路灯坏了一个星期了。".encode(), "查询20261124000123".encode()
    )
    assert parse_message(xml).query_case == "20261124000123"


def test_location_message() -> None:
    msg = parse_message(sample("location.xml"))
    assert "四川省成都市锦江区春熙路" in msg.text
    assert "30.572815" in msg.text and "104.066801" in msg.text
    assert "纬度" in msg.text and "经度" in msg.text


def test_link_message_keeps_title_and_url() -> None:
    msg = parse_message(sample("link.xml"))
    assert msg.title == "业主群聊天记录：电梯停运一个月"
    assert "https://mp.weixin.qq.com/s/EXAMPLElink" in msg.text


def test_shortvideo_message_notes_media() -> None:
    msg = parse_message(sample("shortvideo.xml"))
    assert "MediaId: sv-EXAMPLEmediaid-001" in msg.text


def test_subscribe_event_is_ignored_with_reply_details() -> None:
    with pytest.raises(IgnoredMessage) as info:
        parse_message(sample("event_subscribe.xml"))
    event = info.value
    assert not isinstance(event, ParseError)  # must not land in the failure queue
    assert (event.channel, event.kind) == ("wechat", "subscribe")
    assert event.sender == OPENID and event.recipient == ACCOUNT
    assert event.external_id == f"{OPENID}:1795482800"
    assert event.event_key == "qrscene_12345"


def test_unsubscribe_event_is_ignored() -> None:
    with pytest.raises(IgnoredMessage) as info:
        parse_message(sample("event_unsubscribe.xml"))
    assert info.value.kind == "unsubscribe" and info.value.event_key is None


def test_missing_msgid_falls_back_to_sender_and_time() -> None:
    xml = sample("text.xml").replace(b"<MsgId>24823487029384756</MsgId>", b"")
    assert parse_message(xml).external_id == f"{OPENID}:1795482900"


# --- failures ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("malformed.xml", "XML 格式错误 / malformed XML"),
        ("missing_fields.xml", "FromUserName, MsgType"),
        ("xxe.xml", "XXE"),
        ("billion_laughs.xml", "XXE"),
        ("encrypted.xml", "安全模式"),
    ],
)
def test_bad_samples_raise_parse_error(name: str, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_message(sample(name))
    assert fragment in info.value.reason
    assert info.value.channel == "wechat"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "消息体为空"),
        (b"   \n", "消息体为空"),
        ("<xml>中文</xml>".encode("gbk"), "UTF-8"),
        ("<xml><a>b</a></xml>".encode("utf-16"), "UTF-8"),
        (b"<root><MsgType>text</MsgType></root>", "<xml>"),
        (b"<xml><!-- ok --><!ELEMENT x ANY></xml>", "XXE"),
        (b"<xml><![IGNORE[ x ]]></xml>", "<!"),
        (b"<?xml version='1.0'?><!DOCTYPE xml SYSTEM 'http://evil.example/x.dtd'><xml/>", "XXE"),
        (b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
         b"<CreateTime>yesterday</CreateTime><MsgType>text</MsgType></xml>", "CreateTime"),
        (b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
         b"<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>  </Content>"
         b"<MsgId>1</MsgId></xml>", "内容为空"),
        (b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
         b"<CreateTime>1</CreateTime><MsgType>miniprogrampage</MsgType><MsgId>1</MsgId></xml>",
         "unsupported MsgType"),
    ],
)
def test_invalid_bodies(body: bytes, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_message(body)
    assert fragment in info.value.reason


def test_non_bytes_body() -> None:
    with pytest.raises(ParseError):
        parse_message("<xml/>")  # type: ignore[arg-type]


def test_oversized_payload_is_refused_before_parsing() -> None:
    body = sample("text.xml")
    assert parse_message(body, max_bytes=len(body)).external_id
    with pytest.raises(ParseError) as info:
        parse_message(body, max_bytes=len(body) - 1)
    assert "过大" in info.value.reason
    huge = body.replace(b"</Content>", b"x" * 70_000 + b"</Content>")
    with pytest.raises(ParseError):
        parse_message(huge)  # default limit (64 KiB)


def test_entities_outside_cdata() -> None:
    # Predefined entities are fine; any other entity is plain malformed XML without a DTD.
    head = (b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
            b"<CreateTime>1795482900</CreateTime><MsgType>text</MsgType><MsgId>9</MsgId>")
    assert parse_message(head + b"<Content>&lt;b&gt; &amp;</Content></xml>").text == "<b> &"
    with pytest.raises(ParseError):
        parse_message(head + b"<Content>&xxe;</Content></xml>")


# --- replies -----------------------------------------------------------------------------------

NOW = datetime(2026, 11, 24, 9, 15, tzinfo=timezone(timedelta(hours=8)))


def parse_reply(data: bytes) -> dict[str, str]:
    return {child.tag: child.text or "" for child in ET.fromstring(data)}


def test_text_reply_shape() -> None:
    data = text_reply(OPENID, ACCOUNT, "您的诉求已受理，工单号 20261124000123。", NOW)
    assert data.startswith(b"<xml><ToUserName><![CDATA[")
    fields = parse_reply(data)
    assert fields == {
        "ToUserName": OPENID,
        "FromUserName": ACCOUNT,
        "CreateTime": "1795482900",
        "MsgType": "text",
        "Content": "您的诉求已受理，工单号 20261124000123。",
    }


@pytest.mark.parametrize(
    "content", ["a]]>b", "]]>", "]]]]>", "<xml>&amp;</xml>", "]]><script>alert(1)</script>"]
)
def test_text_reply_survives_cdata_terminators(content: str) -> None:
    assert parse_reply(text_reply(OPENID, ACCOUNT, content, NOW))["Content"] == content


def test_text_reply_drops_characters_xml_cannot_carry() -> None:
    fields = parse_reply(text_reply(OPENID, ACCOUNT, "响铃\x07结束\ud800", NOW))
    assert fields["Content"] == "响铃结束"


def test_text_reply_is_cut_to_platform_limit() -> None:
    data = text_reply(OPENID, ACCOUNT, "长" * 1000, NOW)
    content = parse_reply(data)["Content"]
    assert len(content.encode()) <= REPLY_MAX_BYTES
    assert content.endswith("…") and content.startswith("长长")


def test_text_reply_requires_aware_now() -> None:
    with pytest.raises(ValueError):
        text_reply(OPENID, ACCOUNT, "x", datetime(2026, 11, 24, 9, 15))


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=400),
                 st.text(max_size=200).map(lambda t: f"<xml>{t}</xml>".encode("utf-8", "replace"))))
def test_arbitrary_bodies_only_raise_channel_errors(body: bytes) -> None:
    try:
        parse_message(body)
    except (ParseError, IgnoredMessage):
        pass

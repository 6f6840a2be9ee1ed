"""SMS gateway webhook: HMAC signature and JSON parsing."""

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.channels import ParseError, SignatureError
from hotline.channels.sms import normalize_phone, parse_message, verify_signature

SAMPLES = Path(__file__).parent / "samples" / "sms"
SECRET = "s3cret-shared-with-gateway"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def body(**fields: object) -> bytes:
    payload = {"message_id": "SM1", "from": "13800138000", "text": "路灯坏了"}
    payload.update(fields)
    payload = {k: v for k, v in payload.items() if v is not ...}
    return json.dumps(payload, ensure_ascii=False).encode()


def hex_mac(secret: bytes | str, data: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, data, hashlib.sha256).hexdigest()


# --- signature ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "header_of",
    [
        lambda mac: mac,
        lambda mac: mac.upper(),
        lambda mac: f"sha256={mac}",
        lambda mac: f"SHA256={mac}",
        lambda mac: f"  sha256= {mac}\n",
    ],
)
def test_verify_signature_accepts(header_of) -> None:
    data = sample("complaint.json")
    verify_signature(SECRET, data, header_of(hex_mac(SECRET, data)))
    verify_signature(SECRET.encode(), data, header_of(hex_mac(SECRET, data)))


def test_verify_signature_known_vector() -> None:
    # RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
    verify_signature(
        "Jefe",
        b"what do ya want for nothing?",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    )


@pytest.mark.parametrize(
    ("secret", "header", "fragment"),
    [
        (SECRET, None, "missing"),
        (SECRET, "", "missing"),
        (SECRET, "sha256=", "malformed"),
        (SECRET, "sha1=" + "0" * 40, "malformed"),
        (SECRET, "签名" * 32, "malformed"),
        (SECRET, "0" * 64, "mismatch"),
        ("another-secret", "VALID", "mismatch"),
        ("", "VALID", "not configured"),
        (b"", "VALID", "not configured"),
    ],
)
def test_verify_signature_rejects(secret, header, fragment) -> None:
    data = sample("complaint.json")
    if header == "VALID":
        header = hex_mac(SECRET, data)
    with pytest.raises(SignatureError, match=fragment):
        verify_signature(secret, data, header)


def test_verify_signature_detects_modified_body() -> None:
    data = sample("complaint.json")
    header = hex_mac(SECRET, data)
    with pytest.raises(SignatureError):
        verify_signature(SECRET, data.replace("长安路".encode(), "长安街".encode()), header)


# --- parsing -----------------------------------------------------------------------------------

def test_complaint_sample() -> None:
    msg = parse_message(sample("complaint.json"))
    assert msg.channel == "sms"
    assert msg.external_id == "SM20261124091500A1B2"
    assert msg.sender == "13800138000"  # "+86 138-0013-8000" canonicalised
    assert msg.text.startswith("您好，我家楼下的工地")
    assert msg.received_at == datetime(2026, 11, 24, 1, 15, tzinfo=UTC)
    assert msg.rating is None and msg.query_case is None
    assert msg.title is None and msg.sender_name is None


def test_rating_sample_with_fullwidth_digit_and_naive_time() -> None:
    msg = parse_message(sample("rating_fullwidth.json"))
    assert msg.rating == 2
    assert msg.sender == "13900139000"
    assert msg.text == "２"  # kept as sent
    # naive timestamps from a Chinese gateway are Beijing time
    assert msg.received_at == datetime(2026, 11, 24, 4, 0, tzinfo=UTC)


def test_query_sample() -> None:
    msg = parse_message(sample("query.json"))
    assert msg.query_case == "20261124000123"
    assert msg.received_at == datetime(2026, 11, 24, 4, 30, tzinfo=UTC)


@pytest.mark.parametrize(("text", "rating"), [("1", 1), (" 3 ", 3), ("1满意", 1), ("12", None)])
def test_rating_detection(text: str, rating: int | None) -> None:
    assert parse_message(body(text=text)).rating == rating


def test_missing_received_at_is_none() -> None:
    assert parse_message(body()).received_at is None
    assert parse_message(body(received_at=None)).received_at is None


def test_text_is_cleaned() -> None:
    assert parse_message(body(text="\r\n 路灯\r\n坏了\x00 ")).text == "路灯\n坏了"


def test_utf8_bom_is_tolerated() -> None:
    assert parse_message(b"\xef\xbb\xbf" + body()).external_id == "SM1"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (sample("wrong_types.json"), "'message_id' must be a string"),
        (b"", "empty body"),
        (b"{not json", "invalid JSON"),
        (b"[1, 2]", "must be an object"),
        ('{"message_id":"1","from":"13800138000","text":"中文"}'.encode("gbk"), "not UTF-8"),
        (body(message_id=...), "missing field 'message_id'"),
        (body(text=...), "missing field 'text'"),
        (body(**{"from": ...}), "missing field 'from'"),
        (body(message_id="  "), "'message_id' is empty"),
        (body(message_id="x" * 129), "longer than 128"),
        (body(text=""), "'text' is empty"),
        (body(text=" \n\t "), "'text' is empty"),
        (body(text=42), "'text' must be a string"),
        (body(text=["路灯"]), "'text' must be a string"),
        (body(**{"from": 13800138000}), "'from' must be a string"),
        (body(**{"from": "12345"}), "implausible phone"),
        (body(**{"from": "10086abc"}), "implausible phone"),
        (body(received_at=1795482900), "'received_at' must be an ISO-8601 string"),
        (body(received_at="昨天下午"), "not ISO-8601"),
        (body(received_at="2026-13-01T00:00:00"), "not ISO-8601"),
    ],
)
def test_invalid_bodies(raw: bytes, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_message(raw)
    assert fragment in info.value.reason
    assert info.value.channel == "sms"


def test_oversized_body() -> None:
    with pytest.raises(ParseError, match="too large"):
        parse_message(body(text="长" * 100), max_bytes=100)


def test_non_bytes_body() -> None:
    with pytest.raises(ParseError):
        parse_message('{"message_id": "1"}')  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("+86-138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("(+86) 199 0000 0000", "19900000000"),
        ("１３８００１３８０００", "13800138000"),
        ("+44 20 7946 0958", "+442079460958"),
        ("00852 9123 4567", "+85291234567"),
        ("12800138000", None),  # no such mobile prefix
        ("1380013800", None),
        ("+86 10 12345678", None),  # landlines do not send SMS to us
        ("138001380001", None),
        ("", None),
        ("短信", None),
    ],
)
def test_normalize_phone(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)


@settings(max_examples=100, deadline=None)
@given(st.one_of(
    st.binary(max_size=300),
    st.dictionaries(st.sampled_from(["message_id", "from", "text", "received_at", "x"]),
                    JSON_VALUES).map(lambda d: json.dumps(d).encode()),
))
def test_arbitrary_bodies_only_raise_parse_error(raw: bytes) -> None:
    try:
        parse_message(raw)
    except ParseError:
        pass

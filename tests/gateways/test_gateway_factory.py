"""build_gateways: plain settings in, one gateway per channel out."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.gateways import (
    CHANNELS,
    FileGateway,
    HttpSmsGateway,
    SmtpGateway,
    WechatTemplateGateway,
    build_gateways,
)

FULL = {
    "OUTBOX_DIR": "/var/lib/hotline/outbox",
    "SMS_GATEWAY_URL": "https://sms.example.com/send",
    "SMS_GATEWAY_API_KEY": "key",
    "SMS_GATEWAY_SECRET": "secret",
    "SMTP_HOST": "smtp.example.com",
    "SMTP_PORT": "465",
    "SMTP_USERNAME": "hotline",
    "SMTP_PASSWORD": "pw",
    "SMTP_SENDER": "12345@example.gov.cn",
    "SMTP_USE_TLS": "true",
    "WECHAT_APP_ID": "wx1",
    "WECHAT_APP_SECRET": "s",
    "WECHAT_TEMPLATE_ID": "TPL",
    "WECHAT_TEMPLATE_IDS": "receipt=TPL-R, survey=TPL-S",
    "GATEWAY_TIMEOUT": "7",
    "WECHAT_TIMEOUT": 3,
}


def test_no_settings_means_files_for_every_channel() -> None:
    gateways = build_gateways({})
    assert set(gateways) == set(CHANNELS)
    file_gateway = gateways["console"]
    assert isinstance(file_gateway, FileGateway)
    assert all(g is file_gateway for g in gateways.values())
    assert file_gateway.directory == Path("instance/outbox")


def test_outbox_under_instance_path() -> None:
    gateway = build_gateways({"INSTANCE_PATH": "/srv/hotline", "SMS_GATEWAY_URL": ""})["sms"]
    assert isinstance(gateway, FileGateway)
    assert gateway.directory == Path("/srv/hotline/outbox")


def test_full_settings() -> None:
    gateways = build_gateways(FULL)
    console, sms, email, wechat = (gateways[c] for c in ("console", "sms", "email", "wechat"))
    assert isinstance(console, FileGateway)
    assert console.directory == Path("/var/lib/hotline/outbox")
    assert isinstance(sms, HttpSmsGateway)
    assert (sms.url, sms.api_key, sms.secret, sms.timeout) == (
        "https://sms.example.com/send",
        "key",
        "secret",
        7.0,
    )
    assert isinstance(email, SmtpGateway)
    assert (email.host, email.port, email.use_tls, email.sender) == (
        "smtp.example.com",
        465,
        True,
        "12345@example.gov.cn",
    )
    assert (email.username, email.password, email.timeout) == ("hotline", "pw", 7.0)
    assert isinstance(wechat, WechatTemplateGateway)
    assert wechat.template_ids == {"receipt": "TPL-R", "survey": "TPL-S"}
    assert (wechat.template_id, wechat.timeout) == ("TPL", 3.0)
    assert wechat.api_base == "https://api.weixin.qq.com"


def test_typed_values_are_accepted() -> None:
    settings = {
        "SMTP_HOST": "mail",
        "SMTP_PORT": 587,
        "SMTP_USE_TLS": False,
        "SMTP_SENDER": "a@b.example",
        "WECHAT_APP_ID": "wx",
        "WECHAT_APP_SECRET": "s",
        "WECHAT_TEMPLATE_ID": "T",
        "WECHAT_TEMPLATE_IDS": {"survey": "TS"},
    }
    gateways = build_gateways(settings)
    email = gateways["email"]
    assert isinstance(email, SmtpGateway)
    assert (email.port, email.use_tls, email.username) == (587, False, None)
    assert isinstance(gateways["wechat"], WechatTemplateGateway)
    assert gateways["wechat"].template_ids == {"survey": "TS"}
    assert isinstance(gateways["sms"], FileGateway)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"SMS_GATEWAY_URL": "https://x.example"}, "SMS_GATEWAY_API_KEY is missing"),
        ({"SMTP_HOST": "mail"}, "SMTP_SENDER is missing"),
        (
            {"SMTP_HOST": "mail", "SMTP_SENDER": "a@b", "SMTP_USERNAME": "u"},
            "SMTP_PASSWORD is missing",
        ),
        ({"WECHAT_APP_ID": "wx", "WECHAT_APP_SECRET": "s"}, "WECHAT_TEMPLATE_ID is missing"),
        ({"SMTP_HOST": "m", "SMTP_SENDER": "a@b", "SMTP_PORT": "smtp"}, "SMTP_PORT"),
        ({"SMTP_HOST": "m", "SMTP_SENDER": "a@b", "SMTP_USE_TLS": "maybe"}, "SMTP_USE_TLS"),
        ({"SMS_GATEWAY_URL": "u", "SMS_GATEWAY_API_KEY": "k"}, "http"),
        (
            {"SMS_GATEWAY_URL": "http://x", "SMS_GATEWAY_API_KEY": "k", "GATEWAY_TIMEOUT": "0"},
            "GATEWAY_TIMEOUT",
        ),
        (
            {
                "WECHAT_APP_ID": "w",
                "WECHAT_APP_SECRET": "s",
                "WECHAT_TEMPLATE_ID": "t",
                "WECHAT_TEMPLATE_IDS": "survey",
            },
            "WECHAT_TEMPLATE_IDS",
        ),
    ],
)
def test_half_configured_or_bad_settings_fail_loudly(
    settings: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_gateways(settings)


def test_event_push_posts_once_there_is_a_key_to_sign_with() -> None:
    from hotline.gateways import WebhookGateway

    gateway = build_gateways({"SECRET_KEY": "k", "GATEWAY_TIMEOUT": "4"})["webhook"]
    assert isinstance(gateway, WebhookGateway)
    assert gateway.timeout == 4.0

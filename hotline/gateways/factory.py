"""Build the channel -> gateway table from plain settings (Flask config or environment)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from hotline.gateways.base import CHANNELS, Gateway
from hotline.gateways.destinations import Policy
from hotline.gateways.file import FileGateway
from hotline.gateways.sms import HttpSmsGateway
from hotline.gateways.smtp import SmtpGateway
from hotline.gateways.webhook import WebhookGateway
from hotline.gateways.wechat import WechatTemplateGateway

T = TypeVar("T")
DEFAULT_TIMEOUT = 10.0


def build_gateways(settings: Mapping[str, object]) -> dict[str, Gateway]:
    """One gateway per channel; a channel whose provider is not configured writes to files
    (event push posts to the subscribed URLs once there is a ``SECRET_KEY`` to sign with).

    A provider that is configured only half (a URL without its key...) raises ``ValueError``
    at start-up rather than silently writing messages to a file.
    """
    file_gateway = FileGateway(
        _outbox_dir(settings), tz=_text(settings, "TIMEZONE") or "Asia/Shanghai"
    )
    gateways: dict[str, Gateway] = {channel: file_gateway for channel in CHANNELS}
    for channel, builder in (("sms", _sms), ("email", _smtp), ("wechat", _wechat)):
        gateway = builder(settings)
        if gateway is not None:
            gateways[channel] = gateway
    server_key = _text(settings, "SECRET_KEY")
    if server_key:  # event push signs with a secret derived from the server's key
        gateways["webhook"] = WebhookGateway(server_key,
                                             timeout=_timeout(settings, "GATEWAY_TIMEOUT"),
                                             policy=Policy.from_settings(settings))
    return gateways


def _outbox_dir(settings: Mapping[str, object]) -> Path:
    explicit = _text(settings, "OUTBOX_DIR")
    if explicit:
        return Path(explicit)
    return Path(_text(settings, "INSTANCE_PATH") or "instance") / "outbox"


def _sms(settings: Mapping[str, object]) -> HttpSmsGateway | None:
    url = _text(settings, "SMS_GATEWAY_URL")
    if not url:
        return None
    return HttpSmsGateway(
        url,
        _required(settings, "SMS_GATEWAY_API_KEY", "SMS_GATEWAY_URL"),
        timeout=_timeout(settings, "SMS_GATEWAY_TIMEOUT"),
        secret=_text(settings, "SMS_GATEWAY_SECRET"),
    )


def _smtp(settings: Mapping[str, object]) -> SmtpGateway | None:
    host = _text(settings, "SMTP_HOST")
    if not host:
        return None
    username = _text(settings, "SMTP_USERNAME")
    password = _text(settings, "SMTP_PASSWORD")
    if username and not password:
        raise ValueError("SMTP_USERNAME is set but SMTP_PASSWORD is missing")
    return SmtpGateway(
        host,
        port=_parsed(settings, "SMTP_PORT", int, 25),
        username=username,
        password=password,
        sender=_required(settings, "SMTP_SENDER", "SMTP_HOST"),
        use_tls=_parsed(settings, "SMTP_USE_TLS", _boolean, False),
        timeout=_timeout(settings, "SMTP_TIMEOUT"),
        ca_bundle=_text(settings, "MAIL_CA_BUNDLE"),
    )


def _wechat(settings: Mapping[str, object]) -> WechatTemplateGateway | None:
    """The template-message gateway, once the app secret is set (the app id alone only
    serves safe mode, which needs no call to the API)."""
    secret = _text(settings, "WECHAT_APP_SECRET")
    if not secret:
        return None
    return WechatTemplateGateway(
        _required(settings, "WECHAT_APP_ID", "WECHAT_APP_SECRET"),
        secret,
        _required(settings, "WECHAT_TEMPLATE_ID", "WECHAT_APP_ID"),
        api_base=_text(settings, "WECHAT_API_BASE") or "https://api.weixin.qq.com",
        timeout=_timeout(settings, "WECHAT_TIMEOUT"),
        template_ids=_parsed(settings, "WECHAT_TEMPLATE_IDS", _pairs, {}),
        template_keys=_parsed(settings, "WECHAT_TEMPLATE_KEYS", _pairs, {}),
    )


# --- reading plain settings -----------------------------------------------------------------


def _text(settings: Mapping[str, object], key: str) -> str | None:
    value = settings.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return str(value).strip()


def _required(settings: Mapping[str, object], key: str, because: str) -> str:
    value = _text(settings, key)
    if value is None:
        raise ValueError(f"{because} is set but {key} is missing")
    return value


def _parsed(
    settings: Mapping[str, object], key: str, parse: Callable[[object], T], default: T
) -> T:
    """Settings come typed from Flask config or as strings from the environment: take both."""
    value = settings.get(key)
    if value is None or value == "":
        return default
    try:
        return parse(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{key}: bad value {value!r}: {exc}") from None


def _timeout(settings: Mapping[str, object], key: str) -> float:
    general = _parsed(settings, "GATEWAY_TIMEOUT", _positive, DEFAULT_TIMEOUT)
    return _parsed(settings, key, _positive, general)


def _positive(value: object) -> float:
    number = float(value)  # type: ignore[arg-type]
    if not number > 0:
        raise ValueError("must be a positive number of seconds")
    return number


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("use true or false")


def _pairs(value: object) -> dict[str, str]:
    """A mapping, or ``"receipt=TEMPLATE1, survey=TEMPLATE2"`` from an environment variable."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    pairs: dict[str, str] = {}
    for item in str(value).split(","):
        name, sep, template = (part.strip() for part in item.partition("="))
        if not sep or not name or not template:
            raise ValueError(f"expected name=template_id, got {item.strip()!r}")
        pairs[name] = template
    return pairs

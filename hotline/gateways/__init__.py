"""Outbound gateway adapters: how receipts and follow-up surveys leave the hotline.

The outbox calls ``gateway.send(msg)``; a returned string is the provider's message id,
:class:`GatewayError` means retry later, :class:`PermanentGatewayError` means give up.
"""

from hotline.gateways.base import (
    CHANNELS,
    Gateway,
    GatewayError,
    OutboundMessage,
    PermanentGatewayError,
)
from hotline.gateways.factory import build_gateways
from hotline.gateways.file import FileGateway
from hotline.gateways.masking import mask_phone, mask_recipient
from hotline.gateways.sms import HttpSmsGateway
from hotline.gateways.smtp import SmtpGateway
from hotline.gateways.webhook import WebhookGateway, signature, signing_secret
from hotline.gateways.wechat import WechatTemplateGateway

__all__ = [
    "CHANNELS",
    "FileGateway",
    "Gateway",
    "GatewayError",
    "HttpSmsGateway",
    "OutboundMessage",
    "PermanentGatewayError",
    "SmtpGateway",
    "WebhookGateway",
    "WechatTemplateGateway",
    "build_gateways",
    "mask_phone",
    "mask_recipient",
    "signature",
    "signing_secret",
]

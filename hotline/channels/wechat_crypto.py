"""WeChat Official Account safe mode (安全模式): decrypt pushes and encrypt passive replies;
WeCom (企业微信), whose scheme is the same with the CorpID for the app id, also encrypts the
``echostr`` of its URL verification.

The platform's scheme (its WXBizMsgCrypt sample, which wechatpy's ``WeChatCrypto`` follows):
the 43-character EncodingAESKey plus "=" is the base64 of a 32-byte AES key whose first 16
bytes are the IV; the plaintext is 16 random bytes, the message length (4 bytes, network
order), the message and the app id, padded PKCS#7 to 32-byte blocks and encrypted
AES-256-CBC; ``msg_signature`` is sha1 of token, timestamp, nonce and the ciphertext, sorted.
The cipher and the padding come from ``cryptography``; nothing here is a home-made primitive.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import struct
import xml.etree.ElementTree as ET

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .base import ParseError, SignatureError

CHANNEL = "wechat"
BLOCK_BITS = 256  # the platform pads to 32-byte blocks, not AES's 16
_KEY_RE = re.compile(r"[A-Za-z0-9+/]{43}")
_DECLARATION_RE = re.compile(r"<!")
_NONCE_RE = re.compile(r"[A-Za-z0-9]{1,64}")


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key of an EncodingAESKey (43 base64 characters); ValueError if not."""
    value = (encoding_aes_key or "").strip()
    if not _KEY_RE.fullmatch(value):
        raise ValueError("EncodingAESKey must be 43 characters of A-Z, a-z, 0-9, + and /")
    key = base64.b64decode(value + "=")
    if len(key) != 32:
        raise ValueError("EncodingAESKey does not decode to 32 bytes")
    return key


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """The ``msg_signature`` of an encrypted message: sha1 of the four values, sorted."""
    return hashlib.sha1("".join(sorted((token, timestamp, nonce, encrypt))).encode()).hexdigest()


class WechatCrypto:
    """One Official Account's safe-mode keys: ``token``, EncodingAESKey and app id."""

    def __init__(self, token: str, encoding_aes_key: str, app_id: str) -> None:
        self.token = token
        self.key = aes_key(encoding_aes_key)
        self.app_id = app_id

    def decrypt_push(self, body: bytes, msg_signature: str | None, timestamp: str | None,
                     nonce: str | None) -> bytes:
        """The plaintext XML of an encrypted push.

        Raises ``SignatureError`` when ``msg_signature`` does not cover the ciphertext (refuse
        it unstored) and ``ParseError`` when the body is no encrypted push of this account.
        """
        encrypt = encrypted_field(body)
        if not (msg_signature and timestamp and nonce):
            raise SignatureError("msg_signature, timestamp and nonce are required")
        expected = signature(self.token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode(), msg_signature.strip().lower().encode()):
            raise SignatureError("msg_signature does not match")
        return self.decrypt(encrypt)

    def decrypt_echo(self, msg_signature: str | None, timestamp: str | None,
                     nonce: str | None, echostr: str | None) -> bytes:
        """The plaintext of an encrypted ``echostr``: WeCom's (企业微信) URL verification,
        whose GET carries ``msg_signature`` over the ciphertext and expects the decrypted
        text back. Raises ``SignatureError`` or ``ParseError`` as :meth:`decrypt_push`."""
        if not (msg_signature and timestamp and nonce and echostr):
            raise SignatureError("msg_signature, timestamp, nonce and echostr are required")
        # a "+" the platform left unescaped in the query string arrives as a space, first or
        # last too (base64 can start with "+"), so spaces become "+" before anything is trimmed
        encrypt = echostr.replace(" ", "+").strip()
        expected = signature(self.token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode(), msg_signature.strip().lower().encode()):
            raise SignatureError("msg_signature does not match")
        return self.decrypt(encrypt)

    def decrypt(self, encrypt: str) -> bytes:
        """The message inside one base64 ciphertext; ``ParseError`` if it is not one."""
        try:
            data = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise _error("Encrypt 不是 base64 / Encrypt is not base64") from None
        if not data or len(data) % 16:
            raise _error("密文长度错误 / ciphertext is not whole AES blocks")
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        padded = decryptor.update(data) + decryptor.finalize()
        unpadder = padding.PKCS7(BLOCK_BITS).unpadder()
        try:
            plain = unpadder.update(padded) + unpadder.finalize()
        except ValueError:
            raise _error("解密失败（EncodingAESKey 不对？）/ decryption failed: wrong "
                         "EncodingAESKey?") from None
        if len(plain) < 20:
            raise _error("解密结果过短 / decrypted message too short")
        (length,) = struct.unpack("!I", plain[16:20])
        message, app_id = plain[20:20 + length], plain[20 + length:]
        if len(message) != length:
            raise _error("解密结果长度不符 / decrypted length does not match")
        if app_id.decode("utf-8", "replace") != self.app_id:
            raise _error(f"消息不属于本公众号 / message is for app id "
                         f"{app_id[:40].decode('utf-8', 'replace')!r}, not {self.app_id!r}")
        return message

    def encrypt(self, message: bytes, *, random_prefix: bytes | None = None) -> str:
        """The base64 ciphertext of ``message`` for this account."""
        prefix = random_prefix if random_prefix is not None else os.urandom(16)
        plain = prefix + struct.pack("!I", len(message)) + message + self.app_id.encode()
        padder = padding.PKCS7(BLOCK_BITS).padder()
        padded = padder.update(plain) + padder.finalize()
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()

    def encrypt_reply(self, reply_xml: bytes, timestamp: str, nonce: str) -> bytes:
        """The encrypted envelope of a passive reply, signed with ``timestamp`` and ``nonce``
        (the caller's own: a nonce from the request is not echoed into the reply)."""
        if not _NONCE_RE.fullmatch(nonce):
            raise ValueError("nonce must be 1-64 letters or digits")
        encrypt = self.encrypt(reply_xml)
        signed = signature(self.token, timestamp, nonce, encrypt)
        return (f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
                f"<MsgSignature><![CDATA[{signed}]]></MsgSignature>"
                f"<TimeStamp>{int(timestamp)}</TimeStamp>"
                f"<Nonce><![CDATA[{nonce}]]></Nonce></xml>").encode()


def encrypted_field(body: bytes) -> str:
    """The ``Encrypt`` text of a safe-mode push body; ``ParseError`` when there is none."""
    try:
        doc = bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _error("消息体不是 UTF-8 / body is not UTF-8") from None
    if _DECLARATION_RE.search(doc.replace("<![CDATA[", "")):
        raise _error("拒绝 DTD/实体声明（XXE 防护）/ DOCTYPE or ENTITY declaration refused (XXE)")
    try:
        root = ET.fromstring(doc)
    except ET.ParseError as exc:
        raise _error(f"XML 格式错误 / malformed XML: {exc}") from None
    encrypt = (root.findtext("Encrypt") or "").strip()
    if not encrypt:
        raise _error("安全模式消息缺少 Encrypt / safe-mode push has no Encrypt field")
    return encrypt


def _error(reason: str) -> ParseError:
    return ParseError(reason, channel=CHANNEL)

"""E-mail adapter over SMTP (smtplib), for citizens who gave an address instead of a phone."""

from __future__ import annotations

import hashlib
import html
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from hotline.gateways.base import GatewayError, OutboundMessage, PermanentGatewayError

DEFAULT_SUBJECT = "12345 热线"
_MSGID_RE = re.compile(r"<[!-;=?-~]{1,490}>")  # printable ASCII but < and >
_URL_RE = re.compile(r"https?://[^\s<>&\"']+(?:&amp;[^\s<>&\"']+)*")


class SmtpGateway:
    """Sends one UTF-8 e-mail per message; the Message-ID is derived from the idempotency key.

    ``use_tls`` means implicit TLS on port 465 and STARTTLS on any other port; the server's
    certificate is checked against ``ca_bundle`` (a PEM file) or the system's CAs.
    """

    # connect, EHLO, STARTTLS, login, MAIL/RCPT, DATA, QUIT: each waits up to ``timeout``
    send_steps = 8

    def __init__(
        self,
        host: str,
        port: int = 25,
        username: str | None = None,
        password: str | None = None,
        sender: str = "hotline@localhost",
        use_tls: bool = False,
        timeout: float = 10.0,
        ca_bundle: str | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.sender = sender
        self.use_tls = use_tls
        self.timeout = timeout
        self.ca_bundle = ca_bundle

    def message_id(self, msg: OutboundMessage) -> str:
        """The RFC 5322 Message-ID for ``msg``: the same on every retry, so duplicates show."""
        digest = hashlib.sha256(msg.idempotency_key.encode("utf-8")).hexdigest()[:32]
        domain = self.sender.rpartition("@")[2].strip(">") or "hotline.invalid"
        return f"<hotline.{digest}@{domain}>"

    def build(self, msg: OutboundMessage) -> EmailMessage:
        """The e-mail that ``send`` would deliver for ``msg``."""
        email = EmailMessage()
        # Header values must be single-line; a stray newline would otherwise inject headers.
        email["Subject"] = " ".join((msg.subject or DEFAULT_SUBJECT).split())
        email["From"] = self.sender
        email["To"] = msg.recipient
        email["Date"] = formatdate(localtime=False, usegmt=True)
        email["Message-ID"] = self.message_id(msg)
        email["X-Hotline-Idempotency-Key"] = msg.idempotency_key
        # Machine mail (RFC 3834): the citizen's auto-responder must not answer it.
        email["Auto-Submitted"] = "auto-replied"
        email["X-Auto-Response-Suppress"] = "All"
        for header, key in (("In-Reply-To", "in_reply_to"), ("References", "references")):
            value = _header_ids(msg.data.get(key))
            if value:
                email[header] = value
        # base64 keeps the message 7-bit, so relays without 8BITMIME pass it unchanged.
        email.set_content(msg.body, charset="utf-8", cte="base64")
        email.add_alternative(html_body(msg.body), subtype="html", charset="utf-8",
                              cte="base64")
        return email

    def send(self, msg: OutboundMessage) -> str:
        """Deliver ``msg`` and return its Message-ID."""
        if "@" not in msg.recipient or any(c in msg.recipient for c in "\r\n"):
            raise PermanentGatewayError(f"message {msg.id}: not an e-mail address")
        email = self.build(msg)
        try:
            client = self._connect()
            try:
                if self.username:
                    client.login(self.username, self.password or "")
                client.send_message(email)
            finally:
                _close_quietly(client)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _classify_refusal(msg, exc) from exc
        except smtplib.SMTPResponseException as exc:
            raise _classify_response(msg, exc) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise GatewayError(f"message {msg.id}: SMTP failed: {exc}") from exc
        return email["Message-ID"]

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context(cafile=self.ca_bundle)
        if self.use_tls and self.port == 465:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.use_tls:
                client.starttls(context=context)
        except BaseException:
            client.close()
            raise
        return client


def html_body(text: str) -> str:
    """The plain text as a small HTML page: escaped, paragraphs kept, links clickable."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(block)
        linked = _URL_RE.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return ('<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"></head>'
            '<body style="font-family: sans-serif; line-height: 1.6">\n'
            + "\n".join(paragraphs) + "\n</body></html>\n")


def _header_ids(value: object) -> str | None:
    """Message-ids only (``<a@b> <c@d>``), so data can never inject a header."""
    if not isinstance(value, str):
        return None
    ids = _MSGID_RE.findall(value)
    return " ".join(ids) or None


def _classify_response(msg: OutboundMessage, exc: smtplib.SMTPResponseException) -> GatewayError:
    """Only a 5xx refusal of the message data is final for this message.

    Greeting, login and sender refusals are about our server set-up, not this message: they
    stay retryable so the queue drains once an admin fixes the configuration.
    """
    text = f"message {msg.id}: SMTP {exc.smtp_code} {_decode(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPDataError) and 500 <= exc.smtp_code < 600:
        return PermanentGatewayError(text)
    return GatewayError(text)


def _classify_refusal(msg: OutboundMessage, exc: smtplib.SMTPRecipientsRefused) -> GatewayError:
    codes = [code for code, _ in exc.recipients.values()]
    text = f"message {msg.id}: recipient refused: " + "; ".join(
        f"{code} {_decode(reply)}" for code, reply in exc.recipients.values()
    )
    if codes and all(500 <= code < 600 for code in codes):
        return PermanentGatewayError(text)
    return GatewayError(text)


def _close_quietly(client: smtplib.SMTP) -> None:
    """End the session; once the message was accepted a failing QUIT must not cause a resend."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)

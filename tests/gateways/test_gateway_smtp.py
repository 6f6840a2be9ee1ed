"""SmtpGateway against a minimal SMTP sink running on 127.0.0.1 in a thread."""

from __future__ import annotations

import base64
import email
import email.policy
import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from hotline.gateways import GatewayError, OutboundMessage, PermanentGatewayError, SmtpGateway


@dataclass
class Delivery:
    """One message the sink accepted."""

    sender: str
    recipients: list[str]
    raw: bytes

    def parsed(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class SinkState:
    """What the sink received, and the replies it is told to give."""

    deliveries: list[Delivery] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_reply: str = "250 2.0.0 queued"
    auth_reply: str = "235 2.7.0 authenticated"


class SmtpSink(socketserver.ThreadingTCPServer):
    """Just enough ESMTP (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for smtplib."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.state = SinkState()
        super().__init__(("127.0.0.1", 0), _SinkHandler)


class _SinkHandler(socketserver.StreamRequestHandler):
    server: SmtpSink

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        state = self.server.state
        sender, recipients = "", []
        self.reply("220 sink ESMTP ready")
        while line := self.rfile.readline():
            command = line.decode("utf-8").rstrip("\r\n")
            verb = command[:4].upper()
            if verb == "EHLO":
                self.reply("250-sink")
                self.reply("250-AUTH PLAIN")
                self.reply("250 8BITMIME")
            elif verb == "HELO":
                self.reply("250 sink")
            elif verb == "AUTH":
                state.logins.append(base64.b64decode(command.split()[2]).decode("utf-8"))
                self.reply(state.auth_reply)
            elif verb == "MAIL":
                sender, recipients = _address(command), []
                self.reply("250 2.1.0 ok")
            elif verb == "RCPT":
                recipient = _address(command)
                answer = state.rcpt_replies.get(recipient, "250 2.1.5 ok")
                if answer.startswith("250"):
                    recipients.append(recipient)
                self.reply(answer)
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                raw = self._read_data()
                if state.data_reply.startswith("250"):
                    state.deliveries.append(Delivery(sender, recipients, raw))
                self.reply(state.data_reply)
            elif verb in ("RSET", "NOOP"):
                self.reply("250 ok")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 5.5.2 not implemented")

    def _read_data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)  # undo dot-stuffing
        return b"".join(lines)


def _address(command: str) -> str:
    return command.partition(":")[2].split()[0].strip("<>")


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def gateway_for(sink: SmtpSink, **kwargs: Any) -> SmtpGateway:
    port = sink.server_address[1]
    return SmtpGateway(
        "127.0.0.1", port, sender="12345@hotline.example.gov.cn", timeout=5, **kwargs
    )


def message(**overrides: Any) -> OutboundMessage:
    fields: dict[str, Any] = {
        "id": 11,
        "channel": "email",
        "recipient": "citizen@example.com",
        "subject": "您的诉求已受理（工单号 20261124-0001）",
        "body": "您好：\n您反映的噪音问题已转交区城管局办理。\n.\n12345 热线",
        "idempotency_key": "receipt-11",
    }
    fields.update(overrides)
    return OutboundMessage(**fields)


def test_message_arrives_once_with_utf8_subject(sink: SmtpSink) -> None:
    gateway = gateway_for(sink)
    provider_id = gateway.send(message())
    [delivery] = sink.state.deliveries
    assert delivery.sender == "12345@hotline.example.gov.cn"
    assert delivery.recipients == ["citizen@example.com"]
    parsed = delivery.parsed()
    assert parsed["Subject"] == "您的诉求已受理（工单号 20261124-0001）"
    assert parsed["To"] == "citizen@example.com"
    assert parsed["Message-ID"] == provider_id
    assert parsed["X-Hotline-Idempotency-Key"] == "receipt-11"
    text = parsed.get_body(("plain",))
    assert text.get_content_charset() == "utf-8"
    assert text.get_content() == "您好：\n您反映的噪音问题已转交区城管局办理。\n.\n12345 热线\n"
    assert parsed.get_content_type() == "multipart/alternative"
    assert "噪音问题已转交区城管局办理" in parsed.get_body(("html",)).get_content()
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert sink.state.logins == []
    # Headers and body are 7-bit: any relay passes them unchanged.
    assert delivery.raw.isascii()


def test_message_id_is_stable_per_idempotency_key(sink: SmtpSink) -> None:
    gateway = gateway_for(sink)
    first = gateway.send(message())
    again = gateway.send(message())  # the outbox retried after a crash
    other = gateway.send(message(id=12, idempotency_key="survey-12"))
    assert first == again != other
    assert first.startswith("<hotline.") and first.endswith("@hotline.example.gov.cn>")
    ids = [d.parsed()["Message-ID"] for d in sink.state.deliveries]
    assert ids == [first, first, other]


def test_login_when_username_given(sink: SmtpSink) -> None:
    gateway_for(sink, username="hotline", password="pa55").send(message())
    assert sink.state.logins == ["\0hotline\0pa55"]
    assert len(sink.state.deliveries) == 1


@pytest.mark.parametrize(
    ("subject", "expected"),
    [(None, "12345 热线"), ("回访\r\nBcc: evil@example.com", "回访 Bcc: evil@example.com")],
)
def test_subject_defaults_and_stays_on_one_line(
    sink: SmtpSink, subject: str | None, expected: str
) -> None:
    gateway_for(sink).send(message(subject=subject))
    [delivery] = sink.state.deliveries
    assert delivery.parsed()["Subject"] == expected
    assert delivery.parsed()["Bcc"] is None


@pytest.mark.parametrize(
    ("setting", "reply", "permanent"),
    [
        ("rcpt", "550 5.1.1 no such user", True),
        ("rcpt", "451 4.3.0 try again later", False),
        ("data", "554 5.7.1 rejected as spam", True),
        ("data", "451 4.3.0 queue full", False),
        ("auth", "535 5.7.8 bad credentials", False),
    ],
)
def test_refusals_are_classified(sink: SmtpSink, setting: str, reply: str, permanent: bool) -> None:
    if setting == "rcpt":
        sink.state.rcpt_replies["citizen@example.com"] = reply
    elif setting == "data":
        sink.state.data_reply = reply
    else:
        sink.state.auth_reply = reply
    gateway = gateway_for(sink, username="hotline", password="wrong")
    with pytest.raises(GatewayError, match=reply.split()[0]) as caught:
        gateway.send(message())
    assert isinstance(caught.value, PermanentGatewayError) is permanent
    assert sink.state.deliveries == []


def test_starttls_refused_by_server_is_retried(sink: SmtpSink) -> None:
    with pytest.raises(GatewayError) as caught:
        gateway_for(sink, use_tls=True).send(message())
    assert not isinstance(caught.value, PermanentGatewayError)
    assert sink.state.deliveries == []


def test_connection_refused_is_retried() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gateway = SmtpGateway("127.0.0.1", port, sender="a@b.example", timeout=2)
    with pytest.raises(GatewayError) as caught:
        gateway.send(message())
    assert not isinstance(caught.value, PermanentGatewayError)


@pytest.mark.parametrize("recipient", ["13812341234", "", "a@b.example\r\nRCPT TO:<x@y>"])
def test_not_an_address_is_permanent_without_connecting(recipient: str) -> None:
    gateway = SmtpGateway("127.0.0.1", 9, sender="a@b.example", timeout=0.1)
    with pytest.raises(PermanentGatewayError, match="not an e-mail address"):
        gateway.send(message(recipient=recipient))

"""The IMAP poller against a real IMAP server started here (pymap, in-memory, STARTTLS with a
certificate made for the test): mail read in a client first is still taken in, exactly once;
a renumbered folder is read again without duplicates; undecodable mail goes to review; wrong
settings are one line. And SMTP over STARTTLS with the same CA bundle (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from imapclient import IMAPClient

from hotline.gateways import GatewayError, OutboundMessage, SmtpGateway
from tests.intake.conftest import all_cases, messages
from workflows import mail as mail_jobs

USER, PASSWORD = "demouser", "demopass"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA bundle) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hotline test mail server")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def wait_listening(port: int, process: subprocess.Popen | None = None,
                   log: Path | None = None) -> None:
    """Wait until something listens on ``port`` (the server ``process`` did not die)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if (process is not None and process.poll() is not None) \
                    or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {log.read_text() if log else ''!r}") \
                    from None
            time.sleep(0.1)


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


def pymap_server(log: Path, *tls_options: str) -> Iterator[int]:
    """Run pymap (its demo mailbox) on a free port of 127.0.0.1 until the generator is
    closed; ``tls_options``: ``--cert C --key K`` for STARTTLS, or ``--no-tls``."""
    port = free_port()
    pymap = Path(sys.executable).with_name("pymap")
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [str(pymap), "--host", "127.0.0.1", "--port", str(port), *tls_options,
             "dict", "--demo-data"],
            stdout=output, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONWARNINGS": ""})
    try:
        wait_listening(port, process, log)
        yield port
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def imap_port(tls) -> Iterator[int]:
    """pymap on 127.0.0.1, offering STARTTLS with the test's certificate."""
    yield from pymap_server(tls[0].with_name("pymap.log"), "--cert", str(tls[0]),
                            "--key", str(tls[1]))


class Folder:
    """A fresh folder on the server, filled as a mail client would."""

    def __init__(self, port: int, ca: Path) -> None:
        self.port, self.ca = port, ca
        self.name = f"Hotline-{uuid.uuid4().hex[:8]}"
        with self.client() as client:
            client.create_folder(self.name)

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.starttls(ssl.create_default_context(cafile=str(self.ca)))
        client.login(USER, PASSWORD)
        return client

    def append(self, raw: bytes, *, read: bool = False) -> None:
        """Deliver a mail; ``read``: a person opened it in a mail client before the poll."""
        with self.client() as client:
            client.append(self.name, raw, flags=[b"\\Seen"] if read else [])

    def renumber(self) -> None:
        """Rebuild the folder, as a server migration does: same mail, a new UIDVALIDITY."""
        with self.client() as client:
            client.select_folder(self.name)
            mails = [data[b"BODY[]"] for _, data in sorted(
                client.fetch(client.search(["ALL"]), ["BODY.PEEK[]"]).items())]
            client.close_folder()
            client.delete_folder(self.name)
            client.create_folder(self.name)
            for raw in mails:
                client.append(self.name, raw)

    def seen(self) -> list[bool]:
        with self.client() as client:
            client.select_folder(self.name, readonly=True)
            flags = client.get_flags(client.search(["ALL"]))
            return [b"\\Seen" in flags[uid] for uid in sorted(flags)]


@pytest.fixture
def folder(app, world, imap_port, tls) -> Folder:
    box = Folder(imap_port, tls[0])
    app.config.update(IMAP_HOST="127.0.0.1", IMAP_PORT=imap_port, IMAP_SSL=False,
                      IMAP_STARTTLS=True, MAIL_CA_BUNDLE=tls[0], IMAP_USER=USER,
                      IMAP_PASSWORD=PASSWORD, IMAP_FOLDER=box.name)
    return box


def mail(subject: str, body: str = "建设路路灯坏了一个星期。") -> bytes:
    message = EmailMessage()
    message["From"] = "王芳 <wang.fang@example.cn>"
    message["To"] = "12345@hotline.example.gov.cn"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.cn")
    message.set_content(body)
    return message.as_bytes()


def test_mail_read_in_a_client_first_is_still_taken_in_exactly_once(folder):
    folder.append(mail("路灯不亮"))
    folder.append(mail("井盖丢失", "和平街井盖丢了。"), read=True)  # opened before the poll
    first = mail_jobs.poll_imap()
    assert (first.fetched, first.stored) == (2, 2) and len(all_cases()) == 2
    assert folder.seen() == [True, True]
    folder.append(mail("噪音扰民", "楼下装修到半夜。"), read=True)
    second = mail_jobs.poll_imap()
    assert (second.fetched, second.stored) == (1, 1) and len(all_cases()) == 3
    assert mail_jobs.poll_imap().fetched == 0  # nothing new: nothing read again
    assert len(messages()) == 3


def test_a_renumbered_folder_is_read_again_without_duplicates(folder):
    folder.append(mail("路灯不亮"))
    folder.append(mail("井盖丢失", "和平街井盖丢了。"))
    mail_jobs.poll_imap()
    folder.renumber()
    again = mail_jobs.poll_imap()
    assert (again.fetched, again.duplicates, again.stored) == (2, 2, 0)
    assert len(all_cases()) == 2


def test_undecodable_mail_goes_to_review_with_the_raw_kept(folder):
    raw = (b"From: a@example.cn\r\nTo: 12345@hotline.example.gov.cn\r\nSubject: test\r\n"
           b"Message-ID: <garbled-1@example.cn>\r\n"
           b"Content-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           + bytes([0x80, 0xFF, 0x81, 0x30, 0xFE, 0xFF]) * 20 + b"\r\n")
    folder.append(raw)
    result = mail_jobs.poll_imap()
    assert result.statuses == {"review": 1}
    [message] = messages()
    assert message.status == "review" and "无法解码" in message.reason
    assert message.payload.replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    assert all_cases() == []


@pytest.mark.parametrize(("settings", "words"), [
    ({"IMAP_PASSWORD": "wrong"}, ["login refused", "HOTLINE_IMAP_PASSWORD"]),
    ({"MAIL_CA_BUNDLE": None}, ["not trusted", "HOTLINE_MAIL_CA_BUNDLE"]),
    ({"IMAP_STARTTLS": False, "IMAP_SSL": True}, ["TLS", "HOTLINE_IMAP_STARTTLS"]),
    ({"IMAP_FOLDER": "NoSuchFolder"}, ["NoSuchFolder", "HOTLINE_IMAP_FOLDER"]),
    ({"IMAP_PORT": "closed"}, ["connection refused", "HOTLINE_IMAP_PORT"]),
])
def test_wrong_settings_end_in_one_clear_line(app, folder, monkeypatch, settings, words):
    if settings.get("IMAP_PORT") == "closed":
        settings = {"IMAP_PORT": free_port()}
    app.config.update(settings)
    monkeypatch.setattr("hotline.cli.create_app", lambda: app)
    from hotline.cli import main

    result = CliRunner().invoke(main, ["mail", "poll"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: IMAP"), result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in lines[0], lines[0]


# -- SMTP over STARTTLS, checked against the same CA bundle


@pytest.fixture
def smtp_tls(tls) -> Iterator[tuple[int, list[bytes]]]:
    from aiosmtpd.controller import Controller

    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.append(envelope.original_content)
            return "250 OK"

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(tls[0]), str(tls[1]))
    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=context,
                            require_starttls=True)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def outbound() -> OutboundMessage:
    return OutboundMessage(id=1, channel="email", recipient="wang.fang@example.cn",
                           subject="工单受理", body="您的诉求已受理。", idempotency_key="tls-1")


def test_smtp_starttls_trusts_the_ca_bundle(tls, smtp_tls):
    port, received = smtp_tls
    gateway = SmtpGateway("127.0.0.1", port=port, sender="12345@hotline.example.gov.cn",
                          use_tls=True, timeout=5, ca_bundle=str(tls[0]))
    gateway.send(outbound())
    assert len(received) == 1 and b"Auto-Submitted: auto-replied" in received[0]
    untrusting = SmtpGateway("127.0.0.1", port=port, sender="12345@hotline.example.gov.cn",
                             use_tls=True, timeout=5)
    with pytest.raises(GatewayError, match="CERTIFICATE_VERIFY_FAILED|certificate"):
        untrusting.send(outbound())
    assert len(received) == 1


def test_a_missing_ca_bundle_is_refused_at_start(tmp_path):
    from hotline.config import ConfigError, settings_from_mapping

    with pytest.raises(ConfigError, match="MAIL_CA_BUNDLE"):
        settings_from_mapping({"MAIL_CA_BUNDLE": str(tmp_path / "nowhere.pem")})

"""The IMAP poller over implicit TLS (port 993, ``HOTLINE_IMAP_SSL``), against a real IMAP
server: pymap behind a TLS listener started here with a certificate made for the test (as
dovecot or a mail host's stunnel serves 993). Mail is taken in exactly once; an untrusted
certificate and a plain-text server are one clear line each."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from imapclient import IMAPClient

from tests.intake import test_imap_poll as poll
from tests.intake.conftest import all_cases, messages
from tests.intake.test_imap_poll import (
    PASSWORD,
    USER,
    free_port,
    mail,
    make_certificate,
    pymap_server,
    wait_listening,
)
from workflows import mail as mail_jobs


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls993"))


@pytest.fixture(scope="module")
def plain_port(tls) -> Iterator[int]:
    """pymap on 127.0.0.1 without TLS of its own (the listener in front speaks TLS)."""
    yield from pymap_server(tls[0].with_name("pymap.log"), "--no-tls")


@pytest.fixture(scope="module")
def tls_port(tls, plain_port) -> Iterator[int]:
    """A TLS listener (implicit TLS, as on 993) that hands each connection to pymap; it
    runs in a thread of its own with ``asyncio.run``, which closes all it opened."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(tls[0]), str(tls[1]))
    port = free_port()
    started = threading.Event()
    control: dict = {}

    async def pipe(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def handle(client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", plain_port)
        await asyncio.gather(pipe(client_reader, server_writer),
                             pipe(server_reader, client_writer))

    async def serve():
        control["loop"], control["stop"] = asyncio.get_running_loop(), asyncio.Event()
        server = await asyncio.start_server(handle, "127.0.0.1", port, ssl=context)
        started.set()
        async with server:
            await control["stop"].wait()
        for task in asyncio.all_tasks() - {asyncio.current_task()}:
            task.cancel()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    started.wait(10)
    try:
        wait_listening(port)
        yield port
    finally:
        control["loop"].call_soon_threadsafe(control["stop"].set)
        thread.join(10)


class Folder(poll.Folder):
    """A fresh folder, filled over implicit TLS as a mail client would."""

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=True, timeout=10,
                            ssl_context=ssl.create_default_context(cafile=str(self.ca)))
        client.login(USER, PASSWORD)
        return client


@pytest.fixture
def folder(app, world, tls_port, tls) -> Folder:
    box = Folder(tls_port, tls[0])
    app.config.update(IMAP_HOST="127.0.0.1", IMAP_PORT=tls_port, IMAP_SSL=True,
                      IMAP_STARTTLS=False, MAIL_CA_BUNDLE=tls[0], IMAP_USER=USER,
                      IMAP_PASSWORD=PASSWORD, IMAP_FOLDER=box.name)
    return box


def test_mail_over_implicit_tls_is_taken_in_exactly_once(folder):
    folder.append(mail("路灯不亮"))
    folder.append(mail("井盖丢失", "和平街井盖丢了。"), read=True)
    first = mail_jobs.poll_imap()
    assert (first.fetched, first.stored) == (2, 2) and len(all_cases()) == 2
    assert mail_jobs.poll_imap().fetched == 0
    folder.append(mail("噪音扰民", "楼下装修到半夜。"))
    assert mail_jobs.poll_imap().stored == 1 and len(messages()) == 3


@pytest.mark.parametrize(("settings", "words"), [
    ({"MAIL_CA_BUNDLE": None}, ["not trusted", "HOTLINE_MAIL_CA_BUNDLE"]),
    ({"IMAP_PORT": "plain"}, ["TLS"]),
])
def test_an_untrusted_certificate_or_a_plain_port_is_one_clear_line(
        app, folder, plain_port, monkeypatch, settings, words):
    if settings.get("IMAP_PORT") == "plain":
        settings = {"IMAP_PORT": plain_port}  # 993 settings against a plain-text server
    app.config.update(settings)
    monkeypatch.setattr("hotline.cli.create_app", lambda: app)
    from hotline.cli import main

    result = CliRunner().invoke(main, ["mail", "poll"])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert lines[0].startswith("Error: IMAP") and "Traceback" not in result.output
    for word in words:
        assert word in lines[0], lines[0]
    assert all_cases() == []

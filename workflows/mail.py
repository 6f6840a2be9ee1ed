"""Inbound jobs: the IMAP poller for the hotline's mailbox, and the worker side of intake
(turning stored SMS and e-mail messages into cases).

The poller takes in mail by UID (a cursor per folder, within its UIDVALIDITY), so mail a
person opened first is not missed; a crash re-reads a mail and the unique (channel,
Message-ID) makes the second reading a no-op. A committed store of
a message for the workers sends ``signals.inbound_stored``; :func:`on_inbound_stored` then
queues one drain job.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from dataclasses import dataclass, field
from datetime import timedelta

import redis
from flask import current_app
from imapclient import IMAPClient
from rq import Queue

from hotline.broker import get_redis
from hotline.models import utcnow
from hotline.services.intake import cursor, receive, store
from hotline.unit_of_work import unit_of_work
from workflows import imap_errors, inbound
from workflows.context import job
from workflows.queues import HIGH

log = logging.getLogger(__name__)
logging.getLogger("imapclient").setLevel(logging.WARNING)  # it logs each connection at INFO
FETCH_BATCH = 20
IMAP_TIMEOUT = 60
DRAIN_FLAG = "hotline:intake:drain"
DRAIN_SECONDS = 120  # one drain job works this long, then queues the next one
DRAIN_JOB_TIMEOUT = 600


class MailNotConfigured(RuntimeError):
    """HOTLINE_IMAP_HOST (and user and password) are not set."""


class MailError(RuntimeError):
    """The IMAP server could not be read; the message names the setting to check."""


@dataclass
class PollResult:
    """What one poll did."""

    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"fetched": self.fetched, "stored": self.stored, "duplicates": self.duplicates,
                "statuses": self.statuses}


def import_mail(raw: bytes, result: PollResult | None = None) -> store.Receipt:
    """Store one raw mail (committed), then process it in a transaction of its own (see
    ``workflows.inbound``), counting it in ``result``."""
    with unit_of_work():
        receipt = receive.email(raw)
    if receipt.claimed:
        inbound.process_claimed(receipt.id)
    if result is not None:
        result.fetched += 1
        if receipt.duplicate:
            result.duplicates += 1
        else:
            result.stored += 1
        status = receipt.message.status
        result.statuses[status] = result.statuses.get(status, 0) + 1
    return receipt


def poll_imap() -> PollResult:
    """Take in the new mail of the configured IMAP folder once: every mail with a UID above
    the last one taken in, whether or not a person already opened it in a mail client.

    Each mail is stored (committed), then marked ``\\Seen`` and the cursor moved past it;
    a poll that dies between the two reads the mail again, and the raw store's unique
    Message-ID makes that reading a no-op. Wrong settings raise :class:`MailError` with
    one line naming the setting to fix."""
    config = current_app.config
    if not (config.get("IMAP_HOST") and config.get("IMAP_USER")
            and config.get("IMAP_PASSWORD")):
        raise MailNotConfigured("set HOTLINE_IMAP_HOST, HOTLINE_IMAP_USER and "
                                "HOTLINE_IMAP_PASSWORD to poll a mailbox")
    result = PollResult()
    try:
        with _connect(config) as client:
            _poll_folder(client, config, result)
    except (MailError, MailNotConfigured):
        raise
    except Exception as exc:  # noqa: BLE001 - each is told in one line; see imap_errors
        raise MailError(imap_errors.describe(exc, config)) from exc
    log.info("imap poll: %s", result.as_dict())
    return result


def _connect(config) -> IMAPClient:
    """A logged-in client: implicit TLS, STARTTLS, or plain, checked against the CA bundle."""
    bundle = config.get("MAIL_CA_BUNDLE")
    context = ssl.create_default_context(cafile=str(bundle) if bundle else None)
    starttls = bool(config.get("IMAP_STARTTLS"))
    client = IMAPClient(config["IMAP_HOST"], port=config["IMAP_PORT"],
                        ssl=bool(config["IMAP_SSL"]) and not starttls, ssl_context=context,
                        timeout=IMAP_TIMEOUT)
    try:
        if starttls:
            client.starttls(context)
        client.login(config["IMAP_USER"], config["IMAP_PASSWORD"])
    except BaseException:
        with contextlib.suppress(OSError):  # a failed handshake may have closed it already
            client.shutdown()
        raise
    return client


def _poll_folder(client: IMAPClient, config, result: PollResult) -> None:
    folder = config["IMAP_FOLDER"] or "INBOX"
    try:
        status = client.select_folder(folder)
    except imap_errors.IMAPClientError as exc:
        raise MailError(f"IMAP folder {folder!r} cannot be opened ({imap_errors.text(exc)}): "
                        f"check HOTLINE_IMAP_FOLDER") from exc
    validity = int(status[b"UIDVALIDITY"])
    mailbox = f"{config['IMAP_USER']}@{config['IMAP_HOST']}:{config['IMAP_PORT']}/{folder}"
    with unit_of_work():
        last = cursor.last_uid(mailbox, validity)
    if last is None:  # first look, or the server renumbered the folder: recent mail only
        since = (utcnow() - timedelta(days=config["IMAP_FIRST_POLL_DAYS"])).date()
        uids = sorted(client.search(["SINCE", since]))
        start = max(int(status.get(b"UIDNEXT", 1)) - 1, 0)
        with unit_of_work():
            cursor.advance(mailbox, validity, 0 if uids else start)
    else:  # "n:*" always answers the last mail, even below n
        uids = sorted(uid for uid in client.search(["UID", f"{last + 1}:*"]) if uid > last)
    for begin in range(0, len(uids), FETCH_BATCH):
        chunk = uids[begin:begin + FETCH_BATCH]
        for uid, data in sorted(client.fetch(chunk, ["BODY.PEEK[]"]).items()):
            raw = data.get(b"BODY[]")
            if raw is not None:
                import_mail(bytes(raw), result)
                client.add_flags([uid], [b"\\Seen"])
            with unit_of_work():
                cursor.advance(mailbox, validity, uid)


@job
def poll_mailbox() -> dict:
    """The RQ job: poll once. The schedule (:mod:`workflows.schedule`) runs it every
    ``HOTLINE_IMAP_POLL_SECONDS`` while ``HOTLINE_IMAP_HOST`` is set."""
    return poll_imap().as_dict()


@job
def drain_inbound() -> int:
    """Turn every stored, unprocessed inbound message into its case (or review item)."""
    get_redis().delete(DRAIN_FLAG)  # a message stored from now on queues a new drain
    done = inbound.drain(seconds=DRAIN_SECONDS)
    if store.waiting_count():
        queue_drain()  # time is up but messages wait: the next job takes them
    log.info("inbound drain: %s message(s) processed", done)
    return done


def queue_drain() -> None:
    """Make sure a worker job will process the waiting messages (one queued job at a time);
    with Redis down they stay waiting, shown on /agent/review."""
    try:
        connection = get_redis()
        if connection.set(DRAIN_FLAG, 1, nx=True, ex=300):
            # High priority: ahead of the outbox deliveries the drain itself produces.
            Queue(HIGH, connection=connection).enqueue(drain_inbound,
                                                       job_timeout=DRAIN_JOB_TIMEOUT)
    except redis.RedisError as exc:
        log.warning("could not queue inbound processing (shown as waiting on /agent/review): "
                    "%s", exc)


def on_inbound_stored(message_id: int, **_: object) -> None:
    """The receiver of ``signals.inbound_stored``: a committed message waits for a worker."""
    queue_drain()

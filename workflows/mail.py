"""Inbound jobs: the IMAP poller for the hotline's mailbox, and the worker side of intake
(turning stored SMS and e-mail messages into cases).

The poller marks a mail \\Seen only after it is stored and committed, so a crash re-reads it
and the unique (channel, Message-ID) makes the second reading a no-op. A committed store of
a message for the workers sends ``signals.inbound_stored``; :func:`on_inbound_stored` then
queues one drain job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import redis
from flask import current_app
from rq import Queue

from hotline.broker import get_redis
from hotline.services.intake import receive, store
from hotline.unit_of_work import unit_of_work
from workflows import inbound
from workflows.context import job
from workflows.queues import HIGH

log = logging.getLogger(__name__)
FETCH_BATCH = 20
DRAIN_FLAG = "hotline:intake:drain"
DRAIN_SECONDS = 120  # one drain job works this long, then queues the next one
DRAIN_JOB_TIMEOUT = 600


class MailNotConfigured(RuntimeError):
    """HOTLINE_IMAP_HOST (and user and password) are not set."""


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
    """Fetch the unseen mail of the configured IMAP folder once."""
    config = current_app.config
    if not (config.get("IMAP_HOST") and config.get("IMAP_USER")
            and config.get("IMAP_PASSWORD")):
        raise MailNotConfigured("set HOTLINE_IMAP_HOST, HOTLINE_IMAP_USER and "
                                "HOTLINE_IMAP_PASSWORD to poll a mailbox")
    from imapclient import IMAPClient

    result = PollResult()
    with IMAPClient(config["IMAP_HOST"], port=config["IMAP_PORT"],
                    ssl=config["IMAP_SSL"], timeout=60) as client:
        client.login(config["IMAP_USER"], config["IMAP_PASSWORD"])
        client.select_folder(config["IMAP_FOLDER"] or "INBOX")
        uids = sorted(client.search(["UNSEEN"]))
        for start in range(0, len(uids), FETCH_BATCH):
            chunk = uids[start:start + FETCH_BATCH]
            for uid, data in sorted(client.fetch(chunk, ["BODY.PEEK[]"]).items()):
                raw = data.get(b"BODY[]")
                if raw is None:
                    continue
                import_mail(bytes(raw), result)
                client.add_flags([uid], [b"\\Seen"])
    log.info("imap poll: %s", result.as_dict())
    return result


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

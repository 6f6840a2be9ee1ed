"""Inbound jobs: the IMAP poller for the hotline's mailbox, and the worker side of intake
(turning stored SMS and e-mail messages into cases).

The poller marks a mail \\Seen only after it is stored and committed, so a crash re-reads it
and the unique (channel, Message-ID) makes the second reading a no-op.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import current_app

from hotline.services import intake
from workflows.context import job

log = logging.getLogger(__name__)
FETCH_BATCH = 20


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


def import_mail(raw: bytes, result: PollResult | None = None) -> intake.Receipt:
    """Store (and, unless queued, process) one raw mail, counting it in ``result``."""
    receipt = intake.receive_email(raw)
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
    from hotline.broker import get_redis

    get_redis().delete(intake.DRAIN_FLAG)  # a message stored from now on queues a new drain
    done = intake.drain(seconds=intake.DRAIN_SECONDS)
    if intake.waiting_count():
        intake.kick_drain()  # time is up but messages wait: the next job takes them
    log.info("inbound drain: %s message(s) processed", done)
    return done

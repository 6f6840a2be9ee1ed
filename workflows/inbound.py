"""The transactions of intake, for every edge a message comes in by (the channel webhooks,
the mailbox form, the review pages, the mail jobs and the CLI).

Exactly once needs more than one transaction, in this order:

1. the raw message is stored (claimed, or waiting for a worker) and committed, before the
   channel is acknowledged: whatever happens next, the message is not lost;
2. a waiting message is claimed by a compare-and-set that commits, so one worker has it;
3. the claimed message is processed in one transaction: its case (or append, rating or
   answer), its outcome and the citizen's answer in the outbox commit together or not at all;
4. if processing failed, that transaction rolled back and a fresh one puts the message in the
   review queue with the reason: it is kept for a person, never lost.
"""

from __future__ import annotations

import logging
import time

from rq.timeouts import BaseTimeoutException

from hotline.channels import ParseError
from hotline.errors import ServiceError
from hotline.services.intake import process, review, store
from hotline.unit_of_work import unit_of_work

log = logging.getLogger(__name__)


def process_claimed(message_id: int, *, passive: bool = False) -> None:
    """Process a claimed, committed message in its own transaction; on failure roll it back
    and send the message to review in another (a job's timeout is re-raised instead: not
    the message's fault, it is taken again once stale)."""
    try:
        with unit_of_work():
            process.process(message_id, passive=passive)
    except Exception as exc:
        if isinstance(exc, BaseTimeoutException):
            raise
        if not isinstance(exc, ParseError | ServiceError):
            log.exception("processing inbound message %s failed", message_id)
        with unit_of_work():
            store.to_review(message_id, process.failure_reason(exc))


def drain(limit: int | None = None, seconds: float | None = None) -> int:
    """Process waiting messages until none is left (or ``limit`` were done, or ``seconds``
    have passed: a worker job stays well within its time limit and queues the rest). Each
    batch is claimed in a transaction of its own, each message processed in its own."""
    done = 0
    deadline = time.monotonic() + seconds if seconds is not None else None
    while (limit is None or done < limit) and (deadline is None or time.monotonic() < deadline):
        size = store.CLAIM_BATCH if limit is None else min(store.CLAIM_BATCH, limit - done)
        with unit_of_work():
            batch = store.claim_batch(size)
        if not batch:
            break
        for message_id in batch:
            process_claimed(message_id)
            done += 1
    return done


def retry(message_id: int) -> None:
    """Claim a queued or stuck message (committed), then process it again."""
    with unit_of_work():
        review.retry(message_id)
    process_claimed(message_id)


"""Delivering one outbox message: three steps, each in a transaction of its own.

The claim is committed before the send so that a second job sees the message as taken; the
send runs outside any transaction (no lock is held across the network); the outcome is
committed after. A worker that dies between the steps leaves the message ``sending``, and
the sweep takes it up again once the claim is stale.

A delivery job is stopped by RQ at its timeout. The sweep sends outside such a job, so each
of its sends runs in a child process of its own that is killed at the channel's send limit
(:func:`hotline.services.outbox.send_limit`), well before the claim may be taken over: a slow
gateway can never see the same message from two senders at once.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import select
import signal
import time
import traceback
from datetime import datetime

from hotline.models import utcnow
from hotline.services import outbox
from hotline.unit_of_work import unit_of_work


def deliver(message_id: int, *, now: datetime | None = None,
            bounded: bool = False) -> outbox.Delivery:
    """Send one message if it is due and nobody else holds it, and record the outcome.

    ``bounded``: the send is stopped at the channel's send limit (the caller is not a job
    that RQ stops at its timeout, e.g. the sweep)."""
    now = now or utcnow()
    with unit_of_work():
        claimed = outbox.claim(message_id, now)
    if claimed is None:
        return outbox.Delivery(message_id, "skipped")
    if bounded:
        seconds = outbox.send_limit(claimed.message.channel).total_seconds()
        attempt = send_within(claimed, now, seconds)
    else:
        attempt = outbox.send(claimed, now)
    with unit_of_work():
        return outbox.record_attempt(message_id, attempt, now)


class SendCrashed(RuntimeError):
    """The send raised something other than a gateway error (a bug): seen, not hidden."""


def send_within(claimed: outbox.Claimed, now: datetime, seconds: float) -> outbox.Attempt:
    """Send in a forked child that is killed after ``seconds`` (it also arms its own alarm,
    so it ends even if this process dies first); a stopped send is a failed attempt."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: send, write how it went, never return into the caller
        _send_in_child(claimed, now, seconds, read_end, write_end)
    os.close(write_end)
    try:
        raw = _read_until(read_end, time.monotonic() + seconds)
    finally:
        os.close(read_end)
        _end(pid)
    if raw is None:
        return outbox.failed(claimed, f"no answer within {seconds:.0f} s: the send was stopped",
                             now)
    if not raw:
        return outbox.failed(claimed, "the sending process ended without a result", now)
    kind, value = pickle.loads(raw)
    if kind == "raised":
        raise SendCrashed(value)
    return value


def _send_in_child(claimed, now, seconds: float, read_end: int, write_end: int) -> None:
    code = 0
    try:
        os.close(read_end)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the kernel ends it, whatever it does
        signal.alarm(max(1, math.ceil(seconds)) + 1)
        try:
            result = ("ok", outbox.send(claimed, now))
        except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
            result = ("raised", traceback.format_exc()[-4000:])
        with os.fdopen(write_end, "wb") as out:
            out.write(pickle.dumps(result))
    except BaseException:  # noqa: BLE001 - nothing may unwind into the parent's code
        code = 1
    finally:
        os._exit(code)


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything the child writes until it closes the pipe; None when the deadline passes."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _end(pid: int) -> None:
    """Kill the child if it still runs, and reap it."""
    with contextlib.suppress(ProcessLookupError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)

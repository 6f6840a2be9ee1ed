"""Delivering one outbox message: three steps, each in a transaction of its own.

The claim is committed before the send so that a second job sees the message as taken; the
send runs outside any transaction (no lock is held across the network); the outcome is
committed after. A worker that dies between the steps leaves the message ``sending``, and
the sweep takes it up again once the claim is stale.

A delivery job is stopped by RQ at its timeout. The sweep sends outside such a job, so its
sends run in a child process (:class:`BoundedSender`) that is killed when a send passes the
channel's send limit (:func:`hotline.services.outbox.send_limit`), well before the claim may
be taken over: a slow gateway can never see the same message from two senders at once.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import select
import signal
import struct
import time
import traceback
from datetime import datetime

from hotline.models import utcnow
from hotline.services import outbox
from hotline.unit_of_work import unit_of_work


def deliver(message_id: int, *, now: datetime | None = None,
            sender: BoundedSender | None = None) -> outbox.Delivery:
    """Send one message if it is due and nobody else holds it, and record the outcome.

    ``sender``: send through it, stopped at the channel's send limit (the caller is not a
    job that RQ stops at its timeout, e.g. the sweep)."""
    now = now or utcnow()
    with unit_of_work():
        claimed = outbox.claim(message_id, now)
    if claimed is None:
        return outbox.Delivery(message_id, "skipped")
    if sender is not None:
        seconds = outbox.send_limit(claimed.message.channel).total_seconds()
        attempt = sender.send(claimed, now, seconds)
    else:
        attempt = outbox.send(claimed, now)
    with unit_of_work():
        return outbox.record_attempt(message_id, attempt, now)


class SendCrashed(RuntimeError):
    """The send raised something other than a gateway error (a bug): seen, not hidden."""


_HEADER = struct.Struct("!Q")


class BoundedSender:
    """Sends messages in a child process forked once and reused (a fork costs tens of
    milliseconds in a worker that holds the model). A send that outlives its limit is ended
    by killing the child, and the next send forks a new one. The child also arms its own
    alarm for each send, so it ends even if this process dies first. Use it in ``with``."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self._to_child = self._from_child = -1
        self.forks = 0

    def __enter__(self) -> BoundedSender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, claimed: outbox.Claimed, now: datetime, seconds: float) -> outbox.Attempt:
        """Send one claimed message; a stopped send is a failed attempt (retried later)."""
        if self.pid is None:
            self._fork()
        try:
            _write_frame(self._to_child, pickle.dumps((claimed, now, seconds)))
            raw = _read_frame(self._from_child, time.monotonic() + seconds)
        except OSError:  # the child is gone (killed from outside)
            raw = b""
        if not raw:
            self.close()
            if raw is None:
                return outbox.failed(
                    claimed, f"no answer within {seconds:.0f} s: the send was stopped", now)
            return outbox.failed(claimed, "the sending process ended without a result", now)
        kind, value = pickle.loads(raw)
        if kind == "raised":
            raise SendCrashed(value)
        return value

    def close(self) -> None:
        """End the child (it may be in the middle of a send: it is killed) and reap it."""
        if self.pid is None:
            return
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        _end(self.pid)
        self.pid = None

    def _fork(self) -> None:
        to_child_read, self._to_child = os.pipe()
        self._from_child, from_child_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: serve sends until the parent closes the pipe
            os.close(self._to_child)
            os.close(self._from_child)
            _serve(to_child_read, from_child_write)
        os.close(to_child_read)
        os.close(from_child_write)
        self.pid = pid
        self.forks += 1


def _serve(requests: int, answers: int) -> None:
    code = 0
    try:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the kernel ends it, whatever it does
        while True:
            raw = _read_frame(requests, None)
            if not raw:
                break
            claimed, now, seconds = pickle.loads(raw)
            signal.alarm(max(1, math.ceil(seconds)) + 1)
            try:
                result = ("ok", outbox.send(claimed, now))
            except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
                result = ("raised", traceback.format_exc()[-4000:])
            signal.alarm(0)
            _write_frame(answers, pickle.dumps(result))
    except BaseException:  # noqa: BLE001 - nothing may unwind into the parent's code
        code = 1
    finally:
        os._exit(code)


def _write_frame(fd: int, payload: bytes) -> None:
    data = _HEADER.pack(len(payload)) + payload
    while data:
        data = data[os.write(fd, data):]


def _read_frame(fd: int, deadline: float | None) -> bytes | None:
    """One framed message; b"" at end of file, None when the deadline passes first."""
    header = _read_exactly(fd, _HEADER.size, deadline)
    if not header:
        return header
    return _read_exactly(fd, _HEADER.unpack(header)[0], deadline)


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes | None:
    chunks, got = [], 0
    while got < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
        chunk = os.read(fd, size - got)
        if not chunk:
            return b""
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _end(pid: int) -> None:
    """Kill the child if it still runs, and reap it."""
    with contextlib.suppress(ChildProcessError, ProcessLookupError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)

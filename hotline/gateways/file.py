"""The default adapter: writes messages to daily JSON-lines files instead of sending them.

Used for the ``console`` channel, in development, and for any channel with no provider
configured, so nothing is lost and an operator can still read (or forward) what went out.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hotline.gateways.base import GatewayError, OutboundMessage
from hotline.gateways.masking import mask_recipient

log = logging.getLogger("hotline.gateways")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FileGateway:
    """Appends one JSON line per message to ``<directory>/outbox-YYYYMMDD.jsonl`` (local date)."""

    def __init__(
        self,
        directory: str | Path,
        *,
        tz: str = "Asia/Shanghai",
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.directory = Path(directory)
        self._tz = ZoneInfo(tz)
        self._clock = clock
        # One process may send from several threads; a lock keeps each line whole.
        self._lock = threading.Lock()

    def path_for(self, moment: datetime) -> Path:
        """The file that messages written at ``moment`` go to."""
        return self.directory / f"outbox-{moment.astimezone(self._tz):%Y%m%d}.jsonl"

    def send(self, msg: OutboundMessage) -> str:
        """Write ``msg`` as one JSON line and return ``file:<idempotency_key>`` as its id."""
        now = self._clock()
        provider_id = f"file:{msg.idempotency_key}"
        record = {"written_at": now.astimezone(UTC).isoformat(), "provider_id": provider_id}
        record.update(asdict(msg))
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        path = self.path_for(now)
        try:
            with self._lock:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                # Owner-only: the lines hold full phone numbers and query codes.
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                with os.fdopen(fd, "a", encoding="utf-8") as handle:
                    handle.write(line)
        except OSError as exc:
            raise GatewayError(f"cannot write outbox file {path}: {exc}") from exc
        log.info(
            "outbox message %s (%s) to %s written to %s",
            msg.id,
            msg.channel,
            mask_recipient(msg.recipient),
            path.name,
        )
        return provider_id

"""Reconciliation: re-derive all due work from the database (Redis may have forgotten it)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def on_worker_start() -> None:
    """Run a sweep when a worker starts, so a flushed or restarted Redis loses nothing."""
    log.info("sweep at worker start: nothing scheduled yet")

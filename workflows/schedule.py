"""Periodic work, declared once as data and run by one mechanism.

Every worker runs a tick thread (:mod:`workflows.worker`) that calls :func:`tick`. For each
entry of :data:`SCHEDULE` that is due, the tick claims the entry's current slot with a Redis
``SET NX EX`` key; the one worker whose claim succeeds enqueues the job, so each slot runs
once however many workers there are. Nothing books itself again: a job that fails or a Redis
that forgets costs one slot, and the next tick claims the next one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workflows.queues import DEFAULT, HIGH, LOW, get_queue

log = logging.getLogger(__name__)
CLAIM_PREFIX = "hotline:periodic"
LONGEST_TICK = 60  # seconds: how late an ``at`` entry may start at worst


@dataclass(frozen=True)
class Periodic:
    """One piece of periodic work.

    ``every`` names the setting that holds the interval in seconds; ``at`` names the setting
    that holds a local time of day (a ``time``, or a whole hour where -1 means never).
    ``only_if`` names a setting that must be set for the entry to run at all. ``catch_up``:
    an ``every`` entry also runs when a worker starts; an ``at`` entry missed at its moment
    (no worker was running) still runs later that day, instead of only within the hour."""

    name: str
    job: str
    queue: str
    timeout: int
    every: str | None = None
    at: str | None = None
    only_if: str | None = None
    catch_up: bool = False


SCHEDULE: tuple[Periodic, ...] = (
    Periodic("sweep", "workflows.jobs.sweep", HIGH, timeout=900,
             every="SWEEP_INTERVAL_SECONDS", catch_up=True),
    Periodic("stats-nightly", "workflows.stats.refresh_stats", LOW, timeout=6 * 3600,
             at="STATS_REFRESH_AT", catch_up=True),
    # the night's other upkeep, at the same hour: the past days' case-number sequences
    Periodic("numbering-tidy", "workflows.jobs.tidy_numbering", LOW, timeout=600,
             at="STATS_REFRESH_AT", catch_up=True),
    Periodic("retrain", "workflows.retrain.retrain", LOW, timeout=3600, at="RETRAIN_HOUR"),
    Periodic("risk-refresh", "workflows.risk.refresh_risk", LOW, timeout=600,
             every="RISK_REFRESH_SECONDS", catch_up=True),
    Periodic("risk-warnings", "workflows.risk.send_warnings", DEFAULT, timeout=600,
             every="WARNING_CHECK_SECONDS", catch_up=True),
    Periodic("quality-inspect", "workflows.risk.inspect_pending", LOW, timeout=900,
             every="QUALITY_INSPECT_SECONDS", catch_up=True),
    Periodic("imap-poll", "workflows.mail.poll_mailbox", DEFAULT, timeout=600,
             every="IMAP_POLL_SECONDS", only_if="IMAP_HOST"),
)


@dataclass(frozen=True)
class Slot:
    """A due run of an entry: its id within the entry and how long the claim must live."""

    key: str
    ttl: int


def local_time_of(value: Any) -> time | None:
    """The time of day an ``at`` setting stands for: a ``time``, or a whole hour (-1: never)."""
    if value is None:
        return None
    if isinstance(value, time):
        return value
    hour = int(value)
    return None if hour < 0 else time(hour)


def due_slot(entry: Periodic, config: Mapping[str, Any], now: datetime, *,
             starting: bool = False) -> Slot | None:
    """The slot of ``entry`` that is due at ``now`` (aware), or None when nothing is due.

    Pure: the decision is apart from the claim, so it is tested without Redis."""
    if entry.only_if and not config.get(entry.only_if):
        return None
    if entry.every:
        seconds = int(config[entry.every])
        if starting and entry.catch_up:
            return Slot(f"start-{os.getpid()}-{int(now.timestamp())}", seconds)
        return Slot(str(int(now.timestamp()) // seconds), seconds)
    at = local_time_of(config.get(entry.at)) if entry.at else None
    if at is None:
        return None
    local = now.astimezone(ZoneInfo(config["TIMEZONE"]))
    moment = datetime.combine(local.date(), at, local.tzinfo)
    window = timedelta(days=1) if entry.catch_up else timedelta(hours=1)
    if not moment <= local < moment + window:
        return None
    return Slot(local.date().strftime("%Y%m%d"), 2 * 86400)


def next_run(entry: Periodic, config: Mapping[str, Any], now: datetime) -> datetime | None:
    """When an ``at`` entry next starts after ``now`` (aware, in the local zone)."""
    at = local_time_of(config.get(entry.at)) if entry.at else None
    if at is None:
        return None
    local = now.astimezone(ZoneInfo(config["TIMEZONE"]))
    moment = datetime.combine(local.date(), at, local.tzinfo)
    return moment if moment > local else datetime.combine(
        local.date() + timedelta(days=1), at, local.tzinfo)


def tick_seconds(config: Mapping[str, Any]) -> int:
    """How often a worker ticks: often enough for the shortest interval, at most a minute."""
    intervals = [int(config[entry.every]) for entry in SCHEDULE
                 if entry.every and (not entry.only_if or config.get(entry.only_if))]
    return max(1, min([LONGEST_TICK, *intervals]))


def tick(redis, config: Mapping[str, Any], now: datetime | None = None, *,
         starting: bool = False) -> list[str]:
    """Claim every due slot and enqueue its job; the names of the entries this worker ran."""
    now = now or datetime.now(UTC)
    ran = []
    for entry in SCHEDULE:
        slot = due_slot(entry, config, now, starting=starting)
        if slot is None:
            continue
        claim = f"{CLAIM_PREFIX}:{entry.name}:{slot.key}"
        if not redis.set(claim, os.getpid(), nx=True, ex=max(1, slot.ttl)):
            continue
        get_queue(entry.queue).enqueue(entry.job, job_timeout=entry.timeout,
                                       job_id=f"periodic-{entry.name}-{slot.key}")
        log.info("periodic %s enqueued (slot %s)", entry.name, slot.key)
        ran.append(entry.name)
    return ran


def entry(name: str) -> Periodic:
    """The entry called ``name`` (KeyError when there is none)."""
    for item in SCHEDULE:
        if item.name == name:
            return item
    raise KeyError(name)

"""Case numbers: local date plus a per-day sequence, e.g. 20261124000123; and query codes.

On PostgreSQL each local day has a database sequence of its own (``case_number_20261124``):
``nextval`` is one statement in the caller's transaction, never waits for another
registration and is not undone by a rollback, so numbers stay unique and rising, with a gap
where a registration failed. The day's sequence is created the first time a process numbers
a case of that day, on a connection of its own in autocommit (the one write a service makes
outside the caller's transaction, by design), starting after every number the day already
has. On SQLite the day's counter row (``case_number_counter``) joins the caller's
transaction: SQLite has one writer at a time anyway.
"""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hotline.models import CaseNumberCounter

SEQUENCE_DIGITS = 6
SEQUENCE_PREFIX = "case_number_"
KEEP_DAYS = 7  # the days whose sequences the nightly tidy keeps (today's included)

# The days whose sequence this process has seen to exist, per database.
_READY: set[tuple[str, str]] = set()
_READY_LOCK = threading.Lock()


def next_case_number(session: Session, now: datetime, tz: str) -> str:
    """Hand out the next number of the local day atomically (safe under concurrency)."""
    day = now.astimezone(ZoneInfo(tz)).strftime("%Y%m%d")
    engine = session.get_bind()
    if engine.dialect.name == "postgresql":
        # A sequence is not a row: concurrent registrations never queue for it, and the
        # number costs one short statement on the transaction's own connection (before:
        # an upsert of the day's counter row, on a second connection in autocommit so that
        # the hot row was locked for one statement only).
        # a day the nightly tidy may drop (a case numbered for a past day) is looked up
        # every time, never trusted from this process's memory
        oldest_kept = _oldest_kept(datetime.now(UTC), tz)
        name = day_sequence(engine, day, remember=day >= oldest_kept)
        sequence = session.connection().exec_driver_sql(
            f"SELECT nextval('\"{name}\"')").scalar_one()
    else:
        stmt = (
            sqlite_insert(CaseNumberCounter)
            .values(day=day, last=1)
            .on_conflict_do_update(index_elements=["day"],
                                   set_={"last": CaseNumberCounter.last + 1})
            .returning(CaseNumberCounter.last)
        )
        sequence = session.execute(stmt).scalar_one()
    return f"{day}{sequence:0{SEQUENCE_DIGITS}d}"


def day_sequence(engine: Engine, day: str, *, remember: bool = True) -> str:
    """The name of ``day``'s sequence (PostgreSQL), created when this process first needs
    it: on a connection of its own, committed at once, so that no rollback of the caller's
    transaction takes it away. ``remember``: trust it to exist from then on (a day the
    nightly tidy keeps)."""
    if not (len(day) == 8 and day.isdigit()):
        raise ValueError(f"not a day: {day!r}")
    name = SEQUENCE_PREFIX + day
    key = (getattr(engine, "engine", engine).url.render_as_string(hide_password=True), day)
    if key in _READY:
        return name
    with _READY_LOCK:
        if key not in _READY:
            _create_sequence(engine, day, name)
            if remember:
                _READY.add(key)
    return name


def _oldest_kept(now: datetime, tz: str, keep_days: int = KEEP_DAYS) -> str:
    """The first local day whose sequence the nightly tidy keeps."""
    today = now.astimezone(ZoneInfo(tz)).date()
    return (today - timedelta(days=keep_days - 1)).strftime("%Y%m%d")


def _create_sequence(engine: Engine, day: str, name: str) -> None:
    """Create ``day``'s sequence unless it exists, starting after the day's highest number
    so far: the cases already numbered (and the counter row of the numbering before
    sequences). Two processes creating it at once: one wins, the other finds it there."""
    pooled = engine.raw_connection()
    try:
        driver = pooled.driver_connection
        driver.autocommit = True
        try:
            if driver.execute("SELECT to_regclass(%s)", (f'"{name}"',)).fetchone()[0]:
                return
            highest = driver.execute(
                "SELECT greatest("
                " (SELECT max(substr(number, 9)::bigint) FROM \"case\""
                "   WHERE number >= %(day)s AND number < %(next)s"
                "     AND substr(number, 9) ~ '^[0-9]+$'),"
                " (SELECT last FROM case_number_counter WHERE day = %(day)s))",
                {"day": day, "next": day + ":"}).fetchone()[0]
            try:
                driver.execute(f'CREATE SEQUENCE IF NOT EXISTS "{name}" '
                               f"START WITH {int(highest or 0) + 1}")
            except Exception as exc:  # noqa: BLE001 - a concurrent creation won the race
                if getattr(exc, "sqlstate", None) not in ("23505", "42P07"):
                    raise
        finally:
            driver.autocommit = False
    finally:
        pooled.close()  # back to the pool


def drop_old_sequences(session: Session, now: datetime, tz: str,
                       keep_days: int = KEEP_DAYS) -> list[str]:
    """Drop the sequences of local days more than ``keep_days`` before ``now``'s, in the
    caller's transaction (nightly): registrations number cases of the current day, so an
    old day's sequence is never used again; one made again later would start after that
    day's numbers anyway. None on SQLite."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    oldest_kept = SEQUENCE_PREFIX + _oldest_kept(now, tz, keep_days)
    connection = session.connection()
    names = [name for (name,) in connection.exec_driver_sql(
        "SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE %(prefix)s"
        " AND relname < %(oldest)s ORDER BY relname",
        {"prefix": SEQUENCE_PREFIX + "%", "oldest": oldest_kept})
        if name[len(SEQUENCE_PREFIX):].isdigit()]
    for name in names:
        connection.exec_driver_sql(f'DROP SEQUENCE IF EXISTS "{name}"')
    with _READY_LOCK:
        _READY.difference_update({key for key in _READY
                                  if SEQUENCE_PREFIX + key[1] in names})
    return names


def forget_sequences() -> None:
    """Check each day's sequence afresh (after the schema was rebuilt under this process)."""
    with _READY_LOCK:
        _READY.clear()


QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out safely
QUERY_CODE_LENGTH = 8


def new_query_code() -> str:
    """Eight characters from an unambiguous alphabet (32**8, about 10**12 codes): easy to read
    out on the phone, far beyond guessing. Cases from before keep their six-digit codes."""
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))

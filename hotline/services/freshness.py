"""Per-process caches that must see a change at once, on every process.

A cache of API tokens (who a token acts as) or of webhook subscriptions may not lag: a token
revoked must fail on the very next request, a new subscription must receive the next event.
So each such cache is keyed on a counter row (``cache_generation``) that the transaction
changing the cached rows raises, in the same flush: a request reads the counters with one
small SELECT (:func:`current`) on the connection its own transaction uses, and a cache entry
made under another value is not used. No TTL, no message between processes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from sqlalchemy import event, inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hotline.extensions import db
from hotline.models import (
    ApiToken,
    CacheGeneration,
    NoticeSetting,
    Place,
    User,
    WebhookSubscription,
)

TOKENS = "tokens"
WEBHOOKS = "webhooks"
PLACES = "places"  # places admins imported (services/places.py); read every few seconds
NOTICES = "notices"  # the admins' notice settings (services/citizen_notices.py)
_READ = "hotline.generations"  # the counters as this transaction read them
_RAISED = "hotline.generations_raised"  # the counters this transaction raised
T = TypeVar("T")
#: the User columns a token's cached identity carries (Actor), and its liveness
_USER_FIELDS = ("active", "role", "department_id", "display_name")


def current() -> dict[str, int]:
    """Every counter's value, read in the caller's transaction (the first statement of a
    request starts it, so the values are as new as anything committed before it).

    Read once per transaction: the token, the webhook subscriptions and the notice settings
    of one request share one SELECT. A transaction that raises a counter forgets its reading
    (:func:`raise_generation`), so it never trusts a cache it has itself made stale."""
    session = db.session()
    connection = session.connection()  # begins the transaction when none is open
    transaction = session.get_transaction()
    read = session.info.get(_READ)
    if read is not None and read[0] is transaction:
        return read[1]
    # plain SQL on the session's connection: a third of the CPU of an ORM select
    rows = connection.exec_driver_sql("SELECT name, value FROM cache_generation")
    values = {name: value for name, value in rows}
    session.info[_READ] = (transaction, values)
    return values


def forget_reading() -> None:
    """Read the counters afresh: called as each request starts, so a request never trusts
    a reading of the one before it, even when both run in one transaction (a test's)."""
    db.session().info.pop(_READ, None)


def raised_here(name: str) -> bool:
    """Whether this transaction raised ``name``: what it read of the guarded rows is its own,
    uncommitted, and must not go into a cache other transactions use."""
    session = db.session()
    raised = session.info.get(_RAISED)
    return raised is not None and raised[0] is session.get_transaction() and name in raised[1]


def cached(name: str, load: Callable[[], T]) -> T:
    """What ``load()`` reads of the rows that counter ``name`` guards, from a per-process
    cache kept while the counter stands: a change committed anywhere is seen by the next
    transaction here. What a transaction reads of its own uncommitted change is not kept
    (it could be rolled back, and another change then bring the counter to the same value)."""
    generation = value(name)
    slot = f"hotline.cached.{name}"
    held = current_app.extensions.get(slot)
    if held is not None and held[0] == generation:
        return held[1]
    loaded = load()
    if not raised_here(name):
        current_app.extensions[slot] = (generation, loaded)
    return loaded


def value(name: str) -> int:
    """One counter's value in this transaction (0 before it was ever raised)."""
    return current().get(name, 0)


def raise_generation(session: Session, name: str) -> None:
    """Raise a counter in the session's transaction (an upsert: the row may be missing)."""
    session.info.pop(_READ, None)
    transaction = session.get_transaction()
    raised = session.info.get(_RAISED)
    if raised is None or raised[0] is not transaction:
        raised = session.info[_RAISED] = (transaction, set())
    raised[1].add(name)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.connection().execute(
        insert(CacheGeneration).values(name=name, value=1)
        .on_conflict_do_update(index_elements=["name"],
                               set_={"value": CacheGeneration.value + 1}))


def _changed(obj: object, fields: tuple[str, ...] | None) -> bool:
    state = inspect(obj)
    if fields is None:
        return any(attr.history.has_changes() for attr in state.attrs)
    return any(state.attrs[f].history.has_changes() for f in fields)


def _stale(session: Session) -> set[str]:
    """The counters this flush must raise: a token revoked or removed, a user who acts by
    token changed or removed, any subscription written."""
    names: set[str] = set()
    for obj in session.dirty:
        if isinstance(obj, ApiToken) and _changed(obj, ("revoked_at", "user_id")):
            names.add(TOKENS)
        elif isinstance(obj, User) and _changed(obj, _USER_FIELDS):
            names.add(TOKENS)
        elif isinstance(obj, WebhookSubscription) and _changed(obj, None):
            names.add(WEBHOOKS)
    for obj in session.deleted:
        if isinstance(obj, ApiToken | User):
            names.add(TOKENS)
        elif isinstance(obj, WebhookSubscription):
            names.add(WEBHOOKS)
    if any(isinstance(obj, WebhookSubscription) for obj in session.new):
        names.add(WEBHOOKS)
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, Place) for obj in touched):
        names.add(PLACES)
    if any(isinstance(obj, NoticeSetting) for obj in touched):
        names.add(NOTICES)
    return names


@event.listens_for(Session, "before_flush")
def _raise_on_change(session: Session, _context, _instances) -> None:
    for name in sorted(_stale(session)):
        raise_generation(session, name)

"""The transaction that the caller owns.

Services write into ``db.session`` and never commit. The view, job or command that starts a
piece of work opens one unit of work around all the service calls it makes; services join
it::

    with unit_of_work():
        case = registration.register_case(actor, new)
        suggestions.auto_dispatch(case)

On leaving the block without an error the transaction commits; on any error it rolls back
and the error goes on (a concurrent change of a versioned row becomes :class:`StaleVersion`).

Effects outside the database (a job on Redis, a signal to the scheduler) must happen only
if the change was committed. A service books them with :func:`after_commit` while it works;
the unit of work runs them once the commit has succeeded, in the order they were booked, and
forgets them on rollback. An effect that fails is logged and never undoes the commit: the
database is the source of truth, and the periodic sweep re-derives whatever was missed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hotline.errors import StaleVersion
from hotline.extensions import db

log = logging.getLogger(__name__)
_PENDING = "hotline.after_commit"


@contextmanager
def unit_of_work(*, keep_loaded: bool = False) -> Iterator[Session]:
    """Commit everything the block wrote, or nothing.

    ``keep_loaded`` keeps the objects the transaction wrote loaded after the commit
    (``expire_on_commit`` off for this commit only): a registration answers with the case it
    just wrote without reading it back."""
    session = db.session()
    try:
        yield session
        _commit(session, expire=not keep_loaded)
    except StaleDataError:
        session.rollback()
        raise StaleVersion("工单已被他人修改，请刷新后重试") from None
    except BaseException:
        session.rollback()
        raise
    run_committed_effects(session)


def after_commit(effect: Callable[..., Any], *args: Any, key: Hashable | None = None,
                 **kwargs: Any) -> None:
    """Book ``effect(*args, **kwargs)`` to run after the current transaction commits.

    ``key`` makes booking idempotent within one transaction: a second effect with the same
    key replaces nothing and is dropped (two actions on one case schedule it once)."""
    pending: dict[Hashable, tuple] = db.session().info.setdefault(_PENDING, {})
    slot = key if key is not None else object()
    if slot not in pending:
        pending[slot] = (effect, args, kwargs)


def run_committed_effects(session: Session | None = None) -> None:
    """Run the effects of transactions that have committed (the unit of work calls this)."""
    session = session or db.session()
    ready: list[tuple] = session.info.pop(_COMMITTED, [])
    for effect, args, kwargs in ready:
        try:
            effect(*args, **kwargs)
        except Exception:  # noqa: BLE001 - the commit stands; the sweep catches up
            log.exception("after-commit effect %s failed", getattr(effect, "__name__", effect))


_COMMITTED = "hotline.committed_effects"


def _commit(session: Session, *, expire: bool) -> None:
    default = session.expire_on_commit
    session.expire_on_commit = expire
    try:
        session.commit()
    finally:
        session.expire_on_commit = default


@event.listens_for(Session, "after_commit")
def _promote(session: Session) -> None:
    """A commit makes the booked effects ready; they run outside the commit, where SQL may
    be emitted again (the scheduler reads the case it schedules). The release of a savepoint
    reports a commit too, while its transaction goes on: that makes nothing ready."""
    if session.get_transaction() is not None and session.get_transaction().is_active:
        return
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_COMMITTED, []).extend(pending.values())


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)

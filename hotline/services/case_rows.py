"""A registration's new rows written with one Core INSERT a table instead of the ORM's flush.

The unit of work's flush of a new case (its citizen, the case, its register and dispatch
events) was the largest part of a registration's CPU (issue 19, bench/README.md): every
relationship of the case is walked, every one of its 57 columns bound. Here the rows the
objects hold are inserted directly: the citizen, the case and the events, each in one
statement with only the columns that have a value (every other column is NULL, as the ORM
would write it; none of these tables has a server-side default). The objects then join the
session as loaded, persistent rows, exactly as a flush leaves them, so everything after the
registration (the citizen's message, event pushes, the answer, later actions with their
version check) works on them as before.

Only the common shape is written this way: nothing else waiting in the session, no assisting
departments (a second table). Anything else is flushed by the ORM, as before. A rollback of
the transaction (or of the savepoint) that wrote them takes the objects out of the session
again, as it does with flushed new objects.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, SessionTransaction, make_transient, make_transient_to_detached

from hotline.models import Case, CaseEvent

_WRITTEN = "hotline.core_written"  # [(transaction, objects)] written in open transactions


def write_registration(session: Session, case: Case, events: list[CaseEvent]) -> None:
    """Write the new ``case`` with its citizen and ``events`` (what ``session.flush()`` would
    write for them), then hand them to the session as persistent rows."""
    mine = [o for o in (case.citizen, case, *events) if o is not None]
    if case.assisting or not _write(session, mine):
        session.flush()


def flush(session: Session) -> None:
    """``session.flush()``, with new rows that need nothing of the ORM (no relationships)
    written directly: the registration's citizen message after its case."""
    pending = list(session.new)
    if not pending or any(inspect(o).mapper.relationships for o in pending) \
            or not _write(session, pending):
        session.flush()


def _write(session: Session, objects: list[Any]) -> bool:
    """Insert ``objects`` in this order (each one's many-to-one targets written before it),
    one INSERT a table; False, writing nothing, unless they are all the session has to
    flush."""
    if set(session.new) != set(objects) or session.dirty or session.deleted \
            or not all(inspect(o).pending and _by_id(o) for o in objects):
        return False
    for obj in objects:
        session.expunge(obj)
    connection = session.connection()
    index = 0
    while index < len(objects):  # a run of one table's rows: one statement
        table = inspect(objects[index]).mapper.local_table
        run = [objects[index]]
        while index + len(run) < len(objects) and \
                inspect(objects[index + len(run)]).mapper.local_table is table:
            run.append(objects[index + len(run)])
        index += len(run)
        rows = [_row(o) for o in run]
        keys = {k for row in rows for k, v in row.items() if v is not None}
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=len(run) > 1)
        result = connection.execute(statement, [{k: row[k] for k in keys} for row in rows]
                                    if len(run) > 1 else {k: rows[0][k] for k in keys})
        for obj, row_id in zip(run, result.scalars().all(), strict=True):
            obj.id = row_id
    for obj in objects:
        make_transient_to_detached(obj)  # what it holds is now its committed state
        session.add(obj)
    session.info.setdefault(_WRITTEN, []).append((_innermost(session), objects))
    return True


def _by_id(obj: Any) -> bool:
    key = inspect(obj).mapper.primary_key
    return len(key) == 1 and key[0].key == "id"


def _row(obj: Any) -> dict[str, Any]:
    """The object's column values as the ORM would insert them: foreign keys taken from the
    related objects it holds, Python-side defaults applied (and set on the object, so that
    it is fully loaded)."""
    mapper = inspect(obj).mapper
    held = obj.__dict__
    for rel in mapper.relationships:
        if rel.direction.name != "MANYTOONE" or rel.key not in held:
            continue
        related = held[rel.key]
        for local, remote in rel.local_remote_pairs:
            value = None if related is None else getattr(
                related, inspect(related).mapper.get_property_by_column(remote).key)
            setattr(obj, mapper.get_property_by_column(local).key, value)
    row = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column.primary_key:
            continue
        if prop.key in held:
            value = held[prop.key]
        else:
            default = column.default
            value = None
            if default is not None:
                value = default.arg(None) if default.is_callable else default.arg
            setattr(obj, prop.key, value)
        row[column.key] = value
    return row


def _innermost(session: Session) -> SessionTransaction:
    return session.get_nested_transaction() or session.get_transaction()


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """Objects written in a transaction rolled back leave the session, as flushed new
    objects do (they are no rows of the database any more)."""
    written = session.info.get(_WRITTEN)
    if not written:
        return
    kept = []
    for transaction, objects in written:
        if _within(transaction, previous):
            for obj in objects:
                if obj in session:
                    session.expunge(obj)
                make_transient(obj)
        else:
            kept.append((transaction, objects))
    session.info[_WRITTEN] = kept


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    transaction = session.get_transaction()
    if transaction is None or not transaction.is_active:
        session.info.pop(_WRITTEN, None)

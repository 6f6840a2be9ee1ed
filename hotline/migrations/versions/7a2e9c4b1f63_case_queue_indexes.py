"""each queue of the list's header counted from an index of its own cases

The header counted the supervisor's five queues over every open case, from one covering
index of the open cases (``ix_case_open_queues``): its cost followed the open cases, and an
archive that keeps a few stragglers open for years has more of them each year (22,126 open
cases at 1,000,000, 47,559 at 10,000,000; the count 5-8 ms against 12-20 ms). Now the
three queues waiting on a supervisor (extension, returned, reopened) are counted from a
partial index of those open cases only, and the overdue and due-today ones as a range of
each running clock's deadline, so a count reads the cases in its queue.

On a live PostgreSQL database, build the indexes first without blocking writes, then run
the migration (it skips an index that exists):

    CREATE INDEX CONCURRENTLY ix_case_open_flagged ON "case" (status)
        INCLUDE (pending_extension_days, return_count, reopen_count,
                 department_id, via_department_id, id)
        WHERE status IN ('dispatched', 'in_progress', 'registered')
          AND (pending_extension_days IS NOT NULL OR return_count > 0 OR reopen_count > 0);
    CREATE INDEX CONCURRENTLY ix_case_sign_clock ON "case" (sign_deadline)
        INCLUDE (department_id, via_department_id, id) WHERE status = 'dispatched';
    CREATE INDEX CONCURRENTLY ix_case_handle_clock ON "case" (handle_deadline)
        INCLUDE (department_id, via_department_id, id) WHERE status = 'in_progress';

Revision ID: 7a2e9c4b1f63
Revises: 6a2e4c8f1b35
Create Date: 2026-12-03 04:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7a2e9c4b1f63'
down_revision = "6a2e4c8f1b35"
branch_labels = None
depends_on = None

OPEN = "status IN ('dispatched', 'in_progress', 'registered')"
FLAGGED = "pending_extension_days IS NOT NULL OR return_count > 0 OR reopen_count > 0"
VISIBILITY = ["department_id", "via_department_id", "id"]
INDEXES = (
    ("ix_case_open_flagged", "status",
     ["pending_extension_days", "return_count", "reopen_count", *VISIBILITY],
     f"{OPEN} AND ({FLAGGED})"),
    ("ix_case_sign_clock", "sign_deadline", VISIBILITY, "status = 'dispatched'"),
    ("ix_case_handle_clock", "handle_deadline", VISIBILITY, "status = 'in_progress'"),
)


def upgrade() -> None:
    existing = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("case")}
    for name, column, include, where in INDEXES:
        if name not in existing:
            op.create_index(name, "case", [column], postgresql_include=include,
                            postgresql_where=sa.text(where), sqlite_where=sa.text(where))
    if "ix_case_open_queues" in existing:
        op.drop_index("ix_case_open_queues", table_name="case")


def downgrade() -> None:
    op.create_index("ix_case_open_queues", "case", ["status"],
                    postgresql_include=["department_id", "via_department_id", "id",
                                        "sign_deadline", "handle_deadline",
                                        "pending_extension_days", "return_count",
                                        "reopen_count"],
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
    for name, *_ in INDEXES:
        op.drop_index(name, table_name="case")

"""the departments each case was dispatched to, indexed case by case

The oversight counts read, for each case of a period, the departments it was dispatched to
(the "assigned" and "returned by" figures). Without an index that answers it from the case,
PostgreSQL scanned every dispatch event of the archive (1.7 s at 1,000,000 cases, growing
with the history); this partial index makes it a look-up per case.

On a live PostgreSQL database, build it first without blocking writes, then run the
migration (it skips an index that exists):

    CREATE INDEX CONCURRENTLY ix_case_event_dispatch ON case_event (case_id, department_id)
        WHERE action = 'dispatch';

Revision ID: 7d2a9e4c1b36
Revises: 5c3e8a1f7b20
Create Date: 2026-12-02 11:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7d2a9e4c1b36'
down_revision = "5c3e8a1f7b20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "ix_case_event_dispatch" in {i["name"] for i in
                                    sa.inspect(op.get_bind()).get_indexes("case_event")}:
        return
    where = sa.text("action = 'dispatch'")
    op.create_index("ix_case_event_dispatch", "case_event", ["case_id", "department_id"],
                    postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    op.drop_index("ix_case_event_dispatch", table_name="case_event")

"""the events the oversight figures read, indexed case by case

The oversight counts read, for each case they count live, its overdue marks and its worst
rating. The index on (case_id, id) found a case's events, and PostgreSQL then read each of
them (five a case) to keep the few of these kinds; this partial index holds only them, so
a case without any costs one look-up that reads nothing.

On a live PostgreSQL database, build it first without blocking writes, then run the
migration (it skips an index that exists):

    CREATE INDEX CONCURRENTLY ix_case_event_figures ON case_event (case_id)
        WHERE action IN ('deadline_overdue', 'feedback');

Revision ID: 4e8c2a6b9d17
Revises: 3b6f0d2e8a41
Create Date: 2026-12-02 14:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '4e8c2a6b9d17'
down_revision = "3b6f0d2e8a41"
branch_labels = None
depends_on = None

WHERE = "action IN ('deadline_overdue', 'feedback')"


def upgrade() -> None:
    if "ix_case_event_figures" in {i["name"] for i in
                                   sa.inspect(op.get_bind()).get_indexes("case_event")}:
        return
    op.create_index("ix_case_event_figures", "case_event", ["case_id"],
                    postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))


def downgrade() -> None:
    op.drop_index("ix_case_event_figures", table_name="case_event")

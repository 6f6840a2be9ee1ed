"""the events the oversight figures read, with what they read of them

``ix_case_event_figures`` found a case's overdue marks and ratings, but PostgreSQL then read
each of them from the table (their action, time and data). Over a one-year archive of
1,000,000 cases the planner chose to read every such event of the archive that way and
hash them (540,000 events: 1.1 s of the 1.5 s of the 365-day figures); this index carries
those three columns, so each case costs one index-only look-up (the same report: 0.45 s).
SQLite has no INCLUDE: there the new index is the old one under its new name.

On a live PostgreSQL database, build it first without blocking writes, then run the
migration (it skips an index that exists, and drops the old one):

    CREATE INDEX CONCURRENTLY ix_case_event_figure_facts ON case_event (case_id)
        INCLUDE (action, at, data) WHERE action IN ('deadline_overdue', 'feedback');

Revision ID: 6a2e4c8f1b35
Revises: 5f1d3c7e2a94
Create Date: 2026-12-02 17:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = '6a2e4c8f1b35'
down_revision = "5f1d3c7e2a94"
branch_labels = None
depends_on = None

WHERE = "action IN ('deadline_overdue', 'feedback')"


def _indexes() -> set[str]:
    return {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("case_event")}


def upgrade() -> None:
    if "ix_case_event_figure_facts" not in _indexes():
        op.create_index("ix_case_event_figure_facts", "case_event", ["case_id"],
                        postgresql_include=["action", "at", "data"],
                        postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))
    if "ix_case_event_figures" in _indexes():
        op.drop_index("ix_case_event_figures", table_name="case_event")


def downgrade() -> None:
    op.create_index("ix_case_event_figures", "case_event", ["case_id"],
                    postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))
    op.drop_index("ix_case_event_figure_facts", table_name="case_event")

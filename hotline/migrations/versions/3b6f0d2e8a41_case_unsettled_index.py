"""the unsettled cases indexed by registration time

The oversight figures take a rolled-up period's settled cases from the rollup and count its
unsettled ones (not closed or merged) live. PostgreSQL found those by reading every case of
the period and keeping the few open ones (half a million rows for 365 days at 1,000,000
cases); this partial index finds them directly, so the cost follows the open cases.

On a live PostgreSQL database, build it first without blocking writes, then run the
migration (it skips an index that exists):

    CREATE INDEX CONCURRENTLY ix_case_unsettled_created ON "case" (created_at)
        WHERE status IN ('registered', 'dispatched', 'in_progress', 'replied');

Revision ID: 3b6f0d2e8a41
Revises: 7d2a9e4c1b36
Create Date: 2026-12-02 14:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '3b6f0d2e8a41'
down_revision = "7d2a9e4c1b36"
branch_labels = None
depends_on = None

WHERE = "status IN ('registered', 'dispatched', 'in_progress', 'replied')"


def upgrade() -> None:
    if "ix_case_unsettled_created" in {i["name"] for i in
                                       sa.inspect(op.get_bind()).get_indexes("case")}:
        return
    op.create_index("ix_case_unsettled_created", "case", ["created_at"],
                    postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))


def downgrade() -> None:
    op.drop_index("ix_case_unsettled_created", table_name="case")

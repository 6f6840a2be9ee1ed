"""the rollup holds settled cases only: drop the rows built under the old rule

The rollup's days now hold the cases that were closed or merged when the day was rebuilt;
the report counts a day's other cases live. Rows built before this counted every case, so
they are dropped with the rollup's state: the scheduled refresh then rebuilds every day (as
on a new installation), and until it has, reports count live (slower, never wrong).

Revision ID: 5c3e8a1f7b20
Revises: 1f6b2d9c4e73
Create Date: 2026-12-02 11:30:00

"""
from alembic import op


revision = '5c3e8a1f7b20'
down_revision = "1f6b2d9c4e73"
branch_labels = None
depends_on = None


def _empty_rollup() -> None:
    op.execute("DELETE FROM stats_monthly")
    op.execute("DELETE FROM stats_daily")
    op.execute("DELETE FROM stats_state")


def upgrade() -> None:
    _empty_rollup()


def downgrade() -> None:
    # The old rule's rows are rebuilt the same way: by the next full refresh.
    _empty_rollup()

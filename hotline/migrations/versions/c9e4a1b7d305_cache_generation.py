"""per-process caches (API tokens, webhook subscriptions) see a change at once: a counter each

Revision ID: c9e4a1b7d305
Revises: e13b7c2a5f90
Create Date: 2026-12-02 00:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c9e4a1b7d305'
down_revision = 'e13b7c2a5f90'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cache_generation',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('cache_generation')

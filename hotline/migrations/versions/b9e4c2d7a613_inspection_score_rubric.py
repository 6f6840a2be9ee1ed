"""the rubric a manual inspection score was given under, kept with the score

Revision ID: b9e4c2d7a613
Revises: a7d31e5c8b24
Create Date: 2026-12-02 08:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b9e4c2d7a613'
down_revision = "a7d31e5c8b24"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inspection_sample') as batch:
        batch.add_column(sa.Column('rubric', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('inspection_sample') as batch:
        batch.drop_column('rubric')

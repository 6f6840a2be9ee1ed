"""event push: webhook subscriptions (deliveries are outbox messages)

Revision ID: 7a3d9e1f4c20
Revises: 7a3d9c41e8b2
Create Date: 2025-01-02 00:00:00

"""
from alembic import op
import sqlalchemy as sa

import hotline.models.base


revision = '7a3d9e1f4c20'
down_revision = '7a3d9c41e8b2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'webhook_subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('salt', sa.String(length=64), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id']),
        sa.ForeignKeyConstraint(['department_id'], ['department.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_webhook_subscription_department_id'), 'webhook_subscription',
                    ['department_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_webhook_subscription_department_id'),
                  table_name='webhook_subscription')
    op.drop_table('webhook_subscription')

"""user sessions can be revoked; a reset password must be changed

Revision ID: 5e1c0a7d2b91
Revises: ccd068e50f5d
Create Date: 2025-01-01 00:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5e1c0a7d2b91'
down_revision = 'ccd068e50f5d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1',
                                      nullable=False))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('session_version')

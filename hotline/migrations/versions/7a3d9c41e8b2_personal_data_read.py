"""every reveal of a citizen's full phone number is recorded

Revision ID: 7a3d9c41e8b2
Revises: 7b3e9f2c4d10
Create Date: 2025-01-02 00:00:00

"""
from alembic import op
import sqlalchemy as sa

from hotline.models.base import UTCDateTime


revision = '7a3d9c41e8b2'
down_revision = '7b3e9f2c4d10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'personal_data_read',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('actor_label', sa.String(length=100), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('what', sa.String(length=20), nullable=False),
        sa.Column('via', sa.String(length=10), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'],
                                name=op.f('fk_personal_data_read_case_id_case')),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_personal_data_read_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_data_read')),
    )
    with op.batch_alter_table('personal_data_read', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_personal_data_read_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_personal_data_read_case_id'), ['case_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_personal_data_read_user_id'), ['user_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('personal_data_read', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_personal_data_read_user_id'))
        batch_op.drop_index(batch_op.f('ix_personal_data_read_case_id'))
        batch_op.drop_index(batch_op.f('ix_personal_data_read_at'))
    op.drop_table('personal_data_read')

"""citizen notices (per-kind switches and texts), "my cases" one-time codes, leaders' mailboxes

Revision ID: c13a5e7d9b41
Revises: c9e4a1b7d305
Create Date: 2026-12-02 02:00:00

"""
from alembic import op
import sqlalchemy as sa

import hotline.models.base


revision = 'c13a5e7d9b41'
down_revision = 'c9e4a1b7d305'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notice_setting',
        sa.Column('kind', sa.Enum('registered', 'dispatched', 'extended', 'replied',
                                  'reopened', 'closed', name='noticekind',
                                  native_enum=False, length=20), nullable=False),
        sa.Column('sms', sa.Boolean(), nullable=False),
        sa.Column('wechat', sa.Boolean(), nullable=False),
        sa.Column('email', sa.Boolean(), nullable=False),
        sa.Column('text_zh', sa.Text(), nullable=False),
        sa.Column('text_en', sa.Text(), nullable=False),
        sa.Column('updated_at', hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('kind', name=op.f('pk_notice_setting')),
    )
    op.create_table(
        'track_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phone_hash', sa.String(length=64), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_track_code')),
    )
    op.create_index(op.f('ix_track_code_phone_hash'), 'track_code', ['phone_hash'],
                    unique=False)
    op.create_table(
        'leader_mailbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('holder', sa.String(length=100), nullable=True),
        sa.Column('kind', sa.Enum('mayor', 'party_secretary', 'official', 'department_head',
                                  name='mailboxkind', native_enum=False, length=20),
                  nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('intro', sa.Text(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['office_id'], ['department.id'],
                                name=op.f('fk_leader_mailbox_office_id_department')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_leader_mailbox')),
        sa.UniqueConstraint('code', name=op.f('uq_leader_mailbox_code')),
    )
    with op.batch_alter_table('case') as batch:
        batch.add_column(sa.Column('mailbox_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('publish_consent', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.create_foreign_key(op.f('fk_case_mailbox_id_leader_mailbox'), 'leader_mailbox',
                                 ['mailbox_id'], ['id'])
        batch.create_index(op.f('ix_case_mailbox_id'), ['mailbox_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case') as batch:
        batch.drop_index(op.f('ix_case_mailbox_id'))
        batch.drop_constraint(op.f('fk_case_mailbox_id_leader_mailbox'), type_='foreignkey')
        batch.drop_column('publish_consent')
        batch.drop_column('mailbox_id')
    op.drop_table('leader_mailbox')
    op.drop_index(op.f('ix_track_code_phone_hash'), table_name='track_code')
    op.drop_table('track_code')
    op.drop_table('notice_setting')

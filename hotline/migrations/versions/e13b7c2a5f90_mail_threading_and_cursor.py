"""e-mail threading and the IMAP cursor: each inbound mail's Message-ID and References,
and how far the poller has read each folder (UID within UIDVALIDITY)

Revision ID: e13b7c2a5f90
Revises: e17b4c0a9d12
Create Date: 2026-12-02 02:30:00

"""
from alembic import op
import sqlalchemy as sa

import hotline.models.base


revision = 'e13b7c2a5f90'
down_revision = 'e17b4c0a9d12'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbound_message') as batch:
        batch.add_column(sa.Column('mail_message_id', sa.String(length=500), nullable=True))
        batch.add_column(sa.Column('mail_references', sa.Text(), nullable=True))
    op.create_table(
        'mail_cursor',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mailbox', sa.String(length=300), nullable=False),
        sa.Column('uidvalidity', sa.BigInteger(), nullable=False),
        sa.Column('last_uid', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('mailbox'),
    )


def downgrade() -> None:
    op.drop_table('mail_cursor')
    with op.batch_alter_table('inbound_message') as batch:
        batch.drop_column('mail_references')
        batch.drop_column('mail_message_id')

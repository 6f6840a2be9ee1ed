"""the citizen's language on cases and chats; WeChat media still to download; new notice kinds

Revision ID: a7d31e5c8b24
Revises: cb8910b975ce
Create Date: 2026-12-02 05:00:00

"""
from alembic import op
import sqlalchemy as sa

import hotline.models.base


revision = 'a7d31e5c8b24'
down_revision = "cb8910b975ce"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case') as batch:
        batch.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    with op.batch_alter_table('conversation') as batch:
        batch.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    with op.batch_alter_table('inbound_message') as batch:
        batch.add_column(sa.Column('media_due_at',
                                   hotline.models.base.UTCDateTime(timezone=True),
                                   nullable=True))
    op.create_index('ix_inbound_message_media_due', 'inbound_message', ['media_due_at'],
                    unique=False, postgresql_where=sa.text('media_due_at IS NOT NULL'),
                    sqlite_where=sa.text('media_due_at IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_inbound_message_media_due', table_name='inbound_message')
    with op.batch_alter_table('inbound_message') as batch:
        batch.drop_column('media_due_at')
    with op.batch_alter_table('conversation') as batch:
        batch.drop_column('language')
    with op.batch_alter_table('case') as batch:
        batch.drop_column('language')

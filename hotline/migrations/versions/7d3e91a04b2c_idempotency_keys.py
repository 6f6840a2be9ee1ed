"""idempotency keys; a channel's external reference registers one case; heartbeats

Revision ID: 7d3e91a04b2c
Revises: 5e1c0a7d2b91
Create Date: 2026-11-25 10:00:00

Before the unique index is built, a reference that several cases of one channel share (the
retries this index now prevents) is kept on the oldest case; the later ones get
``#dup-<id>`` appended, so nothing is lost and the duplicates can be found and merged.
"""
from alembic import op
import sqlalchemy as sa
import hotline.models.base


revision = '7d3e91a04b2c'
down_revision = '5e1c0a7d2b91'
branch_labels = None
depends_on = None

WHERE = "external_ref IS NOT NULL"


def upgrade() -> None:
    op.create_table('heartbeat',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('at', hotline.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_heartbeat'))
    )
    op.create_table('idempotent_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_at', hotline.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotent_request')),
    sa.UniqueConstraint('scope', 'key', name='uq_idempotent_request_scope_key')
    )
    with op.batch_alter_table('idempotent_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotent_request_created_at'), ['created_at'],
                              unique=False)

    op.execute(
        "UPDATE \"case\" SET external_ref = substr(external_ref, 1, 100) || '#dup-' || id "
        "WHERE external_ref IS NOT NULL AND EXISTS (SELECT 1 FROM \"case\" AS earlier "
        "WHERE earlier.channel = \"case\".channel AND earlier.external_ref = \"case\".external_ref "
        "AND earlier.id < \"case\".id)")
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index('uq_case_channel_external_ref', ['channel', 'external_ref'],
                              unique=True, postgresql_where=sa.text(WHERE),
                              sqlite_where=sa.text(WHERE))


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('uq_case_channel_external_ref', postgresql_where=sa.text(WHERE),
                            sqlite_where=sa.text(WHERE))
    with op.batch_alter_table('idempotent_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotent_request_created_at'))
    op.drop_table('idempotent_request')
    op.drop_table('heartbeat')

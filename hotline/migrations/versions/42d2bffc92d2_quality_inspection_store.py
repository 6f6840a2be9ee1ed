"""quality inspection kept: automatic results, rubric, weekly samples, sent warnings; staff
e-mail; notices without a case

Revision ID: 42d2bffc92d2
Revises: 8cf5a3920c93
Create Date: 2026-12-02 05:00:00

"""
from alembic import op
import sqlalchemy as sa

import hotline.models.base


revision = '42d2bffc92d2'
down_revision = "8cf5a3920c93"
branch_labels = None
depends_on = None


def _target():
    return sa.Enum('reply', 'record', name='inspectiontarget', native_enum=False, length=10)


def upgrade() -> None:
    op.create_table(
        'quality_result',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('target', _target(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('relevance', sa.Double(), nullable=True),
        sa.Column('findings', sa.JSON(), nullable=False),
        sa.Column('finding_count', sa.Integer(), nullable=False),
        sa.Column('worst', sa.Enum('info', 'warning', 'serious', name='severity',
                                   native_enum=False, length=10), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=True),
        sa.Column('text_hash', sa.String(length=64), nullable=False),
        sa.Column('model_version', sa.String(length=40), nullable=True),
        sa.Column('created_at', hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], ondelete='CASCADE',
                                name=op.f('fk_quality_result_case_id_case')),
        sa.ForeignKeyConstraint(['event_id'], ['case_event.id'], ondelete='CASCADE',
                                name=op.f('fk_quality_result_event_id_case_event')),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'],
                                name=op.f('fk_quality_result_department_id_department')),
        sa.ForeignKeyConstraint(['agent_id'], ['user_account.id'],
                                name=op.f('fk_quality_result_agent_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_result')),
    )
    op.create_index('ix_quality_result_case_target', 'quality_result', ['case_id', 'target'])
    op.create_index('ix_quality_result_target_department_created', 'quality_result',
                    ['target', 'department_id', 'created_at'])
    op.create_index('ix_quality_result_target_agent_created', 'quality_result',
                    ['target', 'agent_id', 'created_at'])
    op.create_table(
        'rubric_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('target', _target(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('guidance', sa.Text(), nullable=True),
        sa.Column('weight', sa.Double(), nullable=False),
        sa.Column('max_score', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_rubric_item')),
        sa.UniqueConstraint('target', 'code', name='uq_rubric_item_target_code'),
    )
    op.create_table(
        'inspection_sample',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('target', _target(), nullable=False),
        sa.Column('week', sa.Date(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('drawn_by_id', sa.Integer(), nullable=True),
        sa.Column('drawn_at', hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('points', sa.JSON(), nullable=True),
        sa.Column('score', sa.Double(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('scored_by_id', sa.Integer(), nullable=True),
        sa.Column('scored_at', hotline.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], ondelete='CASCADE',
                                name=op.f('fk_inspection_sample_case_id_case')),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'],
                                name=op.f('fk_inspection_sample_department_id_department')),
        sa.ForeignKeyConstraint(['agent_id'], ['user_account.id'],
                                name=op.f('fk_inspection_sample_agent_id_user_account')),
        sa.ForeignKeyConstraint(['drawn_by_id'], ['user_account.id'],
                                name=op.f('fk_inspection_sample_drawn_by_id_user_account')),
        sa.ForeignKeyConstraint(['scored_by_id'], ['user_account.id'],
                                name=op.f('fk_inspection_sample_scored_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_sample')),
        sa.UniqueConstraint('target', 'week', 'case_id', name='uq_inspection_sample_case'),
    )
    op.create_index('ix_inspection_sample_week_department', 'inspection_sample',
                    ['week', 'department_id'])
    op.create_index('ix_inspection_sample_week_agent', 'inspection_sample', ['week', 'agent_id'])
    op.create_table(
        'sent_warning',
        sa.Column('key', sa.String(length=160), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('message', sa.String(length=300), nullable=False),
        sa.Column('created_at', hotline.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_sent_warning')),
    )
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('email', sa.String(length=200), nullable=True))
    with op.batch_alter_table('notification') as batch:
        batch.alter_column('case_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM notification WHERE case_id IS NULL")
    with op.batch_alter_table('notification') as batch:
        batch.alter_column('case_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('email')
    op.drop_table('sent_warning')
    op.drop_index('ix_inspection_sample_week_agent', table_name='inspection_sample')
    op.drop_index('ix_inspection_sample_week_department', table_name='inspection_sample')
    op.drop_table('inspection_sample')
    op.drop_table('rubric_item')
    op.drop_index('ix_quality_result_target_agent_created', table_name='quality_result')
    op.drop_index('ix_quality_result_target_department_created', table_name='quality_result')
    op.drop_index('ix_quality_result_case_target', table_name='quality_result')
    op.drop_table('quality_result')

"""two-level dispatch (the district that passed a case on), co-handling (assisting
departments), and files tied to the reply or note they came with

Revision ID: 8cf5a3920c93
Revises: c13a5e7d9b41
Create Date: 2026-12-02 05:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '8cf5a3920c93'
down_revision = 'c13a5e7d9b41'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case') as batch:
        batch.add_column(sa.Column('via_department_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_case_via_department_id_department'), 'department',
                                 ['via_department_id'], ['id'])
    with op.batch_alter_table('attachment') as batch:
        batch.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_attachment_event_id_case_event'), 'case_event',
                                 ['event_id'], ['id'])
        batch.create_index(op.f('ix_attachment_event_id'), ['event_id'], unique=False)
    op.create_table(
        'case_assist',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], ondelete='CASCADE',
                                name=op.f('fk_case_assist_case_id_case')),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'],
                                name=op.f('fk_case_assist_department_id_department')),
        sa.PrimaryKeyConstraint('case_id', 'department_id', name=op.f('pk_case_assist')),
    )
    op.create_index(op.f('ix_case_assist_department_id'), 'case_assist', ['department_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_case_assist_department_id'), table_name='case_assist')
    op.drop_table('case_assist')
    with op.batch_alter_table('attachment') as batch:
        batch.drop_index(op.f('ix_attachment_event_id'))
        batch.drop_constraint(op.f('fk_attachment_event_id_case_event'), type_='foreignkey')
        batch.drop_column('event_id')
    with op.batch_alter_table('case') as batch:
        batch.drop_constraint(op.f('fk_case_via_department_id_department'), type_='foreignkey')
        batch.drop_column('via_department_id')

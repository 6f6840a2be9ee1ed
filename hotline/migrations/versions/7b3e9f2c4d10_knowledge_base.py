"""knowledge base: articles, their revisions and uses, synonyms and the search stamp

Revision ID: 7b3e9f2c4d10
Revises: 7d3e91a04b2c
Create Date: 2025-01-02 00:00:00

"""
from alembic import op
import sqlalchemy as sa

from hotline.models.base import UTCDateTime


revision = '7b3e9f2c4d10'
down_revision = '7d3e91a04b2c'
branch_labels = None
depends_on = None

STATUSES = ('draft', 'in_review', 'published', 'expired', 'withdrawn')


def upgrade() -> None:
    op.create_table(
        'kb_article',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('questions', sa.JSON(), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=True),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('source', sa.String(length=500), nullable=True),
        sa.Column('tags', sa.JSON(), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=True),
        sa.Column('expires_on', sa.Date(), nullable=True),
        sa.Column('review_on', sa.Date(), nullable=True),
        sa.Column('status', sa.Enum(*STATUSES, name='articlestatus', native_enum=False,
                                    length=24), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('use_count', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.Column('published_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['category_id'], ['category.id'],
                                name=op.f('fk_kb_article_category_id_category')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_kb_article_created_by_id_user_account')),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'],
                                name=op.f('fk_kb_article_department_id_department')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_article')),
    )
    op.create_index(op.f('ix_kb_article_category_id'), 'kb_article', ['category_id'])
    op.create_index(op.f('ix_kb_article_department_id'), 'kb_article', ['department_id'])
    op.create_index('ix_kb_article_status_review', 'kb_article', ['status', 'review_on'])
    op.create_table(
        'kb_revision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_label', sa.String(length=100), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'],
                                name=op.f('fk_kb_revision_actor_id_user_account')),
        sa.ForeignKeyConstraint(['article_id'], ['kb_article.id'], ondelete='CASCADE',
                                name=op.f('fk_kb_revision_article_id_kb_article')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_revision')),
    )
    op.create_index('ix_kb_revision_article_number', 'kb_revision', ['article_id', 'number'])
    op.create_table(
        'kb_use',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('article_version', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'],
                                name=op.f('fk_kb_use_actor_id_user_account')),
        sa.ForeignKeyConstraint(['article_id'], ['kb_article.id'], ondelete='CASCADE',
                                name=op.f('fk_kb_use_article_id_kb_article')),
        sa.ForeignKeyConstraint(['case_id'], ['case.id'], ondelete='CASCADE',
                                name=op.f('fk_kb_use_case_id_case')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_use')),
    )
    op.create_index(op.f('ix_kb_use_article_id'), 'kb_use', ['article_id'])
    op.create_index(op.f('ix_kb_use_case_id'), 'kb_use', ['case_id'])
    op.create_index(op.f('ix_kb_use_at'), 'kb_use', ['at'])
    op.create_table(
        'kb_synonym',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('words', sa.JSON(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_synonym')),
    )
    op.create_table(
        'kb_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stamp', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_state')),
    )


def downgrade() -> None:
    op.drop_table('kb_state')
    op.drop_table('kb_synonym')
    op.drop_table('kb_use')
    op.drop_table('kb_revision')
    op.drop_table('kb_article')

"""text search: a bigram index on PostgreSQL (two-character Chinese words), FTS5 on SQLite

PostgreSQL: ``hotline_bigrams()`` (plain SQL, no extension) and a GIN index over the bigrams of
``Case.search_text``; it answers every word of two or more characters, so it replaces the
trigram index of 9c2e7f1a3b58 (dropped here; downgrade builds it again). SQLite: an FTS5
table with the trigram tokenizer over title, content and address, kept in step by triggers.
See hotline/models/case_search.py and docs/scale.md.

Building the index blocks writes to ``case`` while it runs (about 3 minutes per million cases
on two busy cores). On a large live database build it first without blocking; this migration
then finds it and only drops the trigram index:

    -- the CREATE FUNCTION of hotline/models/case_search.py (PG_FUNCTION), then
    CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_case_search_bigram ON "case"
      USING gin (hotline_bigrams((title || ' ' || content || ' ' || coalesce(address, ''))));
    ANALYZE "case";

Revision ID: 1f6b2d9c4e73
Revises: b9e4c2d7a613
Create Date: 2026-12-02 08:00:00

"""
from alembic import op

from hotline.models import case_search
from hotline.models.case import SEARCH_TEXT_SQL

revision = '1f6b2d9c4e73'
down_revision = 'b9e4c2d7a613'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    case_search.install(bind)
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_case_search_trgm")
        # statistics of the new expression, for the planner's choice between the index and
        # reading the newest cases in order
        op.execute('ANALYZE "case"')


def downgrade() -> None:
    bind = op.get_bind()
    case_search.uninstall(bind)
    if bind.dialect.name == "postgresql":
        op.execute(f'CREATE INDEX IF NOT EXISTS ix_case_search_trgm ON "case" '
                   f"USING gin ({SEARCH_TEXT_SQL} gin_trgm_ops)")

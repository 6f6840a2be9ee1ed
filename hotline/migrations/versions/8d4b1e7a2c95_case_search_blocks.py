"""the text search's index keys each case's block of ids beside its bigrams

A search window of the archive asked the bigram index for every posting of its bigrams in the
whole archive, then kept the window's: at 10,000,000 cases a pair of words common together
(「宽巷子 烧烤」) read 4,765 postings in 10 ms for a window holding 43. The new index
(``ix_case_search_keys``, hotline/models/case_search.py) holds each case's bigrams and one
key for its block of 100,000 ids; a window asks for its blocks too, and GIN skips to the
window's postings.

PostgreSQL only (SQLite's FTS5 table is unchanged). On a live database, build the new
index first without blocking writes, then run the migration (it skips an index that
exists and drops the old one):

    -- the two CREATE FUNCTION statements of hotline/models/case_search.py, then
    CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_case_search_keys ON "case" USING gin
        (hotline_search_keys((title || ' ' || content || ' ' || coalesce(address, '')), id));

Revision ID: 8d4b1e7a2c95
Revises: 7a2e9c4b1f63
Create Date: 2026-12-03 05:00:00

"""
from alembic import op

from hotline.models import case_search
from hotline.models.case import SEARCH_TEXT_SQL

revision = '8d4b1e7a2c95'
down_revision = "7a2e9c4b1f63"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    case_search.install(bind)
    op.execute(f"DROP INDEX IF EXISTS {case_search.PG_OLD_INDEX_NAME}")
    op.execute('ANALYZE "case"')


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(f'CREATE INDEX IF NOT EXISTS {case_search.PG_OLD_INDEX_NAME} ON "case" '
               f"USING gin (hotline_bigrams({SEARCH_TEXT_SQL}))")
    op.execute(f"DROP INDEX IF EXISTS {case_search.PG_INDEX_NAME}")
    op.execute("DROP FUNCTION IF EXISTS hotline_search_keys(text, bigint)")

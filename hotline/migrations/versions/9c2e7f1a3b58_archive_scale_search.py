"""archive scale: a trigram index for the text search over all cases (PostgreSQL)

The supervisor's search matches every word of a query anywhere in a case's title, content and
address (``Case.search_text``). Without an index PostgreSQL reads the archive newest first
until it has a page of matches: fast for common words, a full scan for rare ones, and slower
every year. pg_trgm's GIN index finds the candidate rows from three-character pieces of each
word, for Chinese as for Latin text (the database's C.UTF-8 ctype classifies CJK characters
as letters), so the cost follows the number of matches.

SQLite, the embedded default, keeps the plain scan (see docs/scale.md).

Building the index blocks writes to ``case`` while it runs (about two minutes per million cases
on two busy cores). On a large live database build it first without blocking, then upgrade;
this migration then finds it and does nothing:

    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_case_search_trgm ON "case"
      USING gin ((title || ' ' || content || ' ' || coalesce(address, '')) gin_trgm_ops);
    ANALYZE "case";

Revision ID: 9c2e7f1a3b58
Revises: 7a3d9e1f4c20
Create Date: 2026-12-02 02:10:00

"""
from alembic import op

from hotline.models.case import SEARCH_TEXT_SQL

revision = '9c2e7f1a3b58'
down_revision = '7a3d9e1f4c20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension: the database owner may create it without superuser.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(f'CREATE INDEX IF NOT EXISTS ix_case_search_trgm ON "case" '
               f"USING gin ({SEARCH_TEXT_SQL} gin_trgm_ops)")
    # ANALYZE gathers statistics on the indexed expression. Without them the planner guesses
    # every word rare and reads all 50,000 cases naming a common one through the index
    # (3.7 s on a million cases) instead of the newest cases in order (20 ms).
    op.execute('ANALYZE "case"')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_case_search_trgm")

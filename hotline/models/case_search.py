"""The text search's index over ``Case.search_text``, one per database engine.

A word of a search must occur in a case's title, content or address (``ILIKE '%词%'``, exact
on both engines). The index only narrows the cases that ILIKE then checks, so it may offer too
many, never too few:

- **PostgreSQL: a bigram GIN index** (like Lucene's CJKAnalyzer, made without extensions).
  ``hotline_bigrams(text)`` is the array of every two consecutive characters of
  ``lower(text)`` (「玉林北路」 -> {玉林, 林北, 北路}); the index is over
  ``hotline_search_keys(search_text, id)`` (the bigrams and one key for the case's block of
  ids) and a word of two or more characters asks for the cases whose array contains all the
  word's bigrams (``@>``); a window of ids asks for its blocks too (``&&``). A text
  containing the word contains its bigrams, and ``lower()`` is what ILIKE compares with,
  so nothing matching is lost.
  Two-character Chinese words (「噪音」, 「漏水」), which pg_trgm cannot index, are single keys.
- **SQLite: an FTS5 table with the trigram tokenizer** (``case_fts``, external content over
  ``case``, kept in step by triggers). A word of three or more characters is a phrase
  ``MATCH``; shorter words are checked by the scan the longer ones leave. FTS5's tokenizers
  cannot be extended from Python, and the embedded default is for a small centre.

Both are built by the migration (1f6b2d9c4e73) and, for databases made from the models
(tests), by ``install`` when the ``case`` table is created.
"""

from __future__ import annotations

from sqlalchemy import event

from hotline.models.case import SEARCH_TEXT_SQL, Case

# Written with scalar functions only (so PostgreSQL inlines it; a set-returning body with
# generate_series cost 330 µs a case, this 100 µs): every character doubled, the first and
# last dropped, a \x01 after every two characters, split there. 「玉林北路」 -> 玉玉林林北北路路 ->
# 玉林林北北路 -> {玉林, 林北, 北路}. A text containing \x01 loses the bigrams around it, so
# a word containing \x01 is not looked up in the index (queries.py).
BIGRAMS_SQL = """array_remove(string_to_array(regexp_replace(
           substr(regexp_replace(lower(t), '(.)', '\\1\\1', 'g'), 2,
                  greatest(2 * length(t) - 2, 0)),
           '(..)', '\\1' || chr(1), 'g'), chr(1)), '')"""
PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION hotline_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT {BIGRAMS_SQL}
$$"""
# The index's keys of a case: its bigrams and the block of ids it lies in, a key no bigram
# can be (\x01 and the block's number: a bigram never holds \x01). A search window of the
# archive asks for its blocks beside its bigrams, and GIN skips to the postings in them,
# instead of reading every posting of the bigrams in the whole archive (text_search.py).
# Its body repeats the bigrams' expression instead of calling hotline_bigrams: pg_restore
# builds the index with an empty search_path, where only pg_catalog's functions are found.
PG_KEYS_FUNCTION = f"""
CREATE OR REPLACE FUNCTION hotline_search_keys(t text, id bigint) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT {BIGRAMS_SQL} || (chr(1) || (id / 100000)::text)
$$"""
#: the ids of one block (the divisor in PG_KEYS_FUNCTION)
BLOCK_IDS = 100_000
PG_INDEX_NAME = "ix_case_search_keys"
PG_INDEX_EXPRESSION = f"hotline_search_keys({SEARCH_TEXT_SQL}, id)"
PG_INDEX = f'CREATE INDEX IF NOT EXISTS {PG_INDEX_NAME} ON "case" USING gin ({PG_INDEX_EXPRESSION})'
# The index before the blocks (migration 1f6b2d9c4e73; replaced by 8d4b1e7a2c95).
PG_OLD_INDEX_NAME = "ix_case_search_bigram"


def block_keys(low: int, high: int) -> list[str]:
    """The index keys of the blocks holding the ids ``low <= id < high``."""
    return [f"\x01{block}" for block in range(low // BLOCK_IDS, (high - 1) // BLOCK_IDS + 1)]

SQLITE_TABLE = "case_fts"
SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_TABLE} USING fts5(title, content, address, "
    "content='case', content_rowid='id', tokenize='trigram')",
    # external content: the table holds only the index; these triggers keep it in step with
    # every writer (the services, bulk loads, a DBA's UPDATE)
    f"""CREATE TRIGGER IF NOT EXISTS case_fts_insert AFTER INSERT ON "case" BEGIN
      INSERT INTO {SQLITE_TABLE}(rowid, title, content, address)
      VALUES (new.id, new.title, new.content, new.address);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS case_fts_delete AFTER DELETE ON "case" BEGIN
      INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, title, content, address)
      VALUES ('delete', old.id, old.title, old.content, old.address);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS case_fts_update AFTER UPDATE OF title, content, address
    ON "case" BEGIN
      INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, title, content, address)
      VALUES ('delete', old.id, old.title, old.content, old.address);
      INSERT INTO {SQLITE_TABLE}(rowid, title, content, address)
      VALUES (new.id, new.title, new.content, new.address);
    END""",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS case_fts_update",
    "DROP TRIGGER IF EXISTS case_fts_delete",
    "DROP TRIGGER IF EXISTS case_fts_insert",
    f"DROP TABLE IF EXISTS {SQLITE_TABLE}",
)


def install(connection) -> None:
    """Create the engine's search index (idempotent). On SQLite the FTS table is filled from
    the existing cases; a later migration that rebuilds ``case`` with ``batch_alter_table``
    drops the triggers with the old table and must call this again."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(PG_FUNCTION)
        connection.exec_driver_sql(PG_KEYS_FUNCTION)
        connection.exec_driver_sql(PG_INDEX)
    elif connection.dialect.name == "sqlite":
        for statement in SQLITE_DDL:
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql(f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}) VALUES ('rebuild')")


def uninstall(connection) -> None:
    if connection.dialect.name == "postgresql":
        for name in (PG_INDEX_NAME, PG_OLD_INDEX_NAME):
            connection.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS hotline_search_keys(text, bigint)")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS hotline_bigrams(text)")
    elif connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            connection.exec_driver_sql(statement)


@event.listens_for(Case.__table__, "after_create")
def _after_create(_table, connection, **_kw) -> None:
    install(connection)


@event.listens_for(Case.__table__, "before_drop")
def _before_drop(_table, connection, **_kw) -> None:
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            connection.exec_driver_sql(statement)

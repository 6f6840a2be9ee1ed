"""Database schema upgrades through Alembic, for the CLI and for tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


# Indexes the migrations build on PostgreSQL only (an operator class SQLite lacks); the models
# do not declare them, so comparing the models with a database must leave them out.
POSTGRESQL_ONLY_INDEXES = frozenset({"ix_case_search_trgm", "ix_case_search_bigram",
                                     "ix_case_search_keys"})
# The SQLite text search's FTS5 table and the shadow tables FTS5 keeps for it
# (hotline/models/case_search.py): built by DDL, not declared as models.
SEARCH_TABLE_PREFIX = "case_fts"


def include_object(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ARG001
    """Alembic ``include_object`` hook: skip the engine-specific search index when comparing."""
    if type_ == "table" and reflected and name.startswith(SEARCH_TABLE_PREFIX):
        return False
    return not (type_ == "index" and reflected and name in POSTGRESQL_ONLY_INDEXES)


def upgrade(revision: str = "head") -> None:
    """Bring the app's database to ``revision``; run inside an app context."""
    command.upgrade(alembic_config(), revision)


def revision(message: str) -> None:
    """Autogenerate a migration from the models (developers only)."""
    command.revision(alembic_config(), message=message, autogenerate=True)

"""Alembic environment: migrates the database of the app that runs ``hotline init-db``, or,
run by the plain ``alembic upgrade head`` (alembic.ini at the checkout's root), of the app the
``HOTLINE_*`` settings describe, exactly as ``hotline init-db`` would build it."""

from __future__ import annotations

from alembic import context
from flask import has_app_context

from hotline.extensions import db
from hotline.models import Base
from hotline.schema import include_object

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    if not has_app_context():  # the plain alembic command: build the app it migrates
        from hotline.app import create_app

        with create_app().app_context():
            _run_on_engine()
            db.engine.dispose()
        return
    _run_on_engine()


def _run_on_engine() -> None:
    with db.engine.connect() as connection:
        _run(connection)
        connection.commit()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()

"""Alembic migrations, run by ``hotline init-db`` (see :mod:`hotline.schema`)."""

"""``hotline backup`` / ``hotline restore`` (issue 17): the database and the instance folder
into one archive, restored into a new, empty database and another instance folder, on
SQLite and on PostgreSQL (pg_dump / pg_restore)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from hotline import schema
from hotline.cli import main
from hotline.extensions import db
from hotline.models import ClassifierModel, User
from hotline.models.enums import ModelSource, ModelStatus
from hotline.services.actors import Actor
from hotline.services.registration import NewCase, register_case
from hotline.unit_of_work import unit_of_work
from tests.conftest import PG_URL

pytestmark = pytest.mark.committing  # the commands build their own apps and engines


@pytest.fixture
def target_database(tmp_path):
    """A new, empty database to restore into: a file, or a PostgreSQL database of its own."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    base, name = PG_URL.rsplit("/", 1)
    restored = f"{name}_restore"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{restored}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{restored}"')
    try:
        yield f"{base}/{restored}"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
        admin.dispose()


def run(monkeypatch, settings: dict, *args: str):
    for key, value in settings.items():
        monkeypatch.setenv(f"HOTLINE_{key}", str(value))
    return CliRunner().invoke(main, list(args))


def test_a_backup_restores_into_a_new_database_with_its_files(app, world, tmp_path,
                                                              monkeypatch, target_database):
    instance = Path(app.config["INSTANCE_PATH"])
    agent = Actor.from_user(db.session.query(User).filter_by(username="agent").one())
    with unit_of_work():
        case = register_case(agent, NewCase(content="备份之前登记的工单",
                                                        department="URBAN"))
        db.session.add(ClassifierModel(version="v-backup", path="v-backup.joblib",
                                       source=ModelSource.CSV, status=ModelStatus.READY,
                                       n_samples=3, metrics={}))
    number = case.number
    (instance / "models").mkdir(parents=True, exist_ok=True)
    (instance / "models" / "v-backup.joblib").write_bytes(b"model bytes")
    (instance / "uploads" / "2026").mkdir(parents=True, exist_ok=True)
    (instance / "uploads" / "2026" / "photo.jpg").write_bytes(b"\xff\xd8 a photo")
    command.stamp(schema.alembic_config(), "head")  # as an installed database would be
    db.session.remove()

    source = {key: app.config[key] for key in ("DATABASE_URL", "REDIS_URL", "INSTANCE_PATH",
                                               "SECRET_KEY")}
    archive = tmp_path / "hotline.tar.gz"
    done = run(monkeypatch, source, "backup", str(archive))
    assert done.exit_code == 0, done.output
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600

    restored_instance = tmp_path / "restored-instance"
    target = {**source, "DATABASE_URL": target_database, "INSTANCE_PATH": restored_instance}
    done = run(monkeypatch, target, "restore", str(archive))
    assert done.exit_code == 0, done.output

    engine = create_engine(target_database)
    try:
        with engine.connect() as connection:
            assert connection.execute(text('SELECT content FROM "case" WHERE number = :n'),
                                      {"n": number}).scalar() == "备份之前登记的工单"
            model_path = connection.execute(text(
                "SELECT path FROM classifier_model WHERE version = 'v-backup'")).scalar()
            assert connection.execute(text("SELECT version_num FROM alembic_version")
                                      ).scalar() is not None
    finally:
        engine.dispose()
    assert (restored_instance / "models" / model_path).read_bytes() == b"model bytes"
    assert (restored_instance / "uploads" / "2026" / "photo.jpg").read_bytes() \
        == b"\xff\xd8 a photo"

    # Never over live data: the database now has tables, a second restore is refused.
    again = run(monkeypatch, target, "restore", str(archive))
    assert again.exit_code != 0 and "Traceback" not in again.output
    assert "空" in again.output or "empty" in again.output


def test_a_file_that_is_not_a_backup_is_refused_by_name(app, tmp_path, monkeypatch):
    bogus = tmp_path / "not-a-backup.tar.gz"
    bogus.write_bytes(b"nothing")
    settings = {key: app.config[key] for key in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    settings.update(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}",
                    INSTANCE_PATH=tmp_path / "other")
    done = run(monkeypatch, settings, "restore", str(bogus))
    assert done.exit_code != 0 and "Traceback" not in done.output

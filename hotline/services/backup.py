"""Backup and restore of an installation: the database and the instance folder together.

The instance folder holds what the database only points at (attachments, trained routing
models, the mail archive, the file outbox, a generated secret key), so one archive carries
both, with a manifest saying what is inside:

- ``manifest.json``: the format, the database dialect, the schema revision, when;
- ``database.dump`` (PostgreSQL, ``pg_dump --format=custom``) or ``database.sqlite``
  (SQLite, a consistent copy made with the SQLite backup API while the app may be running);
- ``instance/``: the instance folder, less a SQLite database kept inside it.

A restore goes into an empty database only (never over live data) and unpacks the folder
into the configured instance path; the caller then brings the schema up to date. Stored
paths are relative to the instance folder, so a restore on another host or path works.
This module runs no business rule and uses no session: the command frames the work.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from hotline.errors import Conflict, InvalidInput

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP, SQLITE_COPY = "database.dump", "database.sqlite"
INSTANCE = "instance"


def backup(database_url: str, instance_path: Path, archive: Path) -> dict:
    """Write the database and the instance folder into ``archive`` (a .tar.gz, mode 0600);
    returns the manifest."""
    url = make_url(database_url)
    with _scratch() as work:
        if _is_sqlite(url):
            database_file = _sqlite_file(url)
            _sqlite_copy(database_file, work / SQLITE_COPY)
            dump = SQLITE_COPY
        else:
            database_file = None
            _pg(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                 f"--file={work / PG_DUMP}"], url)
            dump = PG_DUMP
        manifest = {"format": FORMAT, "dialect": url.get_backend_name(), "database": dump,
                    "revision": _revision(database_url),
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds")}
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2))
        fd = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            tar.add(work / MANIFEST, arcname=MANIFEST)
            tar.add(work / dump, arcname=dump)
            skip = _sqlite_family(database_file)
            tar.add(instance_path, arcname=INSTANCE,
                    filter=lambda info: None if _tar_source(instance_path, info) in skip
                    else info)
    return manifest


def restore(archive: Path, database_url: str, instance_path: Path) -> dict:
    """Load ``archive`` into an empty database and unpack its instance folder into
    ``instance_path``; returns the manifest. Refuses a database that has tables."""
    url = make_url(database_url)
    with _scratch() as work, _open_archive(archive) as tar:
        manifest = _read_manifest(tar, work)
        if manifest["dialect"] != url.get_backend_name():
            raise InvalidInput("备份是 {dialect} 数据库，不能恢复到 {target}", field="archive",
                               dialect=manifest["dialect"], target=url.get_backend_name())
        _refuse_non_empty(database_url)
        tar.extractall(work, filter="data")
        if _is_sqlite(url):
            _sqlite_copy(work / SQLITE_COPY, _sqlite_file(url))
        else:
            _pg(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                 "--single-transaction", str(work / PG_DUMP)], url)
        _unpack_instance(work / INSTANCE, instance_path, _sqlite_family(
            _sqlite_file(url) if _is_sqlite(url) else None))
    return manifest


@contextmanager
def _open_archive(archive: Path) -> Iterator[tarfile.TarFile]:
    try:
        tar = tarfile.open(archive, "r:gz")
    except (tarfile.TarError, OSError, EOFError):
        raise InvalidInput("不是 hotline 备份文件（无法读取归档）", field="archive") from None
    with tar:
        yield tar


def _read_manifest(tar: tarfile.TarFile, work: Path) -> dict:
    try:
        tar.extract(MANIFEST, work, filter="data")
        manifest = json.loads((work / MANIFEST).read_text())
    except (KeyError, ValueError):
        raise InvalidInput("不是 hotline 备份文件（缺少 manifest.json）", field="archive") from None
    if manifest.get("format") != FORMAT:
        raise InvalidInput("备份格式 {format} 不受支持", field="archive",
                           format=manifest.get("format"))
    return manifest


def _refuse_non_empty(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise Conflict("目标数据库不是空的（已有 {count} 张表）：请恢复到新建的空数据库",
                       count=len(tables))


def _unpack_instance(source: Path, target: Path, skip: set[Path]) -> None:
    """Copy the archived instance folder over ``target``, keeping a database file there."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.rglob("*")):
        destination = target / path.relative_to(source)
        if destination.resolve() in skip:
            continue
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        else:
            shutil.copy2(path, destination)


def _revision(database_url: str) -> str | None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            if "alembic_version" not in inspect(connection).get_table_names():
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _sqlite_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise InvalidInput("内存中的 SQLite 数据库无法备份", field="database_url")
    return Path(url.database).resolve()


def _sqlite_family(database_file: Path | None) -> set[Path]:
    """The database file and its journals: never archived or overwritten as instance files."""
    if database_file is None:
        return set()
    return {Path(f"{database_file}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")}


def _tar_source(root: Path, info: tarfile.TarInfo) -> Path:
    relative = Path(info.name).relative_to(INSTANCE)
    return (root / relative).resolve()


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's online backup API (safe while others write)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with _closing_sqlite(source) as src, _closing_sqlite(target) as dst:
        src.backup(dst)


@contextmanager
def _closing_sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path)
    try:
        yield connection
    finally:
        connection.close()


def _pg(command: list[str], url: URL) -> None:
    """Run a PostgreSQL client program on ``url``; the password goes in the environment,
    never on a command line that ``ps`` shows."""
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    target = url.set(drivername="postgresql", password=None).render_as_string()
    command = [*command, f"--dbname={target}"]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


@contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="hotline-backup-") as name:
        os.chmod(name, 0o700)
        yield Path(name)

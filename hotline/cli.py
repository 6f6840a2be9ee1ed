"""The ``hotline`` command: set-up, the embedded demo server, workers and admin chores."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable

import click

from hotline import heap
from hotline.app import create_app
from hotline.errors import ServiceError
from hotline.unit_of_work import unit_of_work


def with_app(command: Callable) -> Callable:
    """Run the command inside an app context; a refused change is a clear CLI error."""
    @functools.wraps(command)
    def wrapped(*args, **kwargs):
        from hotline import broker
        from hotline.extensions import db

        app = create_app()
        with app.app_context():
            try:
                return command(*args, **kwargs)
            except ServiceError as exc:
                from hotline.webutil import translate_error

                raise click.ClickException(translate_error(exc)) from None
            finally:
                db.session.remove()
                db.engine.dispose()
                broker.close(app)
    return wrapped


@click.group()
def main() -> None:
    """hotline: the 12345 citizen-request platform."""
    # SIGTERM ends a command like Ctrl-C does: through its finally blocks and atexit, so
    # the embedded redis-server and the workers it started stop too (a worker's RQ loop
    # installs its own handlers on top of this one).
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop_on_term)


def _stop_on_term(signum, _frame) -> None:
    raise SystemExit(128 + signum)


@main.command("init-db")
@with_app
def init_db() -> None:
    """Create or upgrade the database schema and seed time limits, the holiday calendar and
    the default inspection rubric."""
    from hotline import schema
    from hotline.services import sampling, sla

    schema.upgrade()
    with unit_of_work():
        policies = sla.seed_default_policies()
        days = sla.seed_official_calendar()
        sampling.ensure_default_rubric()
    click.echo(f"database ready ({policies} policies, {days} calendar days added)")


@main.command("seed-demo")
@with_app
def seed_demo() -> None:
    """Load the demo city: departments, categories, accounts and sample cases (idempotent)."""
    from hotline.demo import seed

    summary = seed.load_demo()
    click.echo(summary)


@main.command()
@click.argument("archive", type=click.Path(dir_okay=False, writable=True))
@with_app
def backup(archive: str) -> None:
    """Write the database and the instance folder (uploads, models, mail archive) to ARCHIVE
    (.tar.gz, readable by its owner only); the app may keep running meanwhile."""
    from pathlib import Path

    from flask import current_app

    from hotline.services import backup as backups

    manifest = backups.backup(current_app.config["DATABASE_URL"],
                              Path(current_app.config["INSTANCE_PATH"]), Path(archive))
    click.echo(f"backup written to {archive} ({manifest['dialect']} database at revision "
               f"{manifest['revision']}, instance folder)")


@main.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@with_app
def restore(archive: str) -> None:
    """Restore ARCHIVE (from ``hotline backup``) into the configured database, which must be
    empty, and its instance folder; then bring the schema up to the installed version."""
    from pathlib import Path

    from flask import current_app

    from hotline import schema
    from hotline.services import backup as backups

    manifest = backups.restore(Path(archive), current_app.config["DATABASE_URL"],
                               Path(current_app.config["INSTANCE_PATH"]))
    schema.upgrade()
    click.echo(f"restored the backup of {manifest['created_at']} (revision "
               f"{manifest['revision']}); schema upgraded to the installed version")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int,
              help="RQ worker processes to start beside the web server.")
def serve(host: str, port: int, workers: int) -> None:
    """Run the whole system on this machine: web, Redis (embedded if unset) and workers."""
    from hotline import broker

    app = create_app()
    server = None
    if not app.config.get("REDIS_URL"):
        server = broker.start_embedded(app.config["INSTANCE_PATH"])
        app.config["REDIS_URL"] = broker.embedded_url(server)
    env = {**os.environ, "HOTLINE_REDIS_URL": app.config["REDIS_URL"]}
    if not os.environ.get("HOTLINE_PUBLIC_URL"):
        # Tracking links in replies and follow-ups point at this server, on whatever port
        # it was given, until a public address is configured.
        app.config["PUBLIC_URL"] = env["HOTLINE_PUBLIC_URL"] = f"http://{_shown(host)}:{port}"
    children = [subprocess.Popen([sys.executable, "-m", "hotline.cli", "worker"], env=env,
                                 preexec_fn=broker.die_with_starter())  # noqa: PLW1509
                for _ in range(workers)]
    heap.settle()
    _print_banner(host, port)
    signal.signal(signal.SIGTERM, _interrupt)  # stopped like Ctrl-C: workers and Redis too
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=5)
        if server is not None:
            server.shutdown()
        click.echo("hotline stopped")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _shown(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::") else host


def _print_banner(host: str, port: int) -> None:
    from hotline.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD

    click.echo(f"\nhotline is running at http://{_shown(host)}:{port}/  (Ctrl-C stops it)")
    click.echo(f"demo accounts (password {DEMO_PASSWORD}):")
    for username, role, _name, _dept in DEMO_ACCOUNTS:
        click.echo(f"  {role:<11} {username}")
    click.echo("")


@main.command()
@click.option("--burst", is_flag=True, help="Work off the queues, then stop.")
def worker(burst: bool) -> None:
    """Run an RQ worker with its scheduler; jieba and the model are loaded once, before forking."""
    from workflows import context
    from workflows.worker import run_worker

    app = create_app()
    context.use_app(app)
    context.preload()
    heap.settle()  # after the preload: the forked work horses share it, uncopied
    run_worker(app, burst=burst)


@main.group()
def department() -> None:
    """Departments (承办单位)."""


@department.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--parent", help="Code of the parent department.")
@click.option("--district", help="District the department serves (for 属地 routing).")
@with_app
def department_add(code: str, name: str, parent: str | None, district: str | None) -> None:
    """Add a department; CODE is how the API and routing name it."""
    from hotline.services import directory

    with unit_of_work():
        dept = directory.add_department(code, name, parent=parent, district=district)
    click.echo(f"department {dept.code} added")


@main.group()
def user() -> None:
    """Staff accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["agent", "department", "supervisor",
                                                          "admin"]))
@click.option("--department", help="Department code (required for department staff).")
@click.option("--password", required=True)
@click.option("--name", "display_name", help="Name shown in the timeline.")
@click.option("--email", help="Where warnings are mailed (supervisors).")
@with_app
def user_add(username: str, role: str, department: str | None, password: str,
             display_name: str | None, email: str | None) -> None:
    """Add a staff account."""
    from hotline.services import directory

    with unit_of_work(keep_loaded=True):
        account = directory.add_user(username, role=role, password=password,
                                     display_name=display_name, department=department,
                                     email=email)
    click.echo(f"user {account.username} ({account.role.value}) added")


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("username")
@click.option("--name", default="", help="What the token is for.")
@with_app
def token_create(username: str, name: str) -> None:
    """Create an API token for USERNAME; the token is the last line printed."""
    from hotline.services import directory

    with unit_of_work():
        value = directory.create_token(username, name)
    click.echo(f"token for {username} (shown once, store it safely):")
    click.echo(value)


@token.command("revoke")
@click.argument("prefix")
@with_app
def token_revoke(prefix: str) -> None:
    """Revoke tokens starting with PREFIX (the first 10 characters)."""
    from hotline.services import directory

    with unit_of_work():
        revoked = directory.revoke_token(prefix)
    click.echo(f"{revoked} token(s) revoked")


@main.group()
def sla() -> None:
    """Time limits (时限) and the holiday calendar."""


@sla.command("set")
@click.argument("name")
@click.option("--urgency", type=click.Choice(["normal", "urgent"]))
@click.option("--type", "request_type", type=click.Choice(
    ["consultation", "help", "complaint", "report", "suggestion", "praise"]))
@click.option("--accept", required=True, help="Time to sign for, e.g. 30m, 4h, 1d.")
@click.option("--handle", required=True, help="Time to handle, e.g. 24h, 5d.")
@click.option("--warn", default=75, show_default=True, help="Warn at this percent used.")
@click.option("--calendar", default="workday", show_default=True,
              type=click.Choice(["workday", "natural"]))
@with_app
def sla_set(name: str, urgency: str | None, request_type: str | None, accept: str, handle: str,
            warn: int, calendar: str) -> None:
    """Set the policy for an urgency and type (replacing the one they had)."""
    from hotline.services import sla as sla_service

    with unit_of_work(keep_loaded=True):
        policy = sla_service.set_policy(name, urgency=urgency, request_type=request_type,
                                        accept=accept, handle=handle, warn_percent=warn,
                                        calendar=calendar)
    click.echo(f"policy {policy.name}: accept {policy.accept}, handle {policy.handle}, "
               f"warn {policy.warn_percent}%, {policy.calendar}")


@sla.command("calendar-import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8"))
@with_app
def sla_calendar_import(csv_file) -> None:
    """Add holidays and make-up working days from a CSV (date,kind,name)."""
    from hotline.services import sla as sla_service

    with unit_of_work():
        imported = sla_service.import_calendar(csv_file.read())
    click.echo(f"{imported} day(s) imported")



@main.group()
def kb() -> None:
    """The knowledge base: load a city's base from CSV or Excel, or take it out again."""


@kb.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_app
def kb_import(file: str) -> None:
    """Load FILE (.csv or .xlsx) into the base, all rows or none; rows marked published go
    straight into search (the import acts as the system, like a supervisor)."""
    from pathlib import Path

    from hotline.services.actors import Actor
    from hotline.services.kb import transfer

    rows = transfer.read_rows(Path(file).read_bytes(), file)
    with unit_of_work():
        counts = transfer.import_rows(Actor.system("知识库导入"), rows)
    click.echo(f"{counts['created']} created, {counts['updated']} updated")


@kb.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_app
def kb_export(file: str) -> None:
    """Write the whole base to FILE: Excel when it ends in .xlsx, CSV otherwise."""
    from pathlib import Path

    from hotline.services.kb import transfer

    data = transfer.export_xlsx() if file.lower().endswith(".xlsx") else transfer.export_csv()
    Path(file).write_bytes(data)
    click.echo(f"{len(transfer.export_rows())} articles written to {file}")


@main.group()
def places() -> None:
    """The map: import places (CSV or GeoJSON), give existing cases their points."""


@places.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_app
def places_import(file: str) -> None:
    """Check FILE (.csv or .geojson) and import its places, all or none; every problem is
    printed with its line (or feature) and field, and the exit status is 1."""
    from pathlib import Path

    from hotline.geo.features import PlaceFileError
    from hotline.services import places as place_service
    from hotline.services.actors import Actor

    try:
        with unit_of_work():
            outcome = place_service.import_places(Actor.system("地点导入"),
                                                  Path(file).read_bytes(), Path(file).name)
    except PlaceFileError as exc:
        for problem in exc.problems:
            click.echo(f"{file}: {problem}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{outcome.created} created, {outcome.updated} updated")


@places.command("backfill")
@click.option("--redo", is_flag=True, help="Locate every case again, not only those without.")
@click.option("--batch", default=1000, show_default=True, help="Cases per transaction.")
@with_app
def places_backfill(redo: bool, batch: int) -> None:
    """Give every case with a locatable address its point and accuracy, in batches (one
    transaction each, so it can be stopped and run again)."""
    from hotline.services import places as place_service

    last, read, located = 0, 0, 0
    while True:
        with unit_of_work():
            seen, found, last = place_service.backfill(redo=redo, batch=batch, after_id=last)
        read, located = read + seen, located + found
        if seen < batch:
            break
    click.echo(f"{read} cases read, {located} located")


@main.group()
def mailbox() -> None:
    """Leaders' mailboxes (领导信箱)."""


@mailbox.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@with_app
def mailbox_import(file: str) -> None:
    """Load mailboxes from FILE (.csv in UTF-8, or .xlsx), matched by code: all rows, or none
    when any row is wrong (each listed by row and field). Importing again changes nothing."""
    from pathlib import Path

    from hotline.services import mailbox_import as importer
    from hotline.webutil import translate_error

    with unit_of_work():
        report = importer.import_rows(importer.read_file(Path(file).read_bytes(), file))
    if not report.ok:
        for error in report.errors:
            click.echo(f"row {error.row}, {error.field or 'file'}: "
                       f"{translate_error(error.error)}", err=True)
        raise click.ClickException(f"{len(report.errors)} bad rows: nothing imported")
    click.echo(f"{report.created} created, {report.updated} updated, "
               f"{report.unchanged} unchanged")


@main.group()
def mail() -> None:
    """Inbound e-mail: import .eml files or poll the IMAP mailbox once."""


@mail.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@with_app
def mail_import(files: tuple[str, ...]) -> None:
    """Store each FILE.eml as an inbound mail and turn it into a case (or a review item)."""
    from pathlib import Path

    from workflows.mail import PollResult, import_mail

    result = PollResult()
    for name in files:
        receipt = import_mail(Path(name).read_bytes(), result)
        message = receipt.message
        case = f" {message.case.number}" if message.case is not None else ""
        again = " (already imported)" if receipt.duplicate else ""
        reason = f" - {message.reason}" if message.reason else ""
        click.echo(f"{name}: {message.status}{case}{again}{reason}")
    click.echo(f"{result.stored} stored, {result.duplicates} already there")


@mail.command("schedule")
@with_app
def mail_schedule() -> None:
    """Kept for old set-up scripts: workers now poll the mailbox on their own."""
    from flask import current_app

    if not current_app.config.get("IMAP_HOST"):
        raise click.ClickException("set HOTLINE_IMAP_HOST to poll a mailbox")
    click.echo("nothing to do: workers poll the mailbox every HOTLINE_IMAP_POLL_SECONDS "
               "on their own while HOTLINE_IMAP_HOST is set")


@mail.command("poll")
@with_app
def mail_poll() -> None:
    """Fetch the new mail of HOTLINE_IMAP_FOLDER once (workers poll it regularly)."""
    from workflows.mail import MailError, MailNotConfigured, poll_imap

    try:
        result = poll_imap()
    except (MailNotConfigured, MailError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{result.fetched} fetched, {result.stored} stored, "
               f"{result.duplicates} already there")


@main.group()
def classifier() -> None:
    """The routing classifier: train, evaluate, predict, activate versions."""


@classifier.command("train")
@click.option("--data", "data_path", type=click.Path(dir_okay=False),
              help="UTF-8 CSV with a text and a label column.")
@click.option("--from-cases", is_flag=True, help="Train from the database's finished cases.")
@click.option("--text-column", default="text", show_default=True)
@click.option("--label-column", default="label", show_default=True)
@click.option("--out", "out_path", type=click.Path(dir_okay=False),
              help="Write the model here (default: a new version in the model folder).")
@click.option("--activate", is_flag=True, help="Make the new version the active one.")
def classifier_train(data_path, from_cases, text_column, label_column, out_path, activate):
    """Train a model from a CSV file or from finished cases; a bad file changes nothing."""
    if bool(data_path) == bool(from_cases):
        raise click.UsageError("give exactly one of --data CSV or --from-cases")
    from classifier import TrainingDataError, read_training_csv
    from hotline.models import ModelSource

    try:
        if data_path:
            texts, labels = read_training_csv(data_path, text_column=text_column,
                                              label_column=label_column)
        else:
            texts, labels = _case_training_data()
        source = ModelSource.CSV if data_path else ModelSource.CASES
        _train_and_save(texts, labels, source, out_path, activate)
    except TrainingDataError as exc:
        raise click.ClickException(str(exc)) from None


@with_app
def _case_training_data():
    from hotline.services import suggestions

    return suggestions.training_data_from_cases()


@with_app
def _train_and_save(texts, labels, source, out_path, activate) -> None:
    from classifier import train_model
    from workflows.retrain import train_version

    if out_path:
        model = train_model(texts, labels)
        model.save(out_path)
        metrics = model.metadata.get("metrics") or {}
        click.echo(f"model written to {out_path} ({len(texts)} samples, "
                   f"macro-F1 {metrics.get('macro_f1', 'n/a')})")
        return
    record = train_version(source, texts, labels, activate=activate)
    click.echo(f"version {record.version} trained on {record.n_samples} samples "
               f"({'active' if activate else 'ready'}); metrics: {record.metrics}")


@classifier.command("evaluate")
@click.option("--model", "model_path", required=True, type=click.Path(exists=True))
@click.option("--data", "data_path", required=True, type=click.Path(exists=True))
@click.option("--text-column", default="text", show_default=True)
@click.option("--label-column", default="label", show_default=True)
def classifier_evaluate(model_path, data_path, text_column, label_column):
    """Print accuracy, macro-F1 and per-class figures as JSON."""
    import json

    from classifier import (
        ModelLoadError,
        TrainingDataError,
        evaluate,
        load_model,
        read_training_csv,
    )

    try:
        model = load_model(model_path)
        texts, labels = read_training_csv(data_path, text_column=text_column,
                                          label_column=label_column)
    except (ModelLoadError, TrainingDataError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(evaluate(model, texts, labels), ensure_ascii=False, indent=2))


@classifier.command("predict")
@click.option("--model", "model_path", required=True, type=click.Path(exists=True))
@click.option("-k", default=3, show_default=True)
@click.argument("text")
def classifier_predict(model_path, k, text):
    """Print the top suggestions for TEXT."""
    from classifier import ModelLoadError, load_model

    try:
        model = load_model(model_path)
    except ModelLoadError as exc:
        raise click.ClickException(str(exc)) from None
    for label, score in model.suggest(text, k=k):
        click.echo(f"{score:.3f}\t{label}")


@classifier.command("versions")
@with_app
def classifier_versions() -> None:
    """List trained versions, newest first."""
    from hotline.services import suggestions

    for record in suggestions.versions():
        macro = (record.metrics or {}).get("macro_f1")
        click.echo(f"{record.version}\t{record.status}\t{record.source}\t"
                   f"{record.n_samples}\tmacro_f1={macro}")


@classifier.command("activate")
@click.argument("version")
@with_app
def classifier_activate(version: str) -> None:
    """Make VERSION the active model (also how to roll back)."""
    from hotline.services import suggestions

    with unit_of_work():
        suggestions.activate_version(version)
    click.echo(f"version {version} is active")


@main.command("opendata")
@click.argument("month")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="file to write (default: standard output)")
@with_app
def opendata_export(month: str, fmt: str, output: str | None) -> None:
    """Export MONTH (YYYY-MM) as anonymised open data, as CSV or JSON."""
    from hotline.reporting.opendata import as_csv, as_json
    from hotline.services import opendata

    rows = opendata.month_rows(month)
    text = (as_csv(rows, opendata.COLUMNS) if fmt == "csv"
            else as_json(month, rows, opendata.COLUMNS))
    if output:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        click.echo(f"{len(rows)} cases -> {output}", err=True)
    else:
        click.echo(text, nl=False)


if __name__ == "__main__":
    main()

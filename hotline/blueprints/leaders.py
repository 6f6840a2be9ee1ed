"""Leaders' mailboxes (领导信箱): the admins' list with its statistics, the office's forward
of a letter, and the public pages of each mailbox with its published answers."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from hotline.blueprints.guards import current_actor, login_required, role_required
from hotline.errors import InvalidInput, ServiceError
from hotline.i18n import gettext as _
from hotline.i18n import label
from hotline.models import MailboxKind
from hotline.services import directory, leader_mailboxes, mailbox_import, periods
from hotline.services.validation import whole_number
from hotline.unit_of_work import unit_of_work
from hotline.webutil import translate_error

bp = Blueprint("leaders", __name__)


@bp.route("/admin/mailboxes", methods=["GET", "POST"])
@role_required("admin")
def admin():
    """The mailboxes admins keep, and each one's letters and satisfaction this period."""
    if request.method == "POST":
        form = request.form
        try:
            with unit_of_work():
                leader_mailboxes.save_mailbox(
                    form.get("code"), name=form.get("name"), holder=form.get("holder"),
                    kind=form.get("kind"), office=form.get("office"), intro=form.get("intro"),
                    position=form.get("position") or 0, active=form.get("active", "1") == "1")
        except ServiceError as exc:
            flash(translate_error(exc), "error")
        else:
            flash(_("已保存"), "success")
        return redirect(url_for("leaders.admin"), code=303)
    return _admin_page()


def _admin_page(imported: mailbox_import.ImportReport | None = None, status: int = 200):
    period = periods.period_from(request.args.get("from"), request.args.get("to"))
    size = current_app.config["PAGE_SIZE"]
    page = whole_number(request.args.get("page") or 1, "page", minimum=1, maximum=100000)
    shown, total = leader_mailboxes.search_mailboxes(request.args.get("q"), page=page,
                                                     size=size)
    return render_template("admin/mailboxes.html", period=period,
                           mailboxes=shown, total=total, page=page,
                           pages=max(1, -(-total // size)), q=request.args.get("q", ""),
                           stats=[row for row in leader_mailboxes.stats(*period.window())
                                  if row.letters or row.rated],
                           kinds=list(MailboxKind), imported=imported,
                           import_errors=[(e.row, e.field, translate_error(e.error))
                                          for e in (imported.errors if imported else ())],
                           columns=mailbox_import.COLUMNS,
                           departments=directory.list_departments(active_only=True)), status


@bp.post("/admin/mailboxes/import")
@role_required("admin")
def import_file():
    """Load mailboxes from an uploaded CSV or Excel file: all rows or, with any bad row,
    none (each bad row listed by number and field)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(translate_error(InvalidInput("「{field}」不能为空", field="file")), "error")
        return redirect(url_for("leaders.admin"), code=303)
    try:
        with unit_of_work():
            rows = mailbox_import.read_file(upload.read(), upload.filename)
            report = mailbox_import.import_rows(rows)
    except ServiceError as exc:
        flash(translate_error(exc), "error")
        return redirect(url_for("leaders.admin"), code=303)
    return _admin_page(report, 200 if report.ok else 422)


@bp.post("/cases/<number>/forward")
@login_required
def forward(number: str):
    """The mailbox's office passes the letter to the handling department."""
    try:
        with unit_of_work():
            leader_mailboxes.forward(current_actor(), number, request.form.get("department"),
                                     request.form.get("note"))
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(translate_error(exc), "error")
    else:
        flash(_("已{action}", action=label("dispatch")), "success")
    return redirect(url_for("cases.detail", number=number), code=303)


@bp.get("/mailboxes")
def public_index():
    """Every mailbox, with its latest published answers."""
    boxes = leader_mailboxes.list_mailboxes(active_only=True)
    return render_template("public/leaders.html", mailboxes=boxes, mailbox=None,
                           letters={m.id: leader_mailboxes.published_letters(m, limit=3)
                                    for m in boxes})


@bp.get("/mailboxes/<code>")
def public_mailbox(code: str):
    """One mailbox's page: who reads it, how to write, its published answers."""
    mailbox = leader_mailboxes.public_page(code)
    return render_template("public/leaders.html", mailboxes=[mailbox], mailbox=mailbox,
                           letters={mailbox.id: leader_mailboxes.published_letters(
                               mailbox, limit=20)})

"""Admin page for the citizen notices: each kind on or off per channel, and its texts."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from hotline.blueprints.guards import role_required
from hotline.errors import ServiceError
from hotline.i18n import gettext as _
from hotline.services import citizen_notices
from hotline.unit_of_work import unit_of_work
from hotline.webutil import translate_error

bp = Blueprint("notices_admin", __name__, url_prefix="/admin/notices")


@bp.get("")
@role_required("admin")
def index():
    return render_template("admin/notices.html", settings=citizen_notices.all_settings(),
                           placeholders=citizen_notices.PLACEHOLDERS,
                           channels=citizen_notices.CHANNELS,
                           quiet=citizen_notices.quiet_hours_text())


@bp.post("/<kind>")
@role_required("admin")
def save(kind: str):
    form = request.form
    try:
        with unit_of_work():
            citizen_notices.update_setting(
                kind, sms=form.get("sms") == "1", wechat=form.get("wechat") == "1",
                email=form.get("email") == "1", text_zh=form.get("text_zh"),
                text_en=form.get("text_en"))
    except ServiceError as exc:
        if exc.status == 404:
            raise
        flash(translate_error(exc), "error")
    else:
        flash(_("已保存"), "success")
    return redirect(url_for("notices_admin.index") + f"#notice-{kind}", code=303)

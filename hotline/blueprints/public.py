"""Citizens' pages, no account: track a case with its number and query code, and rate it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from hotline.errors import NotFound, ServiceError
from hotline.i18n import gettext as _
from hotline.services import tracking
from hotline.web import translate_error

bp = Blueprint("public", __name__)


def client_key() -> str:
    """The client's address every throttle keys on: the real one when
    ``HOTLINE_TRUSTED_PROXIES`` names the proxies in front (``hotline.security``)."""
    return request.remote_addr or "unknown"


@bp.get("/")
def home():
    return render_template("public/home.html")


@bp.route("/track", methods=["GET", "POST"])
def track():
    source = request.form if request.method == "POST" else request.args
    number, code = source.get("number", "").strip(), source.get("code", "").strip()
    if not number and not code:
        return render_template("public/home.html")
    try:
        case = tracking.find(number, code, client_key())
    except NotFound as exc:
        return render_template("public/home.html", number=number,
                               error=translate_error(exc)), 404
    return render_template("public/track.html", case=case, code=code,
                           events=tracking.public_timeline(case))


@bp.post("/track/<number>/feedback")
def feedback(number: str):
    code = request.form.get("code", "")
    try:
        tracking.give_feedback(number, code, request.form.get("satisfaction", ""),
                               request.form.get("comment"), client_key())
    except NotFound as exc:
        return render_template("public/home.html", number=number,
                               error=translate_error(exc)), 404
    except ServiceError as exc:
        flash(translate_error(exc), "error")
    else:
        flash(_("感谢您的评价"), "success")
    return redirect(url_for("public.track", number=number, code=code), code=303)

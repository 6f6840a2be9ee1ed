"""Citizens' pages, no account: track a case with its number and query code, and rate it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from hotline.errors import NotFound, ServiceError, TooManyAttempts
from hotline.i18n import asked_language, current_language
from hotline.i18n import gettext as _
from hotline.services import my_cases, tracking
from hotline.unit_of_work import unit_of_work
from hotline.webutil import client_key, translate_error

bp = Blueprint("public", __name__)


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
        with unit_of_work():
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


@bp.route("/track/mine", methods=["GET", "POST"])
def my_cases_page():
    """"My cases": a mobile number, a one-time code by SMS, then every case made with it."""
    form = request.form
    phone = form.get("phone", "").strip()
    if request.method == "GET":
        return render_template("public/my_cases.html", step="phone")
    step = "code" if form.get("op") == "verify" else "phone"
    try:
        if step == "phone":
            with unit_of_work():
                my_cases.request_code(phone, client_key(), language=current_language())
            return render_template("public/my_cases.html", step="code", phone=phone,
                                   sent=True), 202
        with unit_of_work():
            items = my_cases.verify(phone, form.get("otp", ""), client_key(),
                                    language=asked_language())
    except ServiceError as exc:
        status = 429 if isinstance(exc, TooManyAttempts) else exc.status
        return render_template("public/my_cases.html", step=step, phone=phone,
                               error=translate_error(exc)), status
    return render_template("public/my_cases.html", step="list", phone=phone, items=items)

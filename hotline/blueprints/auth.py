"""Sign in and out, and change one's password; after signing in each role lands on its own
page. Sign-ins are throttled and revocable (``services.accounts``, ``hotline.security``)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from hotline.errors import ServiceError, TooManyAttempts
from hotline.i18n import gettext as _
from hotline.models import Role, User
from hotline.security import safe_next, sign_in
from hotline.services import accounts
from hotline.unit_of_work import unit_of_work
from hotline.webutil import client_key, translate_error

bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {
    Role.AGENT: "agent.console",
    Role.DEPARTMENT: "workbench.index",
    Role.SUPERVISOR: "cases.index",
    Role.ADMIN: "admin.index",
}


def home_for(user: User) -> str:
    """The page a role starts from."""
    return url_for(HOME_BY_ROLE[user.role])


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form, or check it: throttled per account and per client."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    if request.method != "POST":
        return render_template("auth/login.html", username="")
    username = request.form.get("username", "").strip()
    try:
        user = accounts.authenticate(username, request.form.get("password", ""), client_key())
    except TooManyAttempts as exc:
        flash(translate_error(exc), "error")
        headers = {"Retry-After": str(exc.params["retry_after"])}
        return render_template("auth/login.html", username=username), 429, headers
    except accounts.WrongCredentials as exc:
        flash(translate_error(exc), "error")
        return render_template("auth/login.html", username=username), 401
    sign_in(user, remember=bool(request.form.get("remember")))
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return redirect(safe_next(request.args.get("next")) or home_for(user))


@bp.post("/logout")
@login_required
def logout():
    """Sign out everywhere: every session and remember-me cookie of the account ends."""
    with unit_of_work():
        accounts.end_sessions(current_user)
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password (current and new); required after an admin's reset."""
    if request.method == "POST":
        form = request.form
        if form.get("password", "") != form.get("confirm", ""):
            flash(_("两次输入的新密码不一致"), "error")
            return render_template("auth/password.html"), 422
        user = current_user._get_current_object()
        try:
            with unit_of_work():
                accounts.change_password(user, form.get("current_password", ""),
                                         form.get("password", ""))
        except ServiceError as exc:
            flash(translate_error(exc), "error")
            return render_template("auth/password.html"), exc.status
        sign_in(user)  # this browser stays signed in under the new session version
        flash(_("密码已修改，其他设备上的登录已退出"), "success")
        return redirect(home_for(user))
    return render_template("auth/password.html")
